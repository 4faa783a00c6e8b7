"""AddressSanitizer: its error reports, the runtime that could not come first, and the frame syntax all four sanitizers share.

Frame syntax: ``#0 0x7f.. in read_kept /tmp/uaf.c:4`` or ``#1 0x7f.. in f (/lib/x.so+0x29)``;
TSan omits the address: ``#0 bump /tmp/uaf.c:6 (libuaf.so+0x1228)``; clang-16's runtimes end
a frame of an unsymbolized object with ``(BuildId: 7f32...)``, which is no part of its name.
A frame may have no place at all (``#0 0xaf036287 in strlen``), a name with blanks
(``operator new[](unsigned long)``, ``Box<int>::get(int) const``) or no name
(``#0 0x7fd3 (<unknown module>)``, code no module owns). The runtime's own frames
(interceptors, the report machinery) sit on top of every stack.

sanitizer_common, which ASan, TSan, UBSan and LSan all carry, is named here once: its
deadly-signal reports (``ERROR: UndefinedBehaviorSanitizer: FPE on unknown address``, ASan's
``ABRT`` under ``handle_abort=1``), its stack overflow and its allocator's limits come from
any of the four, and are labelled ``sanitizer``.
"""

from __future__ import annotations

import re

from ..verdict import Frame
from ._frames import module_name
from . import _abort_messages
from ._schema import Marker, Reading, RuntimePath

_ASAN = r"ERROR: AddressSanitizer: "
# sanitizer_common's reports, whichever sanitizer carries it.
_ANY = r"ERROR: (?:Address|UndefinedBehavior|Thread|Memory|Leak|HWAddress)Sanitizer: "
# Where ASan says the bad address lies: gcc 12's runtime says "to the right of", clang 16's "after".
_BEYOND = r"bytes (?:to the (?:right|left) of|after|before)"

MARKERS = (
    # The runtime could not start.
    Marker("sanitizer-setup-error", "asan", r"ASan runtime does not come first in initial library list.*",
           "==1==ASan runtime does not come first in initial library list; you should either link runtime to your application or manually preload it with LD_PRELOAD.",
           precedence=40),
    Marker("stack-overflow", "sanitizer", _ANY + r"stack-overflow on address.*",
           "==12==ERROR: AddressSanitizer: stack-overflow on address 0x7ffe2615bff8 (pc 0x5639 bp 0x7ffe sp 0x7ffe T0)",
           precedence=75),
    Marker("null-deref", "sanitizer", _ANY + r"SEGV on unknown address (?:0x0{0,13}[0-9a-f]{1,3}|\(nil\)|0x000000000[0-9a-f]{0,3})\b.*",
           "==12==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x7f3 bp 0x7ffc sp 0x7ffc T0)",
           precedence=80),
    Marker("segv", "sanitizer", _ANY + r"SEGV on unknown address.*",
           "==12==ERROR: AddressSanitizer: SEGV on unknown address 0x602000000010 (pc 0x7f3 bp 0x7ffc sp 0x7ffc T0)",
           precedence=90),
    Marker("bus-error", "sanitizer", _ANY + r"BUS on unknown address.*", "==12==ERROR: AddressSanitizer: BUS on unknown address 0x7f0000000000",
           precedence=100),
    Marker("fpe", "sanitizer", _ANY + r"FPE on unknown address.*",
           "==18879==ERROR: UndefinedBehaviorSanitizer: FPE on unknown address 0x55a250443793 (pc 0x55a250443793 bp 0x7ffd sp 0x7ffd T18879)",
           precedence=110),
    Marker("illegal-instruction", "sanitizer", _ANY + r"ILL on unknown address.*", "==12==ERROR: AddressSanitizer: ILL on unknown address 0x7f3",
           precedence=120),
    # An abort under a sanitizer that handles SIGABRT (handle_abort=1, as libFuzzer sets it):
    # the assertion, CHECK or C++ exception printed before it is the headline.
    Marker("abort", "sanitizer", _ANY + r"ABRT on unknown address.*",
           "==16051==ERROR: AddressSanitizer: ABRT on unknown address 0x000000003eb3 (pc 0x7fbf bp 0x7fbf sp 0x7ffe T0)",
           precedence=122),
    Marker("trap", "sanitizer", _ANY + r"TRAP on unknown address.*",
           "==12==ERROR: AddressSanitizer: TRAP on unknown address 0x55d0 (pc 0x55d0 bp 0x7ffc sp 0x7ffc T0)",
           precedence=124),
    Marker("heap-use-after-free", "asan", _ASAN + r"heap-use-after-free.*",
           "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x606000 at pc 0x7f bp 0x7ffd sp 0x7ffd",
           precedence=130),
    Marker("heap-buffer-overflow", "asan", _ASAN + r"heap-buffer-overflow.*",
           "==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000015 at pc 0x7f bp 0x7ffd sp 0x7ffd",
           precedence=140),
    # An access wider than 16 bytes (a struct copy, a memcpy inlined) that starts in bounds
    # and ends past them: ASan calls it unknown-crash, and its address description says where.
    Marker("heap-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ " + _BEYOND + r" \d+-byte region)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x606000f9a7f0 at pc 0x7f bp 0x7ffd sp 0x7ffd\n"
           "READ of size 24 at 0x606000f9a7f0 thread T0\n"
           "0x606000f9a800 is located 0 bytes to the right of 64-byte region [0x606000f9a7c0,0x606000f9a800)",
           precedence=150),
    Marker("global-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ " + _BEYOND + r" global variable)",
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
    # Without a line that places the address, ASan knows only that the access was bad.
    Marker("unknown-crash", "asan", _ASAN + r"unknown-crash.*",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x10007fff8000 at pc 0x55 bp 0x7ffc sp 0x7ffc",
           precedence=175),
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
    # An annotated container (std::vector with _GLIBCXX_SANITIZE_VECTOR, libc++) read or written
    # between its size and its capacity: inside the heap block, past the container's end.
    Marker("container-overflow", "asan", _ASAN + r"container-overflow.*",
           "==17510==ERROR: AddressSanitizer: container-overflow on address 0x603000000044 at pc 0x561d bp 0x7ffe sp 0x7ffe",
           precedence=215),
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
    # The allocator's limits, in every sanitizer's words.
    Marker("oom", "sanitizer", _ANY + r"(?:out of memory|allocation-size-too-big|requested allocation size .* exceeds|malloc limit).*",
           "==17576==ERROR: AddressSanitizer: requested allocation size 0xffffffffffffffff (0x800 after adjustments for alignment, "
           "red zones etc.) exceeds maximum supported size of 0x10000000000 (thread T0)",
           precedence=260),
)

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)(?:libsanitizer|compiler-rt)/", "libsanitizer", precedence=50),
)
RUNTIME_MODULES = (r"libsanitizer/", r"libasan")
# The allocator's entry points, which a statically linked runtime names without a prefix.
RUNTIME_FUNCTIONS = (r"__interceptor_.*", r"__sanitizer.*", r"__asan.*", r"(?:malloc|calloc|realloc|free)",
                     r"operator (?:new|delete)(?:\[\])?\(.*\)")

# A frame is read from both ends, never by one regex of optional parts: the head
# (``#3 0x7f.. in``), then from the right the object (``(libx.so+0x29)``, ``(<unknown module>)``)
# and the source place, and whatever lies between is the function, blanks and all.
_HEAD = re.compile(r"\s*#(?P<n>\d+)\s+(?:0x[0-9a-f]+\b\s*(?:in\b\s*)?)?")
_BUILD_ID = re.compile(r"\s*\(BuildId: [0-9a-f]+\)$")
_OBJECT = re.compile(r"\s*\((?P<obj>[^()]+?\+0x[0-9a-f]+|<unknown module>)\)$")
# The last word, when it is a place: a path, a file name, or anything with a line (TSan's "<null>" is no place).
_PLACE = re.compile(r"(?:^|\s)(?P<file>[^\s(]+?)(?::(?P<line>\d+))?(?::\d+)?$")
_SOURCE_FILE = re.compile(r"/|\.[A-Za-z]{1,4}$")
_BARE_ADDRESS = re.compile(r"^0x[0-9a-f]+$")
_OFFSET = re.compile(r"\+0x[0-9a-f]+$")  # "foo+0x1c": a symbol and an offset into it


def frame(line: str) -> tuple[int, Frame] | None:
    """One frame line of a sanitizer stack: its number and its frame, or None when it is not one.

    No address ever becomes a name: a frame without a symbol is ``??``, code no module
    owns has no module, and ``foo+0x1c`` is ``foo``.
    """
    head = _HEAD.match(line)
    if not head:
        return None
    rest = _BUILD_ID.sub("", line[head.end():].rstrip())
    obj = _OBJECT.search(rest)
    if obj:
        rest = rest[:obj.start()]
    place = _PLACE.search(rest)
    if place and not (place.group("file") == "<null>" or place.group("line") or _SOURCE_FILE.search(place.group("file"))):
        place = None  # "long)" of "operator new[](unsigned long)" is no place
    if place and not rest[:place.start()].strip() and place.group("file") != "<null>":
        place = None  # a lone word is the function's name ("#0 0xaf036287 in strlen"), not a file
    func = _OFFSET.sub("", (rest[:place.start()] if place else rest).strip())
    if not func or _BARE_ADDRESS.match(func):
        func = "??"
    file = place.group("file") if place and place.group("file") != "<null>" else None
    obj_name = obj.group("obj") if obj else None
    obj_name = None if obj_name == "<unknown module>" else obj_name and _OFFSET.sub("", obj_name)
    module = module_name(file if file and not obj_name else obj_name or file)
    line_no = int(place.group("line")) if file and place.group("line") else None
    return int(head.group("n")), Frame(func, module, line_no)


def stack(text: str) -> tuple[Frame, ...]:
    """The first stack in ``text`` (a sanitizer report from its headline on): the faulting access."""
    frames: list[Frame] = []
    started = False
    for line in text.splitlines():
        parsed = frame(line)
        if parsed:
            n, parsed_frame = parsed
            if started and n == 0:
                break
            started = True
            frames.append(parsed_frame)
        elif started and not line.strip():
            break
    return tuple(frames)


# The access the report names: "READ of size 4 at", TSan's "  Write of size 8 at", "  Atomic
# read of size 4", and for a deadly signal "==1==The signal is caused by a WRITE memory access."
_ACCESS = re.compile(r"^\s*(?:Atomic )?(?P<rw>READ|WRITE|Read|Write|read|write) of size (?P<size>\d+)"
                     r"|^(?:==\d+==)?The signal is caused by a (?P<signal_rw>READ|WRITE) memory access", re.MULTILINE)
_REPORT_HEAD = 4096  # the access line follows the headline within a few lines


def access(report: str) -> tuple[str | None, int | None]:
    """READ or WRITE and the size, from the access line under a report's headline (None, None without one)."""
    m = _ACCESS.search(report, 0, _REPORT_HEAD)
    if not m:
        return None, None
    if m.group("signal_rw"):
        return m.group("signal_rw"), None
    return m.group("rw").upper(), int(m.group("size"))


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """A sanitizer report's first stack and its access, under its headline (TSan, UBSan and LSan read theirs the same way).

    A deadly signal that is an abort on purpose (an assertion, a CHECK, a C++ exception)
    takes the message printed before it as its headline.
    """
    report = text[match.start():]
    rw, size = access(report)
    headline, kind = None, None
    if marker.kind in ("abort", "trap"):
        message = _abort_messages.last_before(text, match.start())
        if message is not None:
            headline, kind = message.headline, message.kind
    return Reading(headline=headline, kind=kind, native_stack=stack(report), access=rw, access_size=size)
