"""Declare a native library of ``native/`` and load it for the current run.

A driver running in a child never chooses a build itself: its run configuration arrives
from the runner (``configurations.active()``) and its variant from the drive's command
line (``use_variant``), and ``Library`` loads the matching build from the cache. A fuzz
harness, started by libFuzzer rather than by the drive, gets its variant in
``FAULTLAB_VARIANT`` from the environment faultlab starts it with.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

from ..diagnosis import configurations
from ..diagnosis.configurations import Configuration
from . import build


VARIANT_ENV = "FAULTLAB_VARIANT"
_variant: str | None = None


def use_variant(variant: str) -> None:
    """The variant this process runs: the drive says it before the case's driver runs."""
    global _variant
    _variant = variant


def current_variant() -> str:
    return _variant or os.environ.get(VARIANT_ENV, "broken")


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

    def path(self, configuration: Configuration | None = None, variant: str | None = None) -> Path:
        """The build for ``configuration`` and ``variant``; by default, those of the current run."""
        return build.build_library(
            self.name, sources=self.sources, includes=self.includes, python=self.python, jni=self.jni,
            link=self.link, defines=self.defines, configuration=configuration or configurations.active(),
            variant=variant or current_variant(),
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
