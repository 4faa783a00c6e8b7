"""The probe: does native coverage work here? A 4-byte magic guards a heap overflow in C.

Only a fuzzer that sees the comparison inside the library (clang's trace-cmp, reaching
a libFuzzer that atheris uses) finds "FUZZ" in a fraction of a second; ``faultlab doctor``
runs this harness, and the tests fuzz it as their shallow planted bug.
"""

import atheris

from faultlab.fuzzing import FuzzTarget, harness
from faultlab import Library

TARGET = FuzzTarget(mode="unknown", cwe="CWE-122", expect="heap-buffer-overflow", sanitizer="asan", timeout=5.0)
LIB = Library("fuzz/magic_probe")
ffi, lib = harness.cffi(LIB, "int probe_check(const uint8_t *data, size_t len);")


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    if len(data) < 4:
        return
    lib.probe_check(data, len(data))


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
