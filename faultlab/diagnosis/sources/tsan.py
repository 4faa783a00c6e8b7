"""ThreadSanitizer: its warnings about races and locks, its fatal errors, and a shadow it could not map.

Its frames use asan.py's syntax without the address (``#0 bump /tmp/uaf.c:6 (libuaf.so+0x1228)``).
TSan reports and goes on, and exits 66 at the end (``exitcode``), or aborts at the first report
under ``halt_on_error=1``: either way its report is fatal. Its allocator's limits are
sanitizer_common's, in asan.py.
"""

from __future__ import annotations

from . import asan
from ._schema import Marker

MARKERS = (
    Marker("sanitizer-setup-error", "tsan", r"FATAL: ThreadSanitizer: unexpected memory mapping.*",
           "FATAL: ThreadSanitizer: unexpected memory mapping 0x7f8a1c000000-0x7f8a1c200000", precedence=70),
    Marker("data-race", "tsan", r"WARNING: ThreadSanitizer: data race.*", "WARNING: ThreadSanitizer: data race (pid=3115)",
           precedence=280),
    Marker("lock-order-inversion", "tsan", r"WARNING: ThreadSanitizer: lock-order-inversion.*",
           "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=20)", precedence=290),
    Marker("heap-use-after-free", "tsan", r"WARNING: ThreadSanitizer: heap-use-after-free.*",
           "WARNING: ThreadSanitizer: heap-use-after-free (pid=20)", precedence=300),
    Marker("double-lock", "tsan", r"WARNING: ThreadSanitizer: double lock of a mutex.*",
           "WARNING: ThreadSanitizer: double lock of a mutex (pid=20)", precedence=310),
)

RUNTIME_MODULES = (r"libtsan",)
RUNTIME_FUNCTIONS = (r"__tsan.*",)

read = asan.read  # the frame syntax all four sanitizers share
