"""Fuzz a modified-UTF-8 decoder that lets surrogate pairs through (encoding, CWE-172).

The runtime rule: text handed to Python as UTF-8 must be UTF-8. JNI's modified UTF-8
spells a character outside the BMP as a pair of 3-byte surrogates (CESU-8); the broken
mu_to_utf8() in native/fuzz/mutf8.c converts NUL and lone surrogates but copies a
well-formed pair through unchanged. Only bytes that are a real pair (ED A0..AF xx, then
ED B0..BF xx) reach it; the binding's strict decode then fails on 0xED:
encoding-corruption. The fixed build combines the pair into one 4-byte character.
"""

import atheris

from faultlab.fuzzing import FuzzTarget, harness
from faultlab import Library

TARGET = FuzzTarget(mode="encoding", cwe="CWE-172", expect="encoding-corruption")
LIB = Library("fuzz/mutf8")
ffi, lib = harness.cffi(LIB, "long mu_to_utf8(const uint8_t *in, size_t len, uint8_t *out, size_t cap);")


@atheris.instrument_func
def TestOneInput(data: bytes) -> None:
    if not data:
        return
    out = ffi.new("uint8_t[]", len(data))
    size = lib.mu_to_utf8(data, len(data), out, len(data))
    if size < 0:
        return  # not modified UTF-8: refused
    ffi.buffer(out, size)[:].decode("utf-8")  # the binding trusts the library to hand back UTF-8


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
