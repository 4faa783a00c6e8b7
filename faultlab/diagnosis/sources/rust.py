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

from ._schema import Marker, RuntimePath

MARKERS = (
    # Before faulthandler's "Fatal Python error: Aborted": the abort is the panic's.
    Marker("panic-across-ffi", "rust", r"^(?:panic in a function that cannot unwind|thread caused non-unwinding panic\. aborting\.)$",
           "panic in a function that cannot unwind", precedence=484),
    Marker("panic", "rust", r"^thread '[^'\n]*'(?: \(\d+\))? panicked at .*",
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
