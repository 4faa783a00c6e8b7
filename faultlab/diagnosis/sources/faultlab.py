"""faultlab itself: the oracle lines a case raises on purpose, the watchdog's verdicts, and its own frames.

faultlab's frames sit between a case and its bug (the drive loop, the fork server, the
injected sitecustomize) and say nothing about either.
"""

from __future__ import annotations

from ._schema import Marker

MARKERS = (
    # The program's own oracle, raised on purpose (``faultlab.Detected``).
    Marker("swallowed-error", "faultlab", r"Detected: swallowed-error: .*",
           "faultlab.Detected: swallowed-error: write() returned -1 (ENOSPC) and 12 bytes were lost",
           precedence=10),
    Marker("silent-corruption", "faultlab", r"Detected: silent-corruption: .*",
           "faultlab.Detected: silent-corruption: round trip changed '😀' into '\\udcf0...'",
           precedence=20),
    Marker("abi-mismatch", "faultlab", r"Detected: abi-mismatch: .*",
           "faultlab.Detected: abi-mismatch: asked for OP_SCALE (1), library performed OP_NEGATE",
           precedence=30),
    # Decided by the watchdog, once no pattern matched.
    Marker("deadlock", "faultlab", None, "every thread blocked in futex_wait / pthread_mutex_lock / take_gil",
           "the watchdog fired and every thread was blocked on a lock, condition, futex or the GIL",
           precedence=560),
    Marker("hang", "faultlab", None, "timed out after 5.0 s; thread 4242 running (R)",
           "the watchdog fired and some thread was running or sleeping",
           precedence=570),
)

RUNTIME_MODULES = (r"faultlab", r"drive\.py", r"catalog\.py", r"forkserver\.py", r"sitecustomize\.py")
