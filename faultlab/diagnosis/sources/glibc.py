"""glibc: its allocator's consistency checks, assert(), the stack protector, and running out of memory.

Each allocator message is taken for what it proves, no more. "double free detected in
tcache 2" and "(fasttop)" find the same block freed twice. "free(): invalid pointer",
"munmap_chunk(): invalid pointer" and "double free or corruption (out)" find a pointer that
is no block of malloc's heap (one inside a block, or a ``PyMem_Malloc`` block of pymalloc's
arenas handed to ``free()``): an invalid free. "(!prev)" and "(top)" cannot tell a double
free from a corrupted heap, and "free(): invalid size" an invalid free from one; those are
heap corruption, the weaker claim both readings share, and the summary says so. Each ends
in abort(): the report is fatal.

Its frames (the C library, and the compiler's support libraries beside it: libgcc,
libstdc++) are where a crash is reported, not where it was made: abort() and raise() under
malloc_printerr, thread start-up under every thread.
"""

from __future__ import annotations

import re

from . import _abort_messages, asan
from ._schema import ABNORMAL, Marker, Reading, RuntimePath

MARKERS = (
    Marker("double-free", "glibc", r"free\(\): double free detected in tcache 2|double free or corruption \(fasttop\)",
           "free(): double free detected in tcache 2", precedence=350),
    # free() of a pointer malloc never returned (misaligned, inside a block, another allocator's):
    # ASan says "attempting free on address which was not malloc()-ed" for the same bug.
    Marker("invalid-free", "glibc", r"munmap_chunk\(\): invalid pointer|free\(\): invalid pointer|double free or corruption \(out\)",
           "free(): invalid pointer", precedence=360),
    Marker("heap-corruption", "glibc",
           r"free\(\): invalid (?:size|next size.*)|malloc\(\): (?:corrupted.*|memory corruption.*|unaligned tcache chunk.*)"
           r"|corrupted size vs\. prev_size.*|corrupted double-linked list.*|realloc\(\): invalid .*"
           r"|double free or corruption \((?:!prev|top)\)",
           "malloc(): corrupted top size", precedence=370),
    # -fstack-protector: the canary between a frame's arrays and its return address was
    # overwritten, by a write past the end of a stack array, before the function returned.
    Marker("stack-buffer-overflow", "glibc", r"\*\*\* stack smashing detected \*\*\*.*",
           "*** stack smashing detected ***: terminated", precedence=375),
    # _FORTIFY_SOURCE: a checked copy (memcpy, strcpy, read into a buffer of known size) would
    # have run past the object's end; glibc stops it before it writes.
    Marker("buffer-overflow", "glibc", r"\*\*\* buffer overflow detected \*\*\*.*",
           "*** buffer overflow detected ***: terminated", precedence=376),
    # assert() names the condition and where it is; faulthandler then only says "Aborted".
    Marker("abort", "glibc", _abort_messages.ASSERTION,
           "python: widget.c:11: check_count: Assertion `count >= 0' failed.", precedence=380),
    # libstdc++'s std::terminate: a C++ exception reached the top of its thread.
    Marker("uncaught-exception", "libstdc++", _abort_messages.TERMINATE,
           "terminate called after throwing an instance of 'std::runtime_error'\n  what():  empty header", precedence=385),
    Marker("oom", "glibc", r"^MemoryError\b.*|Cannot allocate memory|std::bad_alloc",
           "MemoryError", precedence=390, ending=ABNORMAL),
)

# What a message cannot tell apart, said in its verdict's summary.
AMBIGUOUS = {
    "(!prev)": "glibc cannot tell a double free from a corrupted heap here: the block after it says it is free",
    "(top)": "glibc cannot tell a double free from a corrupted heap here: the pointer is the top of the heap",
    "free(): invalid size": "glibc cannot tell a pointer malloc never returned from a block whose size was overwritten",
    "(out)": "the block lies outside malloc's heap: a pointer malloc never returned (a PyMem_Malloc block, say)",
}

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)(?:nptl|sysdeps|stdlib|malloc|libio|string|misc|elf|csu|signal|posix|assert)/", "libc", precedence=30),
    # The inline wrappers of glibc's headers (_FORTIFY_SOURCE's strcpy in bits/string_fortified.h):
    # inlined into the caller, they are the C library's check, not the caller's code.
    RuntimePath(r"(?:^|/)include/(?:[\w-]+-linux-gnu/)?bits/", "libc", precedence=31),
)
RUNTIME_MODULES = (r"libc[./-]", r"libc\.so", r"libpthread", r"libstdc\+\+", r"libgcc")
RUNTIME_FUNCTIONS = (
    r"_start", r"__libc_start.*", r"start_thread", r"clone3?", r"raise", r"abort", r"__GI_.*", r"__pthread_kill.*",
    r"pthread_kill", r"__libc_.*", r"_IO_.*", r"__fortify_fail", r"malloc_printerr", r"__assert_fail.*",
    r"__stack_chk_fail", r"__\w+_(?:evex|avx\w*|sse\w*|ssse3\w*|erms)\w*",  # the string functions' multiarch variants
    r"__cxa_throw", r"__cxa_rethrow", r"std::terminate\(\)", r"__gnu_cxx::__verbose_terminate_handler\(\)",
)


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """What the message cannot tell apart joins its headline; a sanitizer's stack printed under it is the stack.

    A C++ exception names its type and what(); the stack protector's canary was overwritten, a WRITE.
    """
    line = match.group(0).strip()
    stack = asan.stack(text[match.end():])  # an abort under ASan's handle_abort=1 prints its stack after the message
    if marker.kind == "uncaught-exception":
        return Reading(headline=_abort_messages.terminate_headline(match), native_stack=stack)
    if marker.kind == "stack-buffer-overflow":
        return Reading(headline=f"{line}: a write past a stack array overwrote the canary before its function returned",
                       native_stack=stack, access="WRITE")
    note = next((why for words, why in AMBIGUOUS.items() if words in line), None)
    return Reading(headline=f"{line} ({note})" if note else None, native_stack=stack)
