"""AddressSanitizer: its error reports, the runtime that could not come first, and the frame syntax all four sanitizers share.

Frame syntax: ``#0 0x7f.. in read_kept /tmp/uaf.c:4`` or ``#1 0x7f.. in f (/lib/x.so+0x29)``;
TSan omits the address: ``#0 bump /tmp/uaf.c:6 (libuaf.so+0x1228)``; clang-16's runtimes end
a frame of an unsymbolized object with ``(BuildId: 7f32...)``, which is no part of its name.
The runtime's own frames (interceptors, the report machinery) sit on top of every stack;
sanitizer_common, which ASan, TSan, UBSan and LSan all carry, is named here once.
"""

from __future__ import annotations

import re

from ..verdict import Frame
from ._frames import module_name
from ._schema import Marker, Reading, RuntimePath

_ASAN = r"ERROR: AddressSanitizer: "

MARKERS = (
    # The runtime could not start.
    Marker("sanitizer-setup-error", "asan", r"ASan runtime does not come first in initial library list.*",
           "==1==ASan runtime does not come first in initial library list; you should either link runtime to your application or manually preload it with LD_PRELOAD.",
           precedence=40),
    Marker("null-deref", "asan", _ASAN + r"SEGV on unknown address (?:0x0{0,13}[0-9a-f]{1,3}|\(nil\)|0x000000000[0-9a-f]{0,3})\b.*",
           "==12==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x7f3 bp 0x7ffc sp 0x7ffc T0)",
           precedence=80),
    Marker("segv", "asan", _ASAN + r"SEGV on unknown address.*",
           "==12==ERROR: AddressSanitizer: SEGV on unknown address 0x602000000010 (pc 0x7f3 bp 0x7ffc sp 0x7ffc T0)",
           precedence=90),
    Marker("bus-error", "asan", _ASAN + r"BUS on unknown address.*", "==12==ERROR: AddressSanitizer: BUS on unknown address 0x7f0000000000",
           precedence=100),
    Marker("fpe", "asan", _ASAN + r"FPE on unknown address.*", "==12==ERROR: AddressSanitizer: FPE on unknown address 0x7f3 (pc 0x7f3 ...)",
           precedence=110),
    Marker("illegal-instruction", "asan", _ASAN + r"ILL on unknown address.*", "==12==ERROR: AddressSanitizer: ILL on unknown address 0x7f3",
           precedence=120),
    Marker("heap-use-after-free", "asan", _ASAN + r"heap-use-after-free.*",
           "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x606000 at pc 0x7f bp 0x7ffd sp 0x7ffd",
           precedence=130),
    Marker("heap-buffer-overflow", "asan", _ASAN + r"heap-buffer-overflow.*",
           "==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000015 at pc 0x7f bp 0x7ffd sp 0x7ffd",
           precedence=140),
    # An access wider than 16 bytes (a struct copy, a memcpy inlined) that starts in bounds
    # and ends past them: ASan calls it unknown-crash, and its address description says where.
    Marker("heap-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ bytes to the (?:right|left) of \d+-byte region)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x606000f9a7f0 at pc 0x7f bp 0x7ffd sp 0x7ffd\n"
           "READ of size 24 at 0x606000f9a7f0 thread T0\n"
           "0x606000f9a800 is located 0 bytes to the right of 64-byte region [0x606000f9a7c0,0x606000f9a800)",
           precedence=150),
    Marker("global-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ bytes to the (?:right|left) of global variable)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x55d0 at pc 0x7f bp 0x7ffd sp 0x7ffd\n"
           "READ of size 32 at 0x55d0 thread T0\n"
           "0x55e0 is located 0 bytes to the right of global variable 'table' defined in 'lookup.c:3:13' (0x55d0) of size 16",
           precedence=160),
    Marker("stack-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\nAddress 0x[0-9a-f]+ is located in stack of thread)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x7ffc67a7eb40 at pc 0x7f bp 0x7ffc sp 0x7ffc\n"
           "READ of size 24 at 0x7ffc67a7eb40 thread T0\n"
           "Address 0x7ffc67a7eb40 is located in stack of thread T0 at offset 32 in frame",
           precedence=170),
    Marker("stack-buffer-overflow", "asan", _ASAN + r"stack-buffer-(?:overflow|underflow).*",
           "==12==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd at pc 0x55 bp 0x7ffd sp 0x7ffd",
           precedence=180),
    Marker("global-buffer-overflow", "asan", _ASAN + r"global-buffer-overflow.*",
           "==12==ERROR: AddressSanitizer: global-buffer-overflow on address 0x55 at pc 0x55 bp 0x7ffd sp 0x7ffd",
           precedence=190),
    Marker("stack-use-after-return", "asan", _ASAN + r"stack-use-after-return.*",
           "==12==ERROR: AddressSanitizer: stack-use-after-return on address 0x7f2 at pc 0x7f bp 0x7ffd sp 0x7ffd",
           precedence=200),
    Marker("stack-use-after-scope", "asan", _ASAN + r"stack-use-after-scope.*",
           "==12==ERROR: AddressSanitizer: stack-use-after-scope on address 0x7ffd at pc 0x55 bp 0x7ffd sp 0x7ffd",
           precedence=210),
    Marker("use-after-poison", "asan", _ASAN + r"use-after-poison.*",
           "==12==ERROR: AddressSanitizer: use-after-poison on address 0x6 at pc 0x7f bp 0x7ffd sp 0x7ffd",
           precedence=220),
    Marker("double-free", "asan", _ASAN + r"attempting double-free.*",
           "==12==ERROR: AddressSanitizer: attempting double-free on 0x602000000010 in thread T0:",
           precedence=230),
    Marker("invalid-free", "asan", _ASAN + r"attempting free on address which was not malloc\(\)-ed.*",
           "==12==ERROR: AddressSanitizer: attempting free on address which was not malloc()-ed: 0x7ffd in thread T0",
           precedence=240),
    Marker("alloc-dealloc-mismatch", "asan", _ASAN + r"alloc-dealloc-mismatch.*",
           "==12==ERROR: AddressSanitizer: alloc-dealloc-mismatch (operator new vs free) on 0x602000000010",
           precedence=250),
    Marker("oom", "asan", _ASAN + r"(?:out of memory|allocation-size-too-big|requested allocation size .* exceeds|malloc limit).*",
           "==12==ERROR: AddressSanitizer: out of memory: allocator is trying to allocate 0x40000000 bytes",
           precedence=260),
)

# The function ends on a non-space, so a run of blanks is scanned once, not once per blank.
FRAME = re.compile(
    r"^\s*#(?P<n>\d+)\s+(?:0x[0-9a-f]+\s+in\s+)?(?P<func>\S(?:.*?\S)?)\s+"
    r"(?:\((?P<obj>[^()]+?)\+0x[0-9a-f]+\)|(?P<file>\S+?)(?::(?P<line>\d+))?(?::\d+)?(?:\s+\((?P<obj2>[^()]+?)\+0x[0-9a-f]+\))?)"
    r"(?:\s+\(BuildId: [0-9a-f]+\))?\s*$"
)

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)(?:libsanitizer|compiler-rt)/", "libsanitizer", precedence=50),
)
RUNTIME_MODULES = (r"libsanitizer/", r"libasan")
RUNTIME_FUNCTIONS = (r"__interceptor_.*", r"__sanitizer.*", r"__asan.*")

_BARE_ADDRESS = re.compile(r"^0x[0-9a-f]+$")


def stack(text: str) -> tuple[Frame, ...]:
    """The first stack in ``text`` (a sanitizer report from its headline on): the faulting access."""
    frames: list[Frame] = []
    started = False
    for line in text.splitlines():
        m = FRAME.match(line)
        if m and ("#" in line.lstrip()[:1]):
            n = int(m.group("n"))
            if started and n == 0:
                break
            started = True
            obj = m.group("obj") or m.group("obj2")
            file = m.group("file")
            module = module_name(file if file and not obj else obj or file)
            line_no = int(m.group("line")) if m.group("line") else None
            # "#4 0x7f.. (/lib/libffi.so.8+0x6f79)": no symbol, and an address is no name.
            func = "??" if _BARE_ADDRESS.match(m.group("func")) else m.group("func")
            frames.append(Frame(func, module, line_no))
        elif started and not line.strip():
            break
    return tuple(frames)


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """A sanitizer report's first stack, under its headline (TSan, UBSan and LSan read theirs the same way)."""
    return Reading(native_stack=stack(text[match.start():]))
