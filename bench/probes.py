"""The cases the benches run: a driver that does nothing, and a crash that stamps its moment.

They are not part of the catalog (``cases/`` holds real failure modes only): the isolation
bench times the no-op to get faultlab's cost per case, and the suite bench reads the crash's
stamp (CLOCK_MONOTONIC, shared by every process of the machine) to time crash-to-verdict.
"""

import ctypes
import time

from faultlab.diagnosis import configurations
from faultlab.lab.catalog import Case
from faultlab.lab.native import Library

CRASH = Library("bench/crash", sources=("../bench/native/crash.c",))

noop = Case(
    id="lifetime/bench-noop",
    mode="lifetime",
    cwe="CWE-416",
    title="does nothing: what is left is faultlab's own cost per case",
    explanation=__doc__,
    expect={"none": "segv", "asan": "segv"},
)


@noop.broken
@noop.fixed
def do_nothing():
    pass


crash = Case(
    id="lifetime/bench-crash",
    mode="lifetime",
    cwe="CWE-416",
    title="stamps the time, then crashes at once",
    explanation=__doc__,
    expect={"none": "segv", "asan": "heap-use-after-free"},
    libraries=(CRASH,),
)


@crash.broken
def stamp_then_crash():
    lib = CRASH.ctypes()  # loaded before the stamp: only the crash and its diagnosis are timed
    print(f"crash at {time.monotonic()!r}", flush=True)
    if configurations.active().sanitizer == "asan":
        lib.crash_use_after_free()  # FLAW: ASan reports the read of a freed block
    else:
        ctypes.string_at(0)  # FLAW: a read of address 0, SIGSEGV


@crash.fixed
def stamp_and_return():
    CRASH.ctypes()
    print(f"crash at {time.monotonic()!r}", flush=True)  # FIX: no crash


def crash_stamp(stdout: str) -> float | None:
    """The CLOCK_MONOTONIC time the crash driver printed just before crashing."""
    for line in stdout.splitlines():
        if line.startswith("crash at "):
            return float(line.removeprefix("crash at "))
    return None
