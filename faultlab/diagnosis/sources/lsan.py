"""LeakSanitizer: the leaks it finds at exit (on its own, or inside ASan). Its frames use asan.py's syntax."""

from __future__ import annotations

from . import asan
from ._schema import Marker

MARKERS = (
    Marker("memory-leak", "lsan", r"ERROR: LeakSanitizer: detected memory leaks.*",
           "==12==ERROR: LeakSanitizer: detected memory leaks", precedence=270),
)

RUNTIME_MODULES = (r"liblsan",)

read = asan.read  # the frame syntax all four sanitizers share
