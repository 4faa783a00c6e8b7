"""What a report source declares: its markers, the paths that give its frames away, and what its reader makes of a report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# What a marker needs of the way the program ended before its text decides (``Marker.ending``).
# A program can print anything: "double free or corruption" on stdout, then exit 0, is a
# quotation, not a double free. Text decides a crash only when the ending agrees with it.
FATAL = "fatal"  # its writer ends the program because of it (aborts, or exits non-zero, now or at exit)
ABNORMAL = "abnormal"  # it may be printed by a program that goes on (a caught exception's traceback)
ANY = "any"  # its writer goes on, and status 0 belongs to the kind (a swallowed callback exception)
ENDINGS = (FATAL, ABNORMAL, ANY)


@dataclass(frozen=True)
class Marker:
    """A string that decides a verdict, with an example of it.

    ``precedence`` places the marker in the one table the classifier tries in order (lowest
    first; the first match wins), whichever source module declares it. Markers with no
    pattern are decided by the exit status alone; their ``condition`` says how.
    ``ending`` says which endings the marker decides (see the field).
    """

    kind: str
    source: str  # who prints it: asan, tsan, ubsan, lsan, ld.so, glibc, cpython, faulthandler, ctypes, cffi, java, jvm, faultlab, kernel
    pattern: str | None
    example: str
    condition: str = ""
    precedence: int = field(kw_only=True)
    mode: str | None = field(default=None, kw_only=True)
    # FATAL and ABNORMAL decide only a run that ended abnormally (a signal, a non-zero status,
    # the watchdog). Of a log whose ending is unknown (``faultlab triage``), a FATAL report is
    # itself the proof that the program ended there; an ABNORMAL one decides only when some
    # FATAL report shows too. ANY decides whatever the ending.
    ending: str = field(default=FATAL, kw_only=True)

    @property
    def regex(self) -> re.Pattern | None:
        return _compiled(self.pattern) if self.pattern else None


@dataclass(frozen=True)
class Reading:
    """What a source's ``read(marker, match, text)`` makes of its own report, where the marker's line is not all.

    Every field left at its default keeps what the classifier would say without the reader:
    the marker's line as the headline and no native frames. ``place`` is where the report
    itself says the failure happened (a panic's ``file:line:col``): when the stack names no
    frame of the program, the place is the stack, and its line joins the signature, or every
    panic in one file would be one bug. ``evidence`` lines follow the classifier's own.
    ``signature`` holds what tells this failure from another in the same frames (an
    exception's type, a runtime error's message without its numbers); it joins the signature.
    """

    headline: str | None = None
    native_stack: tuple = ()
    place: object = None  # a verdict.Frame
    evidence: tuple[str, ...] = ()
    signature: tuple[str, ...] = ()
    # A report that names its kind only in its body (libFuzzer's "deadly signal" under an
    # abort, a C++ terminate under ASan's ABRT) refines the marker's kind.
    kind: str | None = None
    access: str | None = None  # READ or WRITE, where the report says which
    access_size: int | None = None  # bytes, where the report says how many


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
