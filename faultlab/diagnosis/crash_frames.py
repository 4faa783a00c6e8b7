"""The crashing thread's native frames: read from the crash handler's file, symbolized, and as a verdict's frames.

The file (``crash_handler``; its format at the top of ``_preload/crash_frames.c``)::

    faultlab-frames 1
    signal 11 code 1
    0x1159 write_null /home/me/.cache/faultlab/build/3f.../libnull.so
    0x6f79 - /lib/x86_64-linux-gnu/libffi.so.8
    end

is written by the child, so it is hostile like everything the child leaves: it is opened
without following a symlink and without blocking on a FIFO, must be a regular file, is
read to ``READ_CAP`` bytes at most, and is parsed line by line against one strict pattern
(``FRAME_LINE``), stopping at the first line that does not match; a file whose signal is
not the one that ended the child is ignored. The frames of the runtimes (libc, libpython,
libffi: the sources' ``RUNTIME_MODULES``) keep the name the handler gave them and are not
sent to the symbolizer: they are filtered out of every signature anyway.
"""

from __future__ import annotations

import os
import re

from . import report_files, symbolize
from .crash_handler import FRAMES_SUFFIX
from .outcome import CrashFrame, Outcome
from .verdict import Frame

READ_CAP = 64 * 1024
MAX_FRAMES = 64
HEADER = "faultlab-frames 1"
SIGNAL_LINE = re.compile(r"signal (?P<signal>\d{1,2}) code -?\d{1,6}")
FRAME_LINE = re.compile(r"0x(?P<offset>[0-9a-f]{1,16}) (?P<symbol>[!-~]{1,1024}) (?P<module>/[^\0]{0,4095}|\?)")
# Rust's legacy mangling leaves a hash on every demangled name: boom::write_through::h0123456789abcdef.
_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")


def read_file(dump_dir: str, pid: int, signal: int) -> tuple[CrashFrame, ...]:
    """The frames in ``dump_dir``/<pid>.frames, unsymbolized; () when it is missing, is not a regular
    file, does not start as the handler's files start, or names another signal."""
    text = report_files.read_left(os.path.join(dump_dir, f"{pid}{FRAMES_SUFFIX}"), READ_CAP)
    return () if text is None else parse(text, signal)


def parse(text: str, signal: int) -> tuple[CrashFrame, ...]:
    """The frames of a frame file's ``text``, if it is one for ``signal``; see the module's docstring."""
    lines = text.split("\n", MAX_FRAMES + 3)
    if len(lines) < 3 or lines[0] != HEADER:
        return ()
    header = SIGNAL_LINE.fullmatch(lines[1])
    if header is None or int(header.group("signal")) != signal:
        return ()
    frames = []
    for line in lines[2:MAX_FRAMES + 2]:
        m = FRAME_LINE.fullmatch(line)
        if m is None:
            break
        symbol = m.group("symbol")
        frames.append(CrashFrame(module="" if m.group("module") == "?" else m.group("module"),
                                 offset=int(m.group("offset"), 16), function="??" if symbol == "-" else symbol))
    return tuple(frames)


def _is_runtime(module: str) -> bool:
    # The sources are imported here, after a crash, not with the runner: the fork server imports
    # the runner, and every module it holds is a cost each fork pays (and its start-up).
    from .sources import RUNTIME_MODULES

    return bool(RUNTIME_MODULES.match(os.path.basename(module)))


def symbolized(frames: tuple[CrashFrame, ...], symbolizer: symbolize.Symbolizer | None = None) -> tuple[CrashFrame, ...]:
    """``frames`` with function, file and line from the symbolizer where it knows them (inlined calls
    become frames of their own); the handler's names elsewhere."""
    symbolizer = symbolizer or symbolize.shared()
    asked = [i for i, f in enumerate(frames) if f.module and not _is_runtime(f.module)]
    answers = symbolizer.locate([(frames[i].module, frames[i].offset) for i in asked]) if asked else []
    places = dict(zip(asked, answers))
    out: list[CrashFrame] = []
    for i, frame in enumerate(frames):
        known = [p for p in places.get(i, ()) if p.function != "??"]
        if not known:
            out.append(frame)
            continue
        for place in known:
            out.append(CrashFrame(frame.module, frame.offset, _RUST_HASH.sub("", place.function), place.file, place.line))
    return tuple(out[:MAX_FRAMES])


def collect(dump_dir: str, pid: int, signal: int) -> tuple[CrashFrame, ...]:
    """The crashing thread's frames that the handler in child ``pid`` wrote before ``signal`` ended it, symbolized."""
    frames = read_file(dump_dir, pid, signal)
    return symbolized(frames) if frames else ()


def verdict_frames(outcome: Outcome) -> tuple[Frame, ...]:
    """The outcome's crash frames as a verdict's: named by source file and line where the debug
    information says, else by module, with the runtime prefixes the sources give their paths."""
    from .sources._frames import module_name

    return tuple(Frame(f.function, module_name(f.file or f.module), f.line if f.file else None)
                 for f in outcome.crash_frames)
