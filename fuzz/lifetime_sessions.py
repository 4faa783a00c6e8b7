"""Fuzz a session-log replayer whose lookup cache outlives a closed session (lifetime, CWE-416).

The runtime rule: memory freed by the library must not be reachable through any pointer
the library keeps. native/fuzz/sessions.c caches the last session it looked up and does
not forget it on close. Only a log with the magic "SESS", version 2, and the operations
open, write, close, write on one session id reaches the stale pointer; ASan then reports
a heap-use-after-free in sess_write. The fixed build drops the cache on close.
"""

import atheris

from faultlab.fuzzing import FuzzTarget, harness
from faultlab import Library

TARGET = FuzzTarget(mode="lifetime", cwe="CWE-416", expect="heap-use-after-free", sanitizer="asan")
LIB = Library("fuzz/sessions")
ffi, lib = harness.cffi(LIB, "int sess_replay(const uint8_t *log, size_t len);")


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    if len(data) < 7:
        return  # magic, version and one operation at least
    lib.sess_replay(data, len(data))


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
