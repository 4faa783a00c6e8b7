"""Reading stacks out of what a crashed program printed: Python tracebacks, faulthandler
dumps, sanitizer reports and gdb backtraces, all reduced to ``Frame`` objects, innermost first.

Each report's frame syntax is its source's (``sources/asan.py``, ``cpython.py``, ``jvm.py``);
gdb's, which no report source prints, is here."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .sources import RUNTIME_PATHS, asan, cpython, jvm, rust
from .verdict import Frame

# gdb: "#0  0x00007f.. in pthread_mutex_lock () from /lib/libc.so.6" or "#2  lock_both (a=1) at x.c:12".
# The head is one regex; the arguments and the place are taken from the line's end, because a
# regex of optional groups and blanks around ``\(.*?\)`` backtracks cubically on a long line.
_GDB_HEAD = re.compile(r"#(?P<n>\d+)\s+(?:0x[0-9a-f]+\s+in\s+)?(?P<func>[^\s(]+)")
_GDB_PLACE = re.compile(r"at\s+(?P<file>\S+):(?P<line>\d+)|from\s+(?P<obj>\S+)")
_BARE_ADDRESS = re.compile(r"^0x[0-9a-f]+$")
_PACKAGE = Path(__file__).resolve().parents[1].as_posix() + "/"  # the installed faultlab/, wherever it is


def _module(path: str | None) -> str:
    """A frame's module as a base name, prefixed with the runtime it belongs to when its path says so.

    The rules are the sources' ``RUNTIME_PATHS``: ``libpython/ceval.c``, ``libc/raise.c``, and
    ``faultlab/drive.py`` for faultlab's own files, whatever they are called.
    """
    if not path:
        return ""
    if path.startswith(_PACKAGE):
        path = "faultlab/" + path[len(_PACKAGE):]
    for rule in RUNTIME_PATHS:
        if rule.regex.search(path):
            return f"{rule.runtime}/{os.path.basename(path)}"
    return os.path.basename(path)


def sanitizer_stack(text: str) -> tuple[Frame, ...]:
    """The first stack of the first sanitizer report in ``text``: the faulting access."""
    frames: list[Frame] = []
    started = False
    for line in text.splitlines():
        m = asan.FRAME.match(line)
        if m and ("#" in line.lstrip()[:1]):
            n = int(m.group("n"))
            if started and n == 0:
                break
            started = True
            obj = m.group("obj") or m.group("obj2")
            file = m.group("file")
            module = _module(file if file and not obj else obj or file)
            line_no = int(m.group("line")) if m.group("line") else None
            # "#4 0x7f.. (/lib/libffi.so.8+0x6f79)": no symbol, and an address is no name.
            func = "??" if _BARE_ADDRESS.match(m.group("func")) else m.group("func")
            frames.append(Frame(func, module, line_no))
        elif started and not line.strip():
            break
    return tuple(frames)


def jvm_frames(text: str) -> tuple[Frame, ...]:
    """The frames of a JVM fatal error report that follow "Problematic frame:" (on stdout, one frame)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "Problematic frame:" in line), None)
    if start is None:
        return ()
    frames = []
    for line in lines[start + 1:]:
        native, java = jvm.NATIVE_FRAME.match(line), jvm.JAVA_FRAME.match(line)
        if native:
            frames.append(Frame(native.group("func"), _module(native.group("obj"))))
        elif java:
            frames.append(Frame(java.group("func"), "java"))
        else:
            break
    return tuple(frames)


def checked_jni_frames(text: str) -> tuple[Frame, ...]:
    """The Java stack under the first line of ``text`` (an -Xcheck:jni message): a native method's module is "native"."""
    frames = []
    for line in text.splitlines()[1:]:
        m = jvm.CHECKED_FRAME.match(line)
        if not m:
            break
        frames.append(Frame(m.group("func"), m.group("file") or "native", int(m.group("line")) if m.group("line") else None))
    return tuple(frames)


def rust_panic(text: str) -> tuple[re.Match | None, Frame | None, tuple[Frame, ...]]:
    """The first panic report in ``text``: its match (place and message), its place as a frame,
    and its ``RUST_BACKTRACE`` frames if it has any."""
    panic = rust.PANIC.search(text)
    if panic is None:
        return None, None, ()
    place = Frame("panic", _module(panic.group("file")), int(panic.group("line")))
    frames: list[Frame] = []
    lines = text[panic.end():].splitlines()[1:]
    if lines[:1] != ["stack backtrace:"]:
        return panic, place, ()
    for line in lines[1:]:
        place = rust.BACKTRACE_PLACE.match(line)
        if place and frames:
            frames[-1] = Frame(frames[-1].function, _module(place.group("file")), int(place.group("line")))
            continue
        m = rust.BACKTRACE_FRAME.match(line)
        if not m:
            break
        frames.append(Frame(rust.CRATE_HASH.sub("", m.group("func"))))
    return panic, place, tuple(frames)


def gdb_stack(lines: tuple[str, ...] | list[str]) -> tuple[Frame, ...]:
    frames = []
    for line in lines:
        frame = _gdb_frame(line.strip())
        if frame:
            frames.append(frame)
    return tuple(frames)


def _gdb_frame(line: str) -> Frame | None:
    """One gdb backtrace line: ``#N [0xADDR in] FUNC [(ARGS)] [at FILE:LINE | from OBJECT]``, or None."""
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
    return Frame(head.group("func"), _module(place.group("file") or place.group("obj")),
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
                frames.append(Frame(m.group("func"), _module(m.group("file")), int(m.group("line"))))
            if frames:
                return tuple(frames)
    last: list[Frame] = []
    current: list[Frame] | None = None
    for line in lines:
        if line.startswith("Traceback (most recent call last):"):
            current = []
            continue
        if current is not None:
            m = cpython.TRACEBACK_FRAME.match(line)
            if m:
                current.append(Frame(m.group("func"), _module(m.group("file")), int(m.group("line"))))
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
                threads[-1][1].append(Frame(m.group("func"), _module(m.group("file")), int(m.group("line"))))
    return [(header, tuple(frames)) for header, frames in threads]
