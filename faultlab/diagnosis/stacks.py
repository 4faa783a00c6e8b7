"""The stacks the classifier reads whatever marker decided: the Python stack (tracebacks and
faulthandler dumps) and gdb's backtraces of a hung child's threads, as ``Frame`` objects,
innermost first.

A report's own frames (a sanitizer's, the JVM's, a panic's backtrace) are its source's to
read (``sources/<program>.py``, its ``read``); the syntax of Python's is ``sources/cpython.py``'s."""

from __future__ import annotations

import re

from .sources import cpython
from .sources._frames import module_name
from .verdict import Frame

# gdb: "#0  0x00007f.. in pthread_mutex_lock () from /lib/libc.so.6" or "#2  lock_both (a=1) at x.c:12".
# The head is one regex; the arguments and the place are taken from the line's end, because a
# regex of optional groups and blanks around ``\(.*?\)`` backtracks cubically on a long line.
_GDB_HEAD = re.compile(r"#(?P<n>\d+)\s+(?:0x[0-9a-f]+\s+in\s+)?(?P<func>[^\s(]+)")
_GDB_PLACE = re.compile(r"at\s+(?P<file>\S+):(?P<line>\d+)|from\s+(?P<obj>\S+)")
# eu-stack's line: "#N 0xADDR NAME", the name as the symbol table has it, with its version
# ("__pthread_mutex_lock@GLIBC_2.2.5"); no name where no symbol covers the address.
_EU_STACK_FRAME = re.compile(r"#\d+\s+0x[0-9a-f]+(?:\s+(?P<func>(?!in\s).+?))?(?:@@?[A-Z][\w.]*)?")


def gdb_stack(lines: tuple[str, ...] | list[str]) -> tuple[Frame, ...]:
    frames = []
    for line in lines:
        frame = _gdb_frame(line.strip())
        if frame:
            frames.append(frame)
    return tuple(frames)


def _gdb_frame(line: str) -> Frame | None:
    """One gdb backtrace line: ``#N [0xADDR in] FUNC [(ARGS)] [at FILE:LINE | from OBJECT]``, or None;
    or one of eu-stack's (``hang.eu_stack_view``): ``#N 0xADDR [NAME]``."""
    eu_stack = _EU_STACK_FRAME.fullmatch(line)
    if eu_stack:
        return Frame(eu_stack.group("func") or "??", "")
    head = _GDB_HEAD.match(line)
    if not head:
        return None
    rest = line[head.end():].strip()
    words = rest.rsplit(None, 2)  # [ARGS,] "at"|"from", FILE:LINE|OBJECT
    place = _GDB_PLACE.fullmatch(" ".join(words[-2:])) if len(words) >= 2 else None
    if place:
        rest = words[0] if len(words) == 3 else ""
    if rest and not (rest.startswith("(") and rest.endswith(")")):
        return None
    if not place:
        return Frame(head.group("func"), "")
    return Frame(head.group("func"), module_name(place.group("file") or place.group("obj")),
                 int(place.group("line")) if place.group("line") else None)


def python_stack(text: str) -> tuple[Frame, ...]:
    """The crashing thread's Python stack, innermost first.

    A faulthandler dump ("Current thread ...") wins over a traceback, because it is
    what was running when the process died; otherwise the last traceback printed.
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Current thread 0x") or line.startswith("Stack (most recent call first)"):
            frames = []
            for follow in lines[i + 1 :]:
                m = cpython.FAULTHANDLER_FRAME.match(follow)
                if not m:
                    break
                frames.append(Frame(m.group("func"), module_name(m.group("file")), int(m.group("line"))))
            if frames:
                return tuple(frames)
    last: list[Frame] = []
    current: list[Frame] | None = None
    for line in lines:
        if line.endswith("Traceback (most recent call last):"):  # atheris' may follow other words on its line
            current = []
            continue
        if current is not None:
            m = cpython.TRACEBACK_FRAME.match(line)
            if m:
                current.append(Frame(m.group("func"), module_name(m.group("file")), int(m.group("line"))))
            elif line and not line.startswith(" "):
                last, current = current, None
    if current:
        last = current
    if not last:
        # A fatal error in a thread Python does not know (a C library's own thread) dumps
        # only the other threads, none "Current": the first one is the best guess of the
        # Python code that called into C.
        for _, frames in faulthandler_threads(text):
            if frames:
                return frames
    return tuple(reversed(last))


def faulthandler_threads(text: str) -> list[tuple[str, tuple[Frame, ...]]]:
    """Every thread of the last faulthandler all-threads dump: (header, frames innermost first)."""
    threads: list[tuple[str, list[Frame]]] = []
    for line in text.splitlines():
        if cpython.FAULTHANDLER_THREAD.match(line):
            threads.append((line.rstrip(":"), []))
        elif threads:
            m = cpython.FAULTHANDLER_FRAME.match(line)
            if m:
                threads[-1][1].append(Frame(m.group("func"), module_name(m.group("file")), int(m.group("line"))))
    return [(header, tuple(frames)) for header, frames in threads]
