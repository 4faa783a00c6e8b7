"""UndefinedBehaviorSanitizer: its ``file:line:col: runtime error:`` lines. Its stacks use asan.py's frame syntax.

A runtime error is anchored to the place UBSan prints before it (``widget.c:9:12: runtime
error:``, ``<unknown>: runtime error:`` without debug information), so another runtime's
words ("panic: runtime error: index out of range" from Go) never match. UBSan reports and
goes on unless built or run to halt (``-fno-sanitize-recover``, ``halt_on_error=1``): its
report is the finding whatever the ending. Its deadly signals (``ERROR:
UndefinedBehaviorSanitizer: FPE on unknown address``) are sanitizer_common's, in asan.py.
"""

from __future__ import annotations

import dataclasses
import re

from . import asan
from ._schema import ANY, Marker, Reading

_AT = r"^(?:[^\n]*?:\d+:\d+|<unknown>|\S+\+0x[0-9a-f]+\)?): runtime error: "

MARKERS = (
    Marker("null-deref", "ubsan",
           _AT + r"(?:member access within|member call on|load of|store to|reference binding to) null pointer.*",
           "widget.c:9:12: runtime error: load of null pointer of type 'int'", precedence=330, ending=ANY),
    Marker("undefined-behavior", "ubsan", _AT + r".*",
           "overflow.c:5:14: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'",
           precedence=340, ending=ANY),
)

RUNTIME_MODULES = (r"libubsan",)
RUNTIME_FUNCTIONS = (r"__ubsan.*",)

_LOAD_STORE = re.compile(r"runtime error: (?:(?P<read>load of)|(?P<write>store to)) ")


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """The error from "runtime error:" on (its place is the stack's top frame) and the stack under it, in asan.py's
    syntax; a load is a READ, a store a WRITE."""
    line = match.group(0)
    reading = dataclasses.replace(asan.read(marker, match, text), headline=line[line.index("runtime error: "):].strip())
    rw = _LOAD_STORE.search(line)
    if rw is None:
        return reading
    return dataclasses.replace(reading, access="READ" if rw.group("read") else "WRITE")
