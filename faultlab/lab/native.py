"""Declare a native library of ``native/`` and load it for the current run.

A driver running in a child never chooses a build itself: the runner says which
sanitizer is active (``FAULTLAB_SANITIZER``) and the case driver which variant
(``FAULTLAB_VARIANT``), and ``Library`` loads the matching build from the cache.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

from . import build
from ..diagnosis import sanitizers


def current_tag() -> str:
    override = os.environ.get("FAULTLAB_BUILD")
    if override:
        return override
    return sanitizers.get(os.environ.get("FAULTLAB_SANITIZER", "none")).build_tag


def current_variant() -> str:
    return os.environ.get("FAULTLAB_VARIANT", "broken")


@dataclass(frozen=True)
class Library:
    """``native/<name>.c`` (or ``sources``), compiled per sanitizer and per variant.

    The fixed variant is compiled with ``-DFAULTLAB_FIXED``, so a fix that lives in the
    C code sits next to its flaw under ``#ifdef FAULTLAB_FIXED``.
    """

    name: str
    sources: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    python: bool = False  # a CPython C-API extension: compiled against Python's headers
    jni: bool = False  # compiled against the JDK's jni.h
    link: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()

    def path(self, tag: str | None = None, variant: str | None = None) -> Path:
        return build.build_library(
            self.name, sources=self.sources, includes=self.includes, python=self.python, jni=self.jni,
            link=self.link, defines=self.defines, tag=tag or current_tag(), variant=variant or current_variant(),
        )

    def cffi(self, cdef: str):
        """``(ffi, lib)`` in cffi's ABI mode, declared by ``cdef``: the binding as the caller wrote it."""
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(cdef)
        return ffi, ffi.dlopen(str(self.path()))

    def ctypes(self, *, python_api: bool = False):
        """The library through ctypes; ``python_api=True`` keeps the GIL during calls (PyDLL)."""
        loader = ctypes.PyDLL if python_api else ctypes.CDLL
        return loader(str(self.path()))
