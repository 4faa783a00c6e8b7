"""Rust's standard library: the panic message, and the abort of a panic that reached an ``extern "C"`` fn.

Since Rust 1.81 a panic may not unwind out of an ``extern "C"`` function: the runtime
panics a second time ("panic in a function that cannot unwind") and aborts, so the
foreign caller never hears of the error. A panic in a Rust program's own thread unwinds
it and exits 101. Either way the first report names the panic's place and message::

    thread '<unnamed>' (22895) panicked at boom.rs:4:5:
    index out of bounds: the len is 3 but the index is 7

(the thread id in parentheses is new in 1.9x). Under ``RUST_BACKTRACE=1`` a backtrace
follows, ``  3: checked_index`` with ``at ./boom.rs:4:5`` on the next line (``=full``
adds addresses, ``19:     0x7fd6ec1fa87c - checked_index``, and crate hashes,
``core[c1f1a4ba060b9bfa]::panicking``).
"""

from __future__ import annotations

import re

from ..verdict import Frame
from ._frames import module_name
from ._schema import Marker, Reading, RuntimePath

MARKERS = (
    # Before faulthandler's "Fatal Python error: Aborted": the abort is the panic's.
    Marker("ffi-rule-violation", "rust", r"^(?:panic in a function that cannot unwind|thread caused non-unwinding panic\. aborting\.)$",
           "panic in a function that cannot unwind", precedence=484, mode="swallowed-error"),
    # The guard page of a Rust thread's stack: the runtime names it before it aborts.
    Marker("stack-overflow", "rust", r"^thread '[^'\n]*'(?: \(\d+\))? has overflowed its stack$",
           "thread 'main' has overflowed its stack", precedence=485),
    Marker("uncaught-exception", "rust", r"^thread '[^'\n]*'(?: \(\d+\))? panicked at .*",
           "thread 'main' (22896) panicked at main.rs:4:21:", "and the exit status is not 0", precedence=486),
)

PANIC = re.compile(r"^thread '[^'\n]*'(?: \(\d+\))? panicked at (?P<file>.+?):(?P<line>\d+):(?P<column>\d+):\n(?P<message>.*)$",
                   re.MULTILINE)
BACKTRACE_FRAME = re.compile(r"^\s*\d+:\s+(?:0x[0-9a-f]+ - )?(?P<func>\S.*\S|\S)\s*$")
BACKTRACE_PLACE = re.compile(r"^\s+at (?P<file>.+?):(?P<line>\d+)(?::\d+)?\s*$")
CRATE_HASH = re.compile(r"\[[0-9a-f]{16}\]")

RUNTIME_PATHS = (
    # The standard library's sources, as rustc records them: /rustc/<commit>/library/std/src/panicking.rs.
    RuntimePath(r"^/rustc/[0-9a-f]+/library/", "rust-std", precedence=70),
)
RUNTIME_MODULES = (r"rust-std/",)
RUNTIME_FUNCTIONS = (
    r"(?:__rustc::)?rust_begin_unwind", r"__rust_start_panic", r"rust_panic", r"__rust_end_short_backtrace.*",
    r"(?:core|std)::panicking::.*", r"core::(?:result|option)::(?:unwrap|expect)_failed",
    r"std::rt::lang_start.*", r"std::sys::backtrace::.*", r"core::ops::function::.*",
    r"core::slice::index::.*", r"<.* as core::(?:ops::index::Index|slice::index::SliceIndex)<.*>>::index",
)


def panic_report(text: str) -> tuple[re.Match | None, Frame | None, tuple[Frame, ...]]:
    """The first panic report in ``text``: its match (place and message), its place as a frame,
    and its ``RUST_BACKTRACE`` frames if it has any."""
    panic = PANIC.search(text)
    if panic is None:
        return None, None, ()
    place = Frame("panic", module_name(panic.group("file")), int(panic.group("line")))
    frames: list[Frame] = []
    lines = text[panic.end():].splitlines()[1:]
    if lines[:1] != ["stack backtrace:"]:
        return panic, place, ()
    for line in lines[1:]:
        at = BACKTRACE_PLACE.match(line)
        if at and frames:
            frames[-1] = Frame(frames[-1].function, module_name(at.group("file")), int(at.group("line")))
            continue
        m = BACKTRACE_FRAME.match(line)
        if not m:
            break
        frames.append(Frame(CRATE_HASH.sub("", m.group("func"))))
    return panic, place, tuple(frames)


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """The first panic's message and place as the headline; its backtrace as the stack; its report as evidence."""
    panic, place, frames = panic_report(text)
    if panic is None:
        return Reading()
    where = f"{panic.group('file')}:{panic.group('line')}:{panic.group('column')}"
    escaped = " escaped an extern \"C\" function" if marker.kind == "ffi-rule-violation" else ""
    return Reading(headline=f"Rust panic{escaped} at {where}: {panic.group('message').strip()}", native_stack=frames,
                   place=place, evidence=tuple(panic.group(0).splitlines()))
