"""The fixed vocabulary of verdict kinds: each kind's default mode, CWE and severity.

``docs/taxonomy.md`` is generated from this table and ``sources.MARKERS``; a test keeps
the two from drifting apart.

Severity follows ClusterFuzz's grading of sanitizer crashes (``SEVERITY_SOURCES``): a
use-after-free, a double free and a use-after-poison are high; buffer overflows, container
overflows and ASan's unknown crashes medium; a WRITE raises a grade one level, to high at
most; NULL dereferences, leaks, races, hangs, timeouts, out-of-memory, stack overflows and
deliberate aborts are no security issue (``none``). A kind ClusterFuzz does not grade takes
the grade of the one it resembles, and says so in ``SEVERITY_NOTES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MODES = ("lifetime", "abi-drift", "threading", "swallowed-error", "encoding", "unknown")
SEVERITIES = ("high", "medium", "low", "none")  # highest first

SEVERITY_SOURCES = (
    "ClusterFuzz, src/clusterfuzz/_internal/crash_analysis/severity_analyzer.py (HIGH_SEVERITY_CRASH_TYPES, "
    "MEDIUM_SEVERITY_CRASH_TYPES; a WRITE raises one level, at most to High): "
    "https://github.com/google/clusterfuzz/blob/master/src/clusterfuzz/_internal/crash_analysis/severity_analyzer.py",
    "ClusterFuzz, src/clusterfuzz/_internal/crash_analysis/crash_analyzer.py (is_security_issue: leaks, data races, "
    "lock-order inversions, stack overflows, timeouts, out-of-memory, fatal signals and NULL dereferences are not "
    "security issues): https://github.com/google/clusterfuzz/blob/master/src/clusterfuzz/_internal/crash_analysis/crash_analyzer.py",
    "Chromium, Severity Guidelines for Security Issues (most crashes do not indicate vulnerabilities; a controlled "
    "crash on exhausted memory is none): https://chromium.googlesource.com/chromium/src/+/main/docs/security/severity-guidelines.md",
)


@dataclass(frozen=True)
class Kind:
    name: str
    mode: str  # the FFI failure mode this mechanism points to, or "unknown"
    cwe: str | None
    security: bool
    description: str
    # ClusterFuzz's grade of the kind before the access is known; None: "medium" when security, else "none".
    severity: str | None = field(default=None, kw_only=True)

    @property
    def base_severity(self) -> str:
        return self.severity or ("medium" if self.security else "none")


_TABLE = [
    Kind("ok", "unknown", None, False, "The program exited 0 and nothing suspicious was printed."),
    Kind("python-exception", "unknown", None, False, "An uncaught Python exception ended the program."),
    Kind("swallowed-exception", "swallowed-error", "CWE-391", False,
         "A callback raised, and the FFI layer (ctypes, cffi) printed and dropped the exception; the C caller never knew."),
    Kind("encoding-corruption", "encoding", "CWE-172", False,
         "Text crossed the boundary in modified UTF-8 / CESU-8 (surrogates as ED A0..BF, NUL as C0 80) and strict decoding failed."),
    Kind("gil-violation", "threading", "CWE-667", True,
         "The Python C-API was called from a thread that does not hold the GIL or has no thread state.", severity="medium"),
    Kind("uncaught-exception", "unknown", "CWE-248", False,
         "Another runtime's uncaught exception or panic ended the program: a Java exception, a Go or Rust panic, a JS error. "
         "The summary names the language and the exception."),
    Kind("ffi-rule-violation", "unknown", "CWE-573", False,
         "The runtime's own boundary checker stopped the program because a rule of the boundary was broken (-Xcheck:jni, "
         "Go's cgo pointer check, Rust's cannot-unwind guard, V8's locker check, an N-API fatal error). The rule decides "
         "the mode: a wrong thread is threading, a pending exception or a panic crossing the boundary is swallowed-error, "
         "a stale reference or a Go pointer kept by C is lifetime."),
    Kind("fatal-python-error", "unknown", None, False, "CPython stopped with 'Fatal Python error' for another reason."),
    Kind("segv", "unknown", "CWE-119", True, "A segmentation fault at an address that is not near NULL.", severity="medium"),
    Kind("null-deref", "unknown", "CWE-476", False, "A read or write at an address below 0x1000: a NULL pointer dereferenced."),
    Kind("bus-error", "unknown", "CWE-119", False, "SIGBUS: a misaligned access or a mapping that went away."),
    Kind("fpe", "unknown", "CWE-369", False, "SIGFPE: integer division by zero or overflow."),
    Kind("illegal-instruction", "unknown", None, False, "SIGILL: a trap instruction or a jump into data."),
    Kind("trap", "unknown", "CWE-617", False,
         "SIGTRAP: the program stopped itself on purpose (__builtin_trap, a runtime's own breakpoint such as V8's on a fatal error)."),
    Kind("abort", "unknown", "CWE-617", False, "SIGABRT without a more specific message: an assertion or a library's own abort."),
    Kind("stack-overflow", "unknown", "CWE-674", False,
         "The stack ran out: recursion too deep, or frames too large (ASan's stack-overflow, CPython's 'Cannot recover "
         "from stack overflow')."),
    Kind("heap-corruption", "lifetime", "CWE-787", True, "The allocator found its metadata corrupted.", severity="high"),
    Kind("double-free", "lifetime", "CWE-415", True, "The same heap block was freed twice.", severity="high"),
    Kind("invalid-free", "lifetime", "CWE-590", True, "free() of a pointer that malloc never returned.", severity="high"),
    Kind("alloc-dealloc-mismatch", "lifetime", "CWE-762", True, "Memory released by a different allocator family than the one that allocated it.", severity="medium"),
    Kind("heap-use-after-free", "lifetime", "CWE-416", True, "A heap block was read or written after it was freed.", severity="high"),
    Kind("heap-buffer-overflow", "unknown", "CWE-122", True, "An access past the end of a heap block.", severity="medium"),
    Kind("stack-buffer-overflow", "unknown", "CWE-121", True, "An access past the end of a stack array.", severity="medium"),
    Kind("global-buffer-overflow", "unknown", "CWE-788", True, "An access past the end of a global array.", severity="medium"),
    Kind("buffer-overflow", "unknown", "CWE-787", True,
         "_FORTIFY_SOURCE stopped a copy into an object of known size before it ran past its end (*** buffer overflow "
         "detected ***); the object may be on the heap, the stack or global.", severity="medium"),
    Kind("container-overflow", "unknown", "CWE-125", True,
         "An access inside a heap block but past a container's end (between a std::vector's size and its capacity), "
         "seen through the container's ASan annotations.", severity="medium"),
    Kind("unknown-crash", "unknown", "CWE-119", True,
         "AddressSanitizer found a bad access but could not say where the address lies (no heap block, stack frame "
         "or global around it): a wild pointer or an access straddling regions.", severity="medium"),
    Kind("stack-use-after-return", "lifetime", "CWE-562", True, "A pointer to a function's stack frame was used after the function returned.", severity="high"),
    Kind("stack-use-after-scope", "lifetime", "CWE-562", True, "A pointer to a block-scoped variable was used after the block ended.", severity="high"),
    Kind("use-after-poison", "lifetime", "CWE-416", True, "An access to memory that its owner explicitly poisoned.", severity="high"),
    Kind("memory-leak", "lifetime", "CWE-401", False, "LeakSanitizer found memory that nothing points to at exit."),
    Kind("undefined-behavior", "unknown", "CWE-758", False, "UndefinedBehaviorSanitizer: overflow, misaligned or invalid access, bad shift, ..."),
    Kind("data-race", "threading", "CWE-362", False, "ThreadSanitizer: two threads accessed the same memory, one writing, without ordering."),
    Kind("lock-order-inversion", "threading", "CWE-833", False, "ThreadSanitizer: two locks taken in opposite orders by different threads (a potential deadlock)."),
    Kind("double-lock", "threading", "CWE-764", False,
         "A thread locked a mutex it already holds (ThreadSanitizer's double lock): a plain mutex deadlocks on itself."),
    Kind("deadlock", "threading", "CWE-833", False, "The watchdog fired and every thread was blocked on a lock, condition, futex or the GIL."),
    Kind("hang", "unknown", "CWE-835", False, "The watchdog fired while some thread was still running or sleeping."),
    Kind("oom", "unknown", "CWE-400", False, "The program ran out of memory (MemoryError, ENOMEM, an allocator limit)."),
    Kind("sanitizer-setup-error", "unknown", None, False, "The sanitizer runtime could not start; pass the matching --sanitizer."),
    Kind("exit-nonzero", "unknown", None, False, "The program exited with a non-zero status and no other evidence."),
    Kind("killed", "unknown", None, False, "The program was killed by a signal from outside (SIGKILL, SIGTERM, ...)."),
    # Oracle kinds: raised on purpose by a case's check, as faultlab.Detected(kind, message).
    Kind("swallowed-error", "swallowed-error", "CWE-252", False, "An oracle found data lost because an error return was ignored."),
    Kind("silent-corruption", "encoding", "CWE-838", False, "An oracle found data changed on a round trip without any error."),
    Kind("abi-mismatch", "abi-drift", "CWE-687", False, "An oracle found the library doing something other than what the binding asked: its ABI drifted."),
]

KINDS: dict[str, Kind] = {k.name: k for k in _TABLE}
NAMES = tuple(KINDS)

# Where a grade is not ClusterFuzz's own, why it is what it is.
SEVERITY_NOTES = {
    "heap-corruption": "as a double free or a write out of bounds, one of which corrupted the allocator's metadata",
    "invalid-free": "as a double free: free() of a pointer malloc never returned corrupts the heap the same way",
    "stack-use-after-return": "as a use after free, of a stack frame",
    "stack-use-after-scope": "as a use after free, of a block's variable",
    "global-buffer-overflow": "as the heap and stack buffer overflows",
    "buffer-overflow": "as the heap and stack buffer overflows: fortify stopped the write before it happened",
    "alloc-dealloc-mismatch": "as a buffer overflow: harmless while both families share one heap, corrupting when not",
    "gil-violation": "as a data race on the interpreter's reference counts and heap, which corrupts memory",
    "segv": "as ClusterFuzz's UNKNOWN crash: a fault at an address far from NULL may be attacker-controlled",
    "undefined-behavior": "none, as ClusterFuzz grades most of UBSan's checks; its few security ones (index out of bounds, "
                          "object size) are not told apart by this kind",
}


def severity(kind: str, access: str | None = None) -> str:
    """The grade of a verdict: its kind's, raised one level (to high at most) for a WRITE, as ClusterFuzz does."""
    info = KINDS.get(kind)
    grade = info.base_severity if info else "none"
    if access == "WRITE" and grade in ("medium", "low"):
        grade = SEVERITIES[SEVERITIES.index(grade) - 1]
    return grade

# The runtime's rule each failure mode breaks, as an instructor would say it.
MODE_RULES = {
    "lifetime": "Memory has one owner at a time. A runtime's collector (Python's, the JVM's, V8's), Rust's Drop "
                "and Panama's arenas on one side and C's malloc/free on the other do not see each other's "
                "references, so whoever frees a block must know that nobody on the other side still points into it.",
    "abi-drift": "Caller and callee must agree on the layout. Every signature, struct field, size and "
                 "calling convention the binding declares (a cdef, a FunctionDescriptor, a Rust struct, a JS "
                 "reading a Buffer) must match the library that is actually loaded; nothing checks this at run time.",
    "threading": "A runtime may only be called from the threads it allows: CPython's C-API by the thread that "
                 "holds the GIL, JNI through the calling thread's own JNIEnv, V8 from the JS thread, a thread-affine "
                 "C handle from its owner. State shared between threads on the C side needs its own locks, taken "
                 "in one order.",
    "swallowed-error": "Every error must reach someone who can act on it. A C return code or an N-API status "
                       "must be checked, and an exception or panic cannot travel through C frames: the binding "
                       "prints it, aborts or returns a default, and the caller never hears of it.",
    "encoding": "Both sides must agree on the bytes of a string. JNI's modified UTF-8 is not UTF-8 "
                "(surrogate pairs for emoji, C0 80 for NUL), and a length counts bytes, code units or "
                "code points, never all three.",
}

# Names of the weaknesses faultlab's kinds and cases point to (MITRE CWE 4.x).
CWE_NAMES = {
    "CWE-119": "Improper Restriction of Operations within the Bounds of a Memory Buffer",
    "CWE-121": "Stack-based Buffer Overflow",
    "CWE-122": "Heap-based Buffer Overflow",
    "CWE-125": "Out-of-bounds Read",
    "CWE-131": "Incorrect Calculation of Buffer Size",
    "CWE-135": "Incorrect Calculation of Multi-Byte String Length",
    "CWE-172": "Encoding Error",
    "CWE-176": "Improper Handling of Unicode Encoding",
    "CWE-188": "Reliance on Data/Memory Layout",
    "CWE-190": "Integer Overflow or Wraparound",
    "CWE-248": "Uncaught Exception",
    "CWE-252": "Unchecked Return Value",
    "CWE-253": "Incorrect Check of Function Return Value",
    "CWE-362": "Concurrent Execution using Shared Resource with Improper Synchronization ('Race Condition')",
    "CWE-369": "Divide By Zero",
    "CWE-390": "Detection of Error Condition Without Action",
    "CWE-391": "Unchecked Error Condition",
    "CWE-400": "Uncontrolled Resource Consumption",
    "CWE-401": "Missing Release of Memory after Effective Lifetime",
    "CWE-415": "Double Free",
    "CWE-416": "Use After Free",
    "CWE-476": "NULL Pointer Dereference",
    "CWE-562": "Return of Stack Variable Address",
    "CWE-573": "Improper Following of Specification by Caller",
    "CWE-590": "Free of Memory not on the Heap",
    "CWE-617": "Reachable Assertion",
    "CWE-628": "Function Call with Incorrectly Specified Arguments",
    "CWE-667": "Improper Locking",
    "CWE-674": "Uncontrolled Recursion",
    "CWE-681": "Incorrect Conversion between Numeric Types",
    "CWE-686": "Function Call With Incorrect Argument Type",
    "CWE-687": "Function Call With Incorrectly Specified Argument Value",
    "CWE-704": "Incorrect Type Conversion or Cast",
    "CWE-755": "Improper Handling of Exceptional Conditions",
    "CWE-758": "Reliance on Undefined, Unspecified, or Implementation-Defined Behavior",
    "CWE-762": "Mismatched Memory Management Routines",
    "CWE-764": "Multiple Locks of a Critical Resource",
    "CWE-787": "Out-of-bounds Write",
    "CWE-788": "Access of Memory Location After End of Buffer",
    "CWE-825": "Expired Pointer Dereference",
    "CWE-833": "Deadlock",
    "CWE-835": "Loop with Unreachable Exit Condition ('Infinite Loop')",
    "CWE-838": "Inappropriate Encoding for Output Context",
    "CWE-843": "Access of Resource Using Incompatible Type ('Type Confusion')",
}
