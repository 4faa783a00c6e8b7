"""Fuzz a config loader through a binding written from an older header (abi-drift, CWE-787).

The runtime rule: a binding's declarations must match the library it loads. The library
is built from include/v2/config.h, where struct cfg_options grew a 16-byte label; the
broken binding's cdef still mirrors include/v1/config.h (``diff`` the two), so the struct
it allocates is 8 bytes. Only a blob with the magic "CONF", blob version 2 and a label
record makes cfg_load() write the new field: ASan reports a heap-buffer-overflow past the
binding's struct. The fixed binding takes its cdef from the v2 header.
"""

import atheris

from faultlab.fuzzing import FuzzTarget, harness
from faultlab import Library

TARGET = FuzzTarget(mode="abi-drift", cwe="CWE-787", expect="heap-buffer-overflow", sanitizer="asan")
LIB = Library("fuzz/config", includes=("fuzz/include/v2",))
if harness.fixed():
    CDEF = harness.header_cdef("fuzz/include/v2/config.h")  # FIX: the header the library was built from
else:
    CDEF = harness.header_cdef("fuzz/include/v1/config.h")  # FLAW: the binding still mirrors v1
ffi, lib = harness.cffi(LIB, CDEF)


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    if len(data) < 5:
        return  # magic and blob version at least
    options = ffi.new("struct cfg_options *")  # as large as the binding believes the struct is
    if lib.cfg_load(data, len(data), options) < 0:
        return


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
