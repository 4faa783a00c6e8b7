"""What a report source declares: its markers, and the paths that give its frames away."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Marker:
    """A string that decides a verdict, with an example of it.

    ``precedence`` places the marker in the one table the classifier tries in order (lowest
    first; the first match wins), whichever source module declares it. Markers with no
    pattern are decided by the exit status alone; their ``condition`` says how.
    """

    kind: str
    source: str  # who prints it: asan, tsan, ubsan, lsan, ld.so, glibc, cpython, faulthandler, ctypes, cffi, java, jvm, faultlab, kernel
    pattern: str | None
    example: str
    condition: str = ""
    precedence: int = field(kw_only=True)

    @property
    def regex(self) -> re.Pattern | None:
        return _compiled(self.pattern) if self.pattern else None


@dataclass(frozen=True)
class RuntimePath:
    """Source paths that give away a runtime even when a frame names a .c or .py file, not a library.

    A frame whose path matches is named ``runtime/basename``; the first rule by ``precedence`` wins.
    """

    pattern: str
    runtime: str
    precedence: int

    @property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern)


_cache: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    if pattern not in _cache:
        _cache[pattern] = re.compile(pattern, re.MULTILINE)
    return _cache[pattern]
