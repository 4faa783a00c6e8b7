"""Go's runtime: its panics, its fatal errors, the cgo pointer checks and the signals it catches, with goroutine stacks.

A Go program that panics, or whose runtime throws, prints the value or the error and the
stacks of its goroutines (the crashing one first), then exits 2::

    panic: runtime error: cgo argument has Go pointer to Go pointer

    goroutine 1 [running]:
    main.main.func1(0xc0ffffffff?)
    	/tmp/x/ptr.go:24 +0x2c

The cgo pointer check has three wordings: "cgo argument has Go pointer to Go pointer"
(before Go 1.21), "cgo argument has Go pointer to unpinned Go pointer" (1.21 to 1.25) and
"argument of cgo function has Go pointer to unpinned Go pointer" (1.26); the result's check
says "cgo result has Go pointer" and later "cgo result is unpinned Go pointer or points to
unpinned Go pointer". Under GODEBUG=cgocheck=2 (GOEXPERIMENT=cgocheck2 from 1.21) a store is
checked too: "fatal error: Go pointer stored into non-Go memory".

A signal in C code called through cgo is not a panic: up to Go 1.20 the runtime throws
"fatal error: unexpected signal during runtime execution" with ``[signal SIGSEGV:
segmentation violation code=0x1 addr=0x8 pc=0x485662]`` under it; later ones print
"SIGSEGV: segmentation violation", ``PC=0x47f5e6 m=0 sigcode=1 addr=0x0`` and "signal
arrived during cgo execution". Either way the C function is named only by its Go wrapper,
``main._Cfunc_crash(0x0)``, under ``runtime.cgocall``. A code of 0x1 or 0x2 (SEGV_MAPERR,
SEGV_ACCERR) is a fault at that address; another code is a signal someone sent, and its
"addr" is a pid, never an address.

Every marker here needs a failed run: a program that prints these words and exits 0 has
told a story, not failed. The markers come before UBSan's, which also say "runtime error:".
"""

from __future__ import annotations

import re

from ..verdict import Frame
from ._frames import module_name
from ._schema import Marker, Reading, RuntimePath

_FAILED = "and the run failed (a signal or a non-zero exit status)"
# The signal line under a throw or a nil dereference, of a fault (not a sent signal) near NULL / anywhere.
_NEAR_NULL = r"\n\[signal SIGSEGV: segmentation violation code=0x[12] addr=0x[0-9a-f]{1,3} pc=0x[0-9a-f]+\]"
_ANYWHERE = r"\n\[signal SIGSEGV: segmentation violation code=0x[0-9a-f]+ addr=0x[0-9a-f]+ pc=0x[0-9a-f]+\]"
_SIGNALLED = r"^(?:fatal error: unexpected signal during runtime execution|panic: runtime error: invalid memory address or nil pointer dereference)"
_CAUGHT = r"(?=\nPC=0x[0-9a-f]+ m=\S+(?: sigcode=\d+)?(?: addr=0x[0-9a-f]+)?\n)"  # under "SIGSEGV: segmentation violation"

MARKERS = (
    # The cgo pointer check: C may not be handed Go memory that holds Go pointers, nor return them.
    Marker("ffi-rule-violation", "go",
           r"^panic: runtime error: (?:cgo argument has Go pointer to (?:unpinned )?Go pointer"
           r"|argument of cgo function has Go pointer to unpinned Go \w+|cgo result (?:has|is unpinned) Go pointer"
           r"|result of cgo function (?:has|is unpinned) Go pointer).*",
           "panic: runtime error: cgo argument has Go pointer to Go pointer", _FAILED,
           precedence=321, mode="lifetime"),
    Marker("ffi-rule-violation", "go", r"^fatal error: Go pointer stored into non-Go memory$",
           "fatal error: Go pointer stored into non-Go memory", _FAILED, precedence=322, mode="lifetime"),
    Marker("null-deref", "go", _SIGNALLED + rf"(?={_NEAR_NULL})",
           "fatal error: unexpected signal during runtime execution\n"
           "[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x485662]", _FAILED, precedence=323),
    Marker("null-deref", "go", r"^SIGSEGV: segmentation violation(?=\nPC=0x[0-9a-f]+ m=\S+ sigcode=[12] addr=0x[0-9a-f]{1,3}\n)",
           "SIGSEGV: segmentation violation\nPC=0x1a1090d0e m=0 sigcode=1 addr=0x20\nsignal arrived during cgo execution",
           _FAILED, precedence=324),
    Marker("segv", "go", _SIGNALLED + rf"(?={_ANYWHERE})",
           "fatal error: unexpected signal during runtime execution\n"
           "[signal SIGSEGV: segmentation violation code=0x1 addr=0x12345678 pc=0x483920]", _FAILED,
           precedence=325),
    Marker("segv", "go", r"^SIGSEGV: segmentation violation" + _CAUGHT,
           "SIGSEGV: segmentation violation\nPC=0x1a2c29c20 m=16 sigcode=2\nsignal arrived during cgo execution",
           _FAILED, precedence=326),
    # A goroutine's stack grows to its limit (1 GB on 64-bit), then the runtime stops.
    Marker("stack-overflow", "go", r"^runtime: goroutine stack exceeds \d+-byte limit$",
           "runtime: goroutine stack exceeds 1000000000-byte limit", _FAILED, precedence=320),
    Marker("deadlock", "go", r"^fatal error: all goroutines are asleep - deadlock!$",
           "fatal error: all goroutines are asleep - deadlock!", _FAILED, precedence=327),
    Marker("oom", "go", r"^fatal error: (?:runtime: )?out of memory\b.*", "fatal error: out of memory", _FAILED,
           precedence=328),
    # abort() in C code called through cgo. After glibc's assertion marker, which names the condition.
    Marker("abort", "go", r"^SIGABRT: abort" + _CAUGHT,
           "SIGABRT: abort\nPC=0x7fe6998e9eec m=0 sigcode=18446744073709551610\nsignal arrived during cgo execution", _FAILED,
           precedence=487),
    # Any other panic: a goroutine's stack follows it (unless GOTRACEBACK=none), within a few lines of the value.
    Marker("uncaught-exception", "go",
           r"^panic: .*(?=(?:\n.*){0,24}?\ngoroutine \d+ (?:gp=0x[0-9a-f]+ m=\S+ mp=0x[0-9a-f]+ )?\[)",
           "panic: runtime error: index out of range [7] with length 3\n\ngoroutine 1 [running]:", "and the exit status is not 0",
           precedence=329),
)

# "goroutine 1 [running]:", "goroutine 1 gp=0xc000002380 m=0 mp=0x55e8e0 [syscall]:" (1.23+).
GOROUTINE = re.compile(r"^goroutine \d+ (?:gp=\S+ m=\S+ mp=\S+ )?\[[^\]\n]*\]:$", re.MULTILINE)
CALL = re.compile(r"^(?P<func>\S.*?)\([^()\n]*\)(?: in goroutine \d+)?$")
# "\t/tmp/x/ptr.go:24 +0x2c fp=0xc00004ce98 sp=...": a tab, or spaces where a log was pasted.
PLACE = re.compile(r"^[ \t]+(?P<file>.+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?(?: fp=.*)?$")
CGO_WRAPPER = re.compile(r"(?:^|\.)_Cfunc_(?P<c>\w+)$")
SIGNAL_LINE = re.compile(r"^\[signal (?P<signal>SIG\w+): [^\n]*? code=(?P<code>0x[0-9a-f]+) addr=(?P<addr>0x[0-9a-f]+) pc=0x[0-9a-f]+\]$"
                         r"|^(?P<caught>SIG\w+): .*\nPC=0x[0-9a-f]+ m=\S+(?: sigcode=(?P<sigcode>\d+))?(?: addr=(?P<sigaddr>0x[0-9a-f]+))?$",
                         re.MULTILINE)

RUNTIME_PATHS = (
    # The toolchain's sources: Debian's /usr/lib/go-1.19/src/runtime/, the tarball's /usr/local/go/src/, a toolchain
    # module's; under -trimpath, runtime/panic.go. (Go's own panic() frame is named "panic": its path gives it away.)
    RuntimePath(r"(?:^|/)(?:go(?:-\d+(?:\.\d+)*)?|golang\.org/toolchain@[^/]+)/src/(?:runtime|internal|sync|syscall)/"
                r"|^(?:runtime|internal/\w+)/[\w/]*\.(?:go|s)$", "go-runtime", precedence=75),
)
RUNTIME_MODULES = (r"go-runtime/", r"<autogenerated>")
RUNTIME_FUNCTIONS = (r"runtime\..*", r"runtime/cgo\..*", r"_cgo_\w+")


def goroutine_frames(text: str) -> tuple[Frame, ...]:
    """The frames of the first goroutine in ``text`` (Go prints the crashing one first), innermost first.

    A cgo wrapper, ``main._Cfunc_crash``, is the C function it calls: ``crash (cgo)``.
    """
    start = GOROUTINE.search(text)
    if start is None:
        return ()
    frames: list[Frame] = []
    lines = text[start.end():start.end() + 100_000].split("\n")[1:401]  # Go prints at most 100 frames a goroutine
    for call, place in zip(lines[::2], lines[1::2]):
        c, p = CALL.match(call), PLACE.match(place)
        if c is None or p is None:
            break
        function = c.group("func")
        wrapper = CGO_WRAPPER.search(function)
        if wrapper:
            frames.append(Frame(wrapper.group("c"), "cgo"))
        else:
            frames.append(Frame(function, module_name(p.group("file")), int(p.group("line"))))
    return tuple(frames)


# The runtime's own panics (a fixed set of messages, numbers aside); a program's panic value is its own business.
RUNTIME_PANIC = re.compile(r"^(?:runtime error: [^:\[\d]*|assignment to entry in nil map|close of (?:closed|nil) channel"
                           r"|send on closed channel)")


def runtime_panic(value: str) -> tuple[str, ...]:
    """The runtime error a panic's value names, as words that tell it from another panic in the same function."""
    m = RUNTIME_PANIC.match(value)
    return (m.group(0).strip(),) if m else ()


def _signal(text: str) -> str:
    """What the report says of the signal: "SIGSEGV at 0x8" for a fault, "SIGABRT (raised, code -6)" for a sent one."""
    m = SIGNAL_LINE.search(text)
    if m is None:
        return "a signal"
    if m.group("signal"):
        name, code, addr = m.group("signal"), int(m.group("code"), 16), m.group("addr")
    else:
        name, code, addr = m.group("caught"), int(m.group("sigcode") or 0), m.group("sigaddr")
    code = code - 2 ** 64 if code >= 2 ** 63 else code  # Go prints a negative si_code as unsigned
    if code <= 0:  # SI_USER, SI_TKILL, ...: kill(), raise(), abort()
        return f"{name} (raised, code {code})"
    return f"{name} at {addr}" if addr else f"{name} (code {code})"


def _where(line: str, report: str, frames: tuple[Frame, ...]) -> str:
    if "\nsignal arrived during cgo execution" in report or any(f.module == "cgo" for f in frames[:3]):
        return "in C code called through cgo"
    if "\nsignal arrived during external code execution" in report:
        return "in a thread Go did not start"
    return "in Go code" if line.startswith("panic:") else "in the Go runtime"


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """The crashing goroutine as the stack; a headline that says Go's words and, for a signal, where it hit."""
    rest = text[match.start():]
    frames = goroutine_frames(rest)
    line = match.group(0)
    if marker.kind == "uncaught-exception":
        value = line.removeprefix("panic: ")
        return Reading(headline=f"Go panic: {value}", native_stack=frames, signature=runtime_panic(value))
    if marker.kind in ("null-deref", "segv", "abort"):
        caught = f"Go caught {_signal(rest[:400])} {_where(line, rest[:400], frames)}"
        told = "" if line.startswith("SIG") else ": " + line.removeprefix("panic: ").removeprefix("fatal error: ")
        return Reading(headline=caught + told, native_stack=frames)
    return Reading(native_stack=frames)
