"""The command line's value types: every number in a range that means something, every output path writable.

Each is an argparse ``type``: a bad value stops the command at parse time, before any
work starts, with one line that names the option and says what it takes, so a typo in
an output path never throws away a finished run. The pytest plugin checks its options
with the same functions.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

DAY_S = 86400.0
MIN_MEMORY_MB = 16.0  # below this not even an interpreter starts: a limit that small is a typo
MAX_MEMORY_MB = float(1 << 20)  # 1 TiB
MAX_COUNT = 1 << 31


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def seconds(text: str) -> float:
    """A duration: more than 0, at most a day."""
    value = _number(text)
    if not 0 < value <= DAY_S:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 and at most {DAY_S:g} seconds (a day)")
    return value


def seconds_or_zero(text: str) -> float:
    """A duration that may be 0 (off): at least 0, at most a day."""
    value = _number(text)
    if not 0 <= value <= DAY_S:
        raise argparse.ArgumentTypeError(f"{text} must be from 0 to {DAY_S:g} seconds (0: off)")
    return value


def megabytes(text: str) -> float:
    """A memory limit a child can start under: 16 MB to 1 TiB."""
    value = _number(text)
    if not MIN_MEMORY_MB <= value <= MAX_MEMORY_MB:
        raise argparse.ArgumentTypeError(f"{text} must be from {MIN_MEMORY_MB:.0f} to {MAX_MEMORY_MB:.0f} megabytes")
    return value


def count(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text} must be a whole number from 1 to {MAX_COUNT}")
    return value


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe(folder: Path, text: str) -> None:
    """Create and remove a file in ``folder``: root passes every access() check, a real write tells."""
    try:
        fd, name = tempfile.mkstemp(prefix=".faultlab-probe-", dir=folder)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {folder}: {exc.strerror}") from None
    os.close(fd)
    os.unlink(name)


def writable_file(text: str) -> Path:
    """A file faultlab may create or replace: not a directory, and its folder exists (or can be made) and is writable."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory, not a file")
    if path.exists() and not path.is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a regular file")
    folder = _nearest_existing(path.absolute().parent)
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {folder} is not a directory")
    _probe(folder, text)
    return path


def writable_directory(text: str) -> Path:
    """A directory faultlab may fill: it is one, or it can be made where its nearest existing parent is writable."""
    path = Path(text)
    nearest = _nearest_existing(path.absolute())
    if not nearest.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {nearest} is not a directory")
    _probe(nearest, text)
    return path


CHART_FORMATS = (".svg", ".png")


def chart_file(text: str) -> Path:
    """An image file faultlab may write: writable (see ``writable_file``) and named .svg or .png, which says its format."""
    path = writable_file(text)
    if path.suffix.lower() not in CHART_FORMATS:
        raise argparse.ArgumentTypeError(f"{text}: a chart is written as .svg or .png; name the file so")
    return path
