"""Fuzz a key-value loader that drops its store's error returns (swallowed-error, CWE-252).

The runtime rule: an error return is the only news a caller gets; ignoring it loses data
silently. native/fuzz/kv_store.c counts an entry as loaded even when its store refused
it (a string over 24 bytes: E2BIG; a 17th key: ENOSPC). Only a blob with the magic "KVS1",
a size field that matches and a well-formed entry the store refuses gets there. No sanitizer sees lost data, so the
binding checks what it was told against what the store holds and raises
``faultlab.Detected("swallowed-error", ...)``. The fixed build returns -1, and the
binding knows the blob was not loaded.
"""

import atheris

from faultlab import Detected, Library
from faultlab.fuzzing import FuzzTarget, harness

TARGET = FuzzTarget(mode="swallowed-error", cwe="CWE-252", expect="swallowed-error")
LIB = Library("fuzz/kv_store")
ffi, lib = harness.cffi(LIB, """
int kv_load(const uint8_t *blob, size_t len);
int kv_stored(void);
""")


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    if len(data) < 12:
        return  # magic, size and one entry at least
    loaded = lib.kv_load(data, len(data))
    if loaded < 0:
        return  # refused, and said so: nothing was lost
    stored = lib.kv_stored()
    if stored != loaded:
        raise Detected("swallowed-error", f"kv_load() reported {loaded} entries loaded; the store took {stored}")


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
