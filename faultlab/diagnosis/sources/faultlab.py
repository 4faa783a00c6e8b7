"""faultlab itself: the oracle lines a case raises on purpose, the watchdog's verdicts, and its own frames.

faultlab's frames sit between a case and its bug (the drive loop, the isolation server, the
injected sitecustomize) and say nothing about either, so they are recognised by where their
file lies, never by its name: renaming or splitting a faultlab module changes no signature.
"""

from __future__ import annotations

from ._schema import ANY, Marker, RuntimePath

MARKERS = (
    # The program's own oracle, raised on purpose (``faultlab.Detected``). Its word decides
    # however the program ended: raised in a ctypes callback, it is printed and swallowed,
    # and the program exits 0.
    Marker("swallowed-error", "faultlab", r"Detected: swallowed-error: .*",
           "faultlab.Detected: swallowed-error: write() returned -1 (ENOSPC) and 12 bytes were lost",
           precedence=10, ending=ANY),
    Marker("silent-corruption", "faultlab", r"Detected: silent-corruption: .*",
           "faultlab.Detected: silent-corruption: round trip changed '😀' into '\\udcf0...'",
           precedence=20, ending=ANY),
    Marker("abi-mismatch", "faultlab", r"Detected: abi-mismatch: .*",
           "faultlab.Detected: abi-mismatch: asked for OP_SCALE (1), library performed OP_NEGATE",
           precedence=30, ending=ANY),
    # Decided by the watchdog, once no pattern matched.
    Marker("deadlock", "faultlab", None, "every thread blocked in futex_wait / pthread_mutex_lock / take_gil",
           "the watchdog fired and every thread was blocked on a lock, condition, futex or the GIL",
           precedence=560),
    Marker("hang", "faultlab", None, "timed out after 5.0 s; thread 4242 running (R)",
           "the watchdog fired and some thread was running or sleeping",
           precedence=570),
)

# Frames of the code under test, not plumbing, keep their names: the two modules case code
# calls as a library, and the fuzz harness faultlab ships (the probe's ``TestOneInput``).
_UNDER_TEST = r"(?:(?:lab/)?(?:mutf8|strategies)|fuzzing/probe)\.py$"

RUNTIME_PATHS = (
    # A file of the package's layers, or of the flat layout that recorded outputs
    # (tests/fixtures/outputs) were made with. ``stacks`` names a file of the installed
    # package ``faultlab/...`` first, wherever it is installed.
    RuntimePath(rf"(?:^|/)faultlab/(?=(?:diagnosis|lab|fuzzing|reports|cli)/|[a-z_0-9]+\.py$)(?!{_UNDER_TEST})", "faultlab",
                precedence=10),
)
RUNTIME_MODULES = (r"faultlab/",)
