"""atheris and the libFuzzer it drives: their own verdicts on a run, and their frames under every fuzz crash.

libFuzzer judges the input it ran when no sanitizer said more: ``==20279== ERROR: libFuzzer:
timeout after 2 seconds`` (exit 70), ``out-of-memory (malloc(4294967296))`` or ``(used: ...)``,
and ``deadly signal`` (exit 77) when its own handler caught the signal. That last report does
not name the signal: an abort on its stack (or an abort message before it) makes it an
abort, anything else a memory access gone wrong, which is what its handler mostly catches.
atheris prints a harness's uncaught exception to stdout, `` === Uncaught Python exception:
===`` then the exception and its traceback.

faultlab builds the shared libFuzzer as ``libfuzzer.so`` (``fuzzing/coverage.py``); atheris'
glue between libFuzzer and ``TestOneInput`` (mangled or not) is the same in every crash.
"""

from __future__ import annotations

import re

from . import _abort_messages, asan
from ._schema import Marker, Reading

_LIBFUZZER = r"^==\d+== ERROR: libFuzzer: "

MARKERS = (
    Marker("hang", "libfuzzer", _LIBFUZZER + r"timeout after \d+ seconds.*", "==20279== ERROR: libFuzzer: timeout after 2 seconds",
           precedence=264),
    Marker("oom", "libfuzzer", _LIBFUZZER + r"out-of-memory \(.*",
           "==21062== ERROR: libFuzzer: out-of-memory (malloc(4294967296))", precedence=266),
    # Before the traceback's own marker, and before the deadly signal atheris' abort makes.
    Marker("python-exception", "atheris", r"^\s*=== Uncaught Python exception: ===\s*$", " === Uncaught Python exception: ===",
           precedence=545),
    Marker("segv", "libfuzzer", _LIBFUZZER + r"deadly signal\s*$", "==21131== ERROR: libFuzzer: deadly signal", precedence=547),
)

RUNTIME_MODULES = (r"libfuzzer",)
RUNTIME_FUNCTIONS = (r".*pybind11.*", r"atheris::.*", r"fuzzer::.*")
_ABORTING = re.compile(r"^(?:abort|raise|__pthread_kill.*|pthread_kill|__assert_fail.*|gsignal)$")
_FIRST_LINE = re.compile(r"^\s*(\S.*)$", re.MULTILINE)


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """libFuzzer's stack, and which signal its deadly one most likely was; atheris' exception line as the headline."""
    if marker.source == "atheris":
        line = _FIRST_LINE.search(text, match.end())
        return Reading(headline=line.group(1).strip() if line else None)
    frames = asan.stack(text[match.start():])
    if marker.kind != "segv":
        return Reading(native_stack=frames)
    message = _abort_messages.last_before(text, match.start())
    if message is not None:
        return Reading(headline=message.headline, kind=message.kind or "abort", native_stack=frames)
    if any(_ABORTING.match(f.function) for f in frames):
        return Reading(headline="libFuzzer: deadly signal (an abort on its stack)", kind="abort", native_stack=frames)
    return Reading(headline="libFuzzer: deadly signal (its number unsaid; no abort on its stack: most likely SIGSEGV)",
                   native_stack=frames)
