"""glibc: its allocator's consistency checks, assert(), and running out of memory.

Its frames (the C library, and the compiler's support libraries beside it: libgcc,
libstdc++) are where a crash is reported, not where it was made: abort() and raise() under
malloc_printerr, thread start-up under every thread.
"""

from __future__ import annotations

from ._schema import Marker, RuntimePath

MARKERS = (
    Marker("double-free", "glibc", r"free\(\): double free detected in tcache 2|double free or corruption.*",
           "free(): double free detected in tcache 2", precedence=350),
    # free() of a pointer malloc never returned (misaligned, inside a block): ASan says
    # "attempting free on address which was not malloc()-ed" for the same bug.
    Marker("invalid-free", "glibc", r"munmap_chunk\(\): invalid pointer|free\(\): invalid pointer", "free(): invalid pointer",
           precedence=360),
    Marker("heap-corruption", "glibc",
           r"free\(\): invalid (?:size|next size.*)|malloc\(\): (?:corrupted.*|memory corruption.*|unaligned tcache chunk.*)"
           r"|corrupted size vs\. prev_size.*|corrupted double-linked list.*|realloc\(\): invalid .*",
           "malloc(): corrupted top size", precedence=370),
    # assert() names the condition and where it is; faulthandler then only says "Aborted".
    Marker("abort", "glibc", r"^.+?: Assertion `.+' failed\.",
           "python: widget.c:11: check_count: Assertion `count >= 0' failed.", precedence=380),
    Marker("oom", "glibc", r"^MemoryError\b.*|Cannot allocate memory|std::bad_alloc",
           "MemoryError", precedence=390),
)

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)(?:nptl|sysdeps|stdlib|malloc|libio|string|misc|elf|csu|signal|posix)/", "libc", precedence=30),
)
RUNTIME_MODULES = (r"libc[./-]", r"libc\.so", r"libpthread", r"libstdc\+\+", r"libgcc")
RUNTIME_FUNCTIONS = (
    r"_start", r"__libc_start.*", r"start_thread", r"clone3?", r"raise", r"abort", r"__GI_.*", r"__pthread_kill.*",
    r"pthread_kill", r"__libc_.*", r"_IO_.*", r"__fortify_fail", r"malloc_printerr",
)
