"""A stable name for a bug: the same bug run twice gets the same signature, different bugs differ.

It hashes the kind and the top meaningful frames (function and module base name; never
addresses, line numbers or build-cache paths), skipping the frames that every report
source declares as its runtime's (``sources/*.py``): libc, libpython, libffi, ``_cffi_backend``,
the sanitizer runtimes, and faultlab's own files.
"""

from __future__ import annotations

import hashlib
import re

from .sources import RUNTIME_FUNCTIONS, RUNTIME_MODULES
from .verdict import Frame

TOP_FRAMES = 3
_CLONE_SUFFIX = re.compile(r"\.(?:isra|constprop|part|cold)\.\d+.*$")


def meaningful(frames: tuple[Frame, ...] | list[Frame]) -> list[Frame]:
    """The frames that can name the bug: those of no runtime, in the order given."""
    return [f for f in frames if not RUNTIME_MODULES.match(f.module) and not RUNTIME_FUNCTIONS.match(f.function)]


def frame_key(frame: Frame) -> str:
    module = re.sub(r"\.so(?:\.\d+)*$", ".so", frame.module)
    return f"{_CLONE_SUFFIX.sub('', frame.function)}@{module}"


def signature(kind: str, native: tuple[Frame, ...], python: tuple[Frame, ...], extra: tuple[str, ...] = ()) -> str:
    """16 hex digits; native frames are preferred, Python frames fill in when native ones say nothing."""
    keys = [frame_key(f) for f in meaningful(native)[:TOP_FRAMES]]
    if len(keys) < TOP_FRAMES:
        keys += [frame_key(f) for f in meaningful(python)[: TOP_FRAMES - len(keys)]]
    material = "|".join([kind, *keys, *extra])
    return hashlib.sha1(material.encode()).hexdigest()[:16]
