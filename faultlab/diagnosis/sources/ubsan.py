"""UndefinedBehaviorSanitizer: its ``file:line:col: runtime error:`` lines. Its stacks use asan.py's frame syntax."""

from __future__ import annotations

from . import asan
from ._schema import Marker

MARKERS = (
    Marker("null-deref", "ubsan", r"runtime error: (?:member access within|load of|store to) null pointer.*",
           "widget.c:9:12: runtime error: load of null pointer of type 'int'", precedence=330),
    Marker("undefined-behavior", "ubsan", r"runtime error: .*",
           "overflow.c:5:14: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'",
           precedence=340),
)

RUNTIME_MODULES = (r"libubsan",)
RUNTIME_FUNCTIONS = (r"__ubsan.*",)

read = asan.read  # the frame syntax all four sanitizers share
