"""Reports written so that a reader sees the old file or the whole new one, never a torn one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text(path: str | os.PathLike, text: str) -> None:
    """``path`` now holds ``text``, whole (see ``write_all``)."""
    write_all({path: text})


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """``path`` now holds ``data`` (an image, say), whole (see ``write_all``)."""
    write_all({path: data})


def write_all(texts: dict) -> None:
    """Write every ``{path: text or bytes}`` through a temporary file beside it, then rename them all.

    Nothing is renamed until every temporary file is written, so a failure (a full disk, a
    folder that cannot be made) leaves every path as it was and no temporary file behind.
    The files get the mode a plain ``open(path, "w")`` would give them (0666 less the umask),
    not the private 0600 of a temporary file, so CI can upload and others can read them.
    """
    written: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            written.append((_write_beside(Path(path), text), Path(path)))
        for tmp, path in written:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in written:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


def _write_beside(path: Path, text: str | bytes) -> str:
    """A temporary file beside ``path`` that holds ``text``; removed again if writing it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp
