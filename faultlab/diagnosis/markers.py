"""The classifier's markers: every string that decides a verdict, with an example of it.

Order matters: the first marker that matches wins, so specific reports (a sanitizer's
headline, glibc's allocator message) come before generic ones (a signal, a traceback).
Markers with no pattern are decided by the exit status alone; their ``condition`` says how.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Marker:
    kind: str
    source: str  # who prints it: asan, tsan, ubsan, lsan, glibc, cpython, ctypes, cffi, faultlab, kernel
    pattern: str | None
    example: str
    condition: str = ""

    @property
    def regex(self) -> re.Pattern | None:
        return _compiled(self.pattern) if self.pattern else None


_cache: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    if pattern not in _cache:
        _cache[pattern] = re.compile(pattern, re.MULTILINE)
    return _cache[pattern]


_ASAN = r"ERROR: AddressSanitizer: "

MARKERS: tuple[Marker, ...] = (
    # The program's own oracle, raised on purpose.
    Marker("swallowed-error", "faultlab", r"Detected: swallowed-error: .*",
           "faultlab.Detected: swallowed-error: write() returned -1 (ENOSPC) and 12 bytes were lost"),
    Marker("silent-corruption", "faultlab", r"Detected: silent-corruption: .*",
           "faultlab.Detected: silent-corruption: round trip changed '😀' into '\\udcf0...'"),
    Marker("abi-mismatch", "faultlab", r"Detected: abi-mismatch: .*",
           "faultlab.Detected: abi-mismatch: asked for OP_SCALE (1), library performed OP_NEGATE"),
    # Sanitizer runtimes that could not start.
    Marker("sanitizer-setup-error", "asan", r"ASan runtime does not come first in initial library list.*",
           "==1==ASan runtime does not come first in initial library list; you should either link runtime to your application or manually preload it with LD_PRELOAD."),
    Marker("sanitizer-setup-error", "tsan", r"^.*?cannot allocate memory in static TLS block.*",
           "OSError: /usr/lib/x86_64-linux-gnu/libtsan.so.2: cannot allocate memory in static TLS block"),
    Marker("sanitizer-setup-error", "ld.so", r"undefined symbol: __(?:asan|tsan|ubsan|sanitizer)_\w+.*",
           "OSError: ./libwidget_asan.so: undefined symbol: __asan_report_load4"),
    Marker("sanitizer-setup-error", "tsan", r"FATAL: ThreadSanitizer: unexpected memory mapping.*",
           "FATAL: ThreadSanitizer: unexpected memory mapping 0x7f8a1c000000-0x7f8a1c200000"),
    # AddressSanitizer / LeakSanitizer.
    Marker("null-deref", "asan", _ASAN + r"SEGV on unknown address (?:0x0{0,13}[0-9a-f]{1,3}|\(nil\)|0x000000000[0-9a-f]{0,3})\b.*",
           "==12==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x7f3 bp 0x7ffc sp 0x7ffc T0)"),
    Marker("segv", "asan", _ASAN + r"SEGV on unknown address.*",
           "==12==ERROR: AddressSanitizer: SEGV on unknown address 0x602000000010 (pc 0x7f3 bp 0x7ffc sp 0x7ffc T0)"),
    Marker("bus-error", "asan", _ASAN + r"BUS on unknown address.*", "==12==ERROR: AddressSanitizer: BUS on unknown address 0x7f0000000000"),
    Marker("fpe", "asan", _ASAN + r"FPE on unknown address.*", "==12==ERROR: AddressSanitizer: FPE on unknown address 0x7f3 (pc 0x7f3 ...)"),
    Marker("illegal-instruction", "asan", _ASAN + r"ILL on unknown address.*", "==12==ERROR: AddressSanitizer: ILL on unknown address 0x7f3"),
    Marker("heap-use-after-free", "asan", _ASAN + r"heap-use-after-free.*",
           "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x606000 at pc 0x7f bp 0x7ffd sp 0x7ffd"),
    Marker("heap-buffer-overflow", "asan", _ASAN + r"heap-buffer-overflow.*",
           "==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000015 at pc 0x7f bp 0x7ffd sp 0x7ffd"),
    # An access wider than 16 bytes (a struct copy, a memcpy inlined) that starts in bounds
    # and ends past them: ASan calls it unknown-crash, and its address description says where.
    Marker("heap-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ bytes to the (?:right|left) of \d+-byte region)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x606000f9a7f0 at pc 0x7f bp 0x7ffd sp 0x7ffd\n"
           "READ of size 24 at 0x606000f9a7f0 thread T0\n"
           "0x606000f9a800 is located 0 bytes to the right of 64-byte region [0x606000f9a7c0,0x606000f9a800)"),
    Marker("global-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ bytes to the (?:right|left) of global variable)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x55d0 at pc 0x7f bp 0x7ffd sp 0x7ffd\n"
           "READ of size 32 at 0x55d0 thread T0\n"
           "0x55e0 is located 0 bytes to the right of global variable 'table' defined in 'lookup.c:3:13' (0x55d0) of size 16"),
    Marker("stack-buffer-overflow", "asan",
           _ASAN + r"unknown-crash.*(?=(?:\n.*)*?\nAddress 0x[0-9a-f]+ is located in stack of thread)",
           "==12==ERROR: AddressSanitizer: unknown-crash on address 0x7ffc67a7eb40 at pc 0x7f bp 0x7ffc sp 0x7ffc\n"
           "READ of size 24 at 0x7ffc67a7eb40 thread T0\n"
           "Address 0x7ffc67a7eb40 is located in stack of thread T0 at offset 32 in frame"),
    Marker("stack-buffer-overflow", "asan", _ASAN + r"stack-buffer-(?:overflow|underflow).*",
           "==12==ERROR: AddressSanitizer: stack-buffer-overflow on address 0x7ffd at pc 0x55 bp 0x7ffd sp 0x7ffd"),
    Marker("global-buffer-overflow", "asan", _ASAN + r"global-buffer-overflow.*",
           "==12==ERROR: AddressSanitizer: global-buffer-overflow on address 0x55 at pc 0x55 bp 0x7ffd sp 0x7ffd"),
    Marker("stack-use-after-return", "asan", _ASAN + r"stack-use-after-return.*",
           "==12==ERROR: AddressSanitizer: stack-use-after-return on address 0x7f2 at pc 0x7f bp 0x7ffd sp 0x7ffd"),
    Marker("stack-use-after-scope", "asan", _ASAN + r"stack-use-after-scope.*",
           "==12==ERROR: AddressSanitizer: stack-use-after-scope on address 0x7ffd at pc 0x55 bp 0x7ffd sp 0x7ffd"),
    Marker("use-after-poison", "asan", _ASAN + r"use-after-poison.*",
           "==12==ERROR: AddressSanitizer: use-after-poison on address 0x6 at pc 0x7f bp 0x7ffd sp 0x7ffd"),
    Marker("double-free", "asan", _ASAN + r"attempting double-free.*",
           "==12==ERROR: AddressSanitizer: attempting double-free on 0x602000000010 in thread T0:"),
    Marker("invalid-free", "asan", _ASAN + r"attempting free on address which was not malloc\(\)-ed.*",
           "==12==ERROR: AddressSanitizer: attempting free on address which was not malloc()-ed: 0x7ffd in thread T0"),
    Marker("alloc-dealloc-mismatch", "asan", _ASAN + r"alloc-dealloc-mismatch.*",
           "==12==ERROR: AddressSanitizer: alloc-dealloc-mismatch (operator new vs free) on 0x602000000010"),
    Marker("oom", "asan", _ASAN + r"(?:out of memory|allocation-size-too-big|requested allocation size .* exceeds|malloc limit).*",
           "==12==ERROR: AddressSanitizer: out of memory: allocator is trying to allocate 0x40000000 bytes"),
    Marker("memory-leak", "lsan", r"ERROR: LeakSanitizer: detected memory leaks.*",
           "==12==ERROR: LeakSanitizer: detected memory leaks"),
    # ThreadSanitizer.
    Marker("data-race", "tsan", r"WARNING: ThreadSanitizer: data race.*", "WARNING: ThreadSanitizer: data race (pid=3115)"),
    Marker("lock-order-inversion", "tsan", r"WARNING: ThreadSanitizer: lock-order-inversion.*",
           "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=20)"),
    Marker("heap-use-after-free", "tsan", r"WARNING: ThreadSanitizer: heap-use-after-free.*",
           "WARNING: ThreadSanitizer: heap-use-after-free (pid=20)"),
    Marker("double-free", "tsan", r"WARNING: ThreadSanitizer: double lock of a mutex.*",
           "WARNING: ThreadSanitizer: double lock of a mutex (pid=20)"),
    Marker("oom", "tsan", r"ERROR: ThreadSanitizer: (?:out of memory|requested allocation size .* exceeds).*",
           "==14188==ERROR: ThreadSanitizer: requested allocation size 0x40000001 exceeds maximum supported size of 0x10000000"),
    # UndefinedBehaviorSanitizer.
    Marker("null-deref", "ubsan", r"runtime error: (?:member access within|load of|store to) null pointer.*",
           "widget.c:9:12: runtime error: load of null pointer of type 'int'"),
    Marker("undefined-behavior", "ubsan", r"runtime error: .*",
           "overflow.c:5:14: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'"),
    # glibc's allocator checks.
    Marker("double-free", "glibc", r"free\(\): double free detected in tcache 2|double free or corruption.*",
           "free(): double free detected in tcache 2"),
    # free() of a pointer malloc never returned (misaligned, inside a block): ASan says
    # "attempting free on address which was not malloc()-ed" for the same bug.
    Marker("invalid-free", "glibc", r"munmap_chunk\(\): invalid pointer|free\(\): invalid pointer", "free(): invalid pointer"),
    Marker("heap-corruption", "glibc",
           r"free\(\): invalid (?:size|next size.*)|malloc\(\): (?:corrupted.*|memory corruption.*|unaligned tcache chunk.*)"
           r"|corrupted size vs\. prev_size.*|corrupted double-linked list.*|realloc\(\): invalid .*",
           "malloc(): corrupted top size"),
    # assert() names the condition and where it is; faulthandler then only says "Aborted".
    Marker("abort", "glibc", r"^.+?: Assertion `.+' failed\.",
           "python: widget.c:11: check_count: Assertion `count >= 0' failed."),
    Marker("oom", "glibc", r"^MemoryError\b.*|Cannot allocate memory|std::bad_alloc",
           "MemoryError"),
    # CPython's fatal errors about the GIL and thread states.
    Marker("gil-violation", "cpython",
           r"Fatal Python error: .*(?:GIL|thread state|PyGILState_Release|tstate).*"
           r"|^.*?(?:must be called with the GIL held|without holding the GIL|the function must be called with the GIL).*",  # ^.*? not .*: linear on a megabyte line
           "Fatal Python error: PyThreadState_Get: the function must be called with the GIL held, but the GIL is released (the current Python thread state is NULL)"),
    # Swallowed callback exceptions: the process may well exit 0.
    Marker("swallowed-exception", "ctypes", r"Exception ignored on calling ctypes callback function.*",
           "Exception ignored on calling ctypes callback function: <function on_item at 0x7f>"),
    Marker("swallowed-exception", "cffi", r"(?:Exception ignored from cffi callback|From cffi callback).*",
           "From cffi callback <function on_item at 0x7f>:"),
    # Modified UTF-8 / CESU-8 bytes met by a strict decoder.
    Marker("encoding-corruption", "cpython",
           r"Unicode(?:Decode|Encode)Error: .*(?:can't decode bytes? (?:0xed|0xc0)|in position \d+(?:-\d+)?: (?:invalid continuation byte|invalid start byte)"
           r".*0x(?:ed|c0)|surrogates not allowed).*|Unicode(?:Decode|Encode)Error: .*surrogates not allowed.*",
           "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in position 5: invalid continuation byte"),
    Marker("encoding-corruption", "java", r"java\.nio\.charset\.MalformedInputException.*",
           "java.nio.charset.MalformedInputException: Input length = 1"),
    # The JVM's fatal error report (on stdout): the signal its handler caught, in a JNI
    # library or in the VM. It exits 1 or aborts, depending on -XX:+CreateCoredumpOnCrash.
    Marker("segv", "jvm", r"^#\s+SIGSEGV \(0xb\) at pc=.*",
           "#  SIGSEGV (0xb) at pc=0x00007f56c46d2f94, pid=27963, tid=27965"),
    Marker("bus-error", "jvm", r"^#\s+SIGBUS \(0x7\) at pc=.*", "#  SIGBUS (0x7) at pc=0x00007f3a2c1b8e51, pid=4242, tid=4243"),
    Marker("fpe", "jvm", r"^#\s+SIGFPE \(0x8\) at pc=.*", "#  SIGFPE (0x8) at pc=0x00007f3a2c1b8e51, pid=4242, tid=4243"),
    Marker("illegal-instruction", "jvm", r"^#\s+SIGILL \(0x4\) at pc=.*",
           "#  SIGILL (0x4) at pc=0x00007f3a2c1b8e51, pid=4242, tid=4243"),
    # CPython's fatal signal reports (faulthandler), when no sanitizer said more.
    Marker("segv", "faulthandler", r"Fatal Python error: Segmentation fault", "Fatal Python error: Segmentation fault",
           "or the child ended by SIGSEGV"),
    Marker("bus-error", "faulthandler", r"Fatal Python error: Bus error", "Fatal Python error: Bus error",
           "or the child ended by SIGBUS"),
    Marker("fpe", "faulthandler", r"Fatal Python error: Floating point exception", "Fatal Python error: Floating point exception",
           "or the child ended by SIGFPE"),
    Marker("illegal-instruction", "faulthandler", r"Fatal Python error: Illegal instruction", "Fatal Python error: Illegal instruction",
           "or the child ended by SIGILL"),
    Marker("abort", "faulthandler", r"Fatal Python error: Aborted", "Fatal Python error: Aborted",
           "or the child ended by SIGABRT"),
    Marker("fatal-python-error", "cpython", r"Fatal Python error: .*",
           "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'"),
    Marker("python-exception", "cpython", r"^Traceback \(most recent call last\):",
           "Traceback (most recent call last):", "and the exit status is not 0"),
    # Decided by how the child ended, not by what it printed.
    Marker("deadlock", "faultlab", None, "every thread blocked in futex_wait / pthread_mutex_lock / take_gil",
           "the watchdog fired and every thread was blocked on a lock, condition, futex or the GIL"),
    Marker("hang", "faultlab", None, "timed out after 5.0 s; thread 4242 running (R)",
           "the watchdog fired and some thread was running or sleeping"),
    Marker("killed", "kernel", None, "killed by SIGKILL", "the child ended by SIGKILL, SIGTERM, SIGINT or SIGHUP"),
    Marker("exit-nonzero", "kernel", None, "exit status 3", "non-zero exit status and no other marker"),
    Marker("ok", "kernel", None, "exit status 0", "exit status 0 and no other marker"),
)

# Sanitizer reports are decisive even when the process later died of something else.
SIGNAL_KINDS = {
    "SIGSEGV": "segv",
    "SIGBUS": "bus-error",
    "SIGFPE": "fpe",
    "SIGILL": "illegal-instruction",
    "SIGABRT": "abort",
    "SIGKILL": "killed",
    "SIGTERM": "killed",
    "SIGINT": "killed",
    "SIGHUP": "killed",
    "SIGXCPU": "killed",
}

# Frames in these modules or functions say nothing about the bug: runtimes and plumbing.
UNINTERESTING_MODULES = re.compile(
    r"^(?:libc[./-]|libc\.so|libsanitizer/|libpthread|ld-linux|libpython|python3?(?:\.\d+)?$|libffi|_cffi_backend|_ctypes"
    r"|libasan|libtsan|libubsan|liblsan|libstdc\+\+|libgcc|libjvm|libfuzzer|test-runner/|<frozen|runpy\.py|threading\.py"
    r"|faultlab|drive\.py|catalog\.py|forkserver\.py|server\.py|sitecustomize\.py|\?\?|$)"
)
UNINTERESTING_FUNCTIONS = re.compile(
    r"^(?:<null>|\?\?|_start|__libc_start.*|start_thread|clone3?|ffi_call.*|_PyEval.*|_PyObject.*|PyObject_.*"
    r"|__interceptor_.*|__sanitizer.*|__asan.*|__tsan.*|__ubsan.*|raise|abort|__GI_.*|__pthread_kill.*|pthread_kill"
    r"|__libc_.*|_IO_.*|__fortify_fail|malloc_printerr|_run_code|_run_module_as_main"
    # atheris's glue between libFuzzer and TestOneInput (mangled or not): the same in every fuzz crash.
    r"|.*pybind11.*|atheris::.*)$"
)
