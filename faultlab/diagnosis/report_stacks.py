"""Every stack of a sanitizer report, each under the line that introduces it.

The classifier keeps a report's first stack (the faulting access); a picture needs the
others too: ASan's "freed by thread T0 here:" and "previously allocated by thread T0
here:" for an allocation's lifeline, TSan's previous access for a data race, its
"Mutex M1 acquired here while holding mutex M0" stacks and "Cycle in lock order graph"
for a lock-order inversion. Read from the report's first headline to its SUMMARY line,
bounded in lines, stacks, frames and title length, whatever the child printed.
"""

from __future__ import annotations

import re

from .sources.asan import stack as sanitizer_stack
from .verdict import ReportStack

MAX_LINES = 2000  # of one report read
MAX_STACKS = 12
MAX_FRAMES = 24  # per stack
MAX_TITLE = 300  # characters

_HEADLINE = re.compile(r"^(?:==\d+==)?(?:ERROR|WARNING): (?:AddressSanitizer|ThreadSanitizer|LeakSanitizer)\b", re.M)
_FRAME_ZERO = re.compile(r"^\s*#0\s")
_FRAME = re.compile(r"^\s*#\d+\s")
_RELATION = re.compile(r"^\s*Cycle in lock order graph:")
_ASAN_PID = re.compile(r"^==\d+==")


def _title(line: str) -> str:
    line = _ASAN_PID.sub("", line).strip()
    return line if len(line) <= MAX_TITLE else line[:MAX_TITLE] + "…"


def report_stacks(text: str) -> tuple[ReportStack, ...]:
    """The stacks of the first ASan, TSan or LSan report in ``text``, in the report's order; () without one."""
    start = _HEADLINE.search(text)
    if not start:
        return ()
    lines = text[start.start():].split("\n", MAX_LINES)[:MAX_LINES]
    found: list[ReportStack] = []
    title = ""
    for i, line in enumerate(lines):
        if len(found) >= MAX_STACKS or (i and line.lstrip().startswith("SUMMARY:")):
            break
        if _RELATION.match(line):
            found.append(ReportStack(_title(line)))
        elif _FRAME_ZERO.match(line):
            frames = sanitizer_stack("\n".join(lines[i:i + MAX_FRAMES * 4]))[:MAX_FRAMES]
            found.append(ReportStack(title, frames))
            title = ""
        elif line.strip() and not _FRAME.match(line):
            title = _title(line)
    return tuple(found)
