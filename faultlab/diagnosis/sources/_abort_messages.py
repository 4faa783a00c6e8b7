"""What a program prints just before it aborts on purpose: an assertion, a CHECK, a C++ exception nobody caught.

An abort reported by a sanitizer (``ABRT on unknown address``), by faulthandler ("Fatal
Python error: Aborted") or by libFuzzer ("deadly signal") says only that SIGABRT arrived;
the line printed before it says why, and is the verdict's headline. Every source that
reports an abort reads it here, so the forms are listed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# glibc's assert(): "prog: file.c:3: int check_count(int): Assertion `count >= 0' failed."
ASSERTION = r"^.+?: Assertion `.+' failed\."
# libstdc++'s std::terminate on an uncaught exception, with what() on the next line.
TERMINATE = r"^terminate called after throwing an instance of '(?P<type>[^'\n]+)'(?:\n\s*what\(\):\s*(?P<what>.*))?"
# CHECK macros: Chromium's "[FATAL:check.cc(6)] Check failed: count >= 0.", glog's and abseil's
# "F0102 12:00:00.000 12 file.cc:6] Check failed: x", a sanitizer's own "CHECK failed: ...".
CHECK = r"^.*?\b(?:Check|CHECK) failed: .*"

_MESSAGE = re.compile(f"(?:{ASSERTION})|(?P<terminate>{TERMINATE})|(?:{CHECK})", re.MULTILINE)
_LOOK_BACK = 16384  # the message comes a few lines before the abort's report


@dataclass(frozen=True)
class AbortMessage:
    headline: str
    kind: str | None  # None: the abort's own kind; a C++ exception is an uncaught-exception


def terminate_headline(match: re.Match) -> str:
    what = (match.group("what") or "").strip()
    return f"C++ exception {match.group('type')}" + (f": {what}" if what else "") + " was not caught"


def last_before(text: str, end: int) -> AbortMessage | None:
    """The last abort message in the text before ``end`` (within a few KB), or None."""
    start = max(0, end - _LOOK_BACK)
    found = None
    for found in _MESSAGE.finditer(text, start, end):
        pass
    if found is None:
        return None
    if found.group("terminate"):
        return AbortMessage(terminate_headline(found), "uncaught-exception")
    return AbortMessage(found.group(0).strip(), None)
