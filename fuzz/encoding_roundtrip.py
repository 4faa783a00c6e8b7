"""Round-trip the cases' emoji-heavy text through the modified-UTF-8 decoder (encoding, CWE-172).

The same library as encoding_mutf8 (native/fuzz/mutf8.c), driven the other way: the
bytes atheris mutates are Hypothesis's choices (``fuzz_one_input``) among the generators
of ``faultlab.lab.strategies`` that the encoding cases use, so every input is real Java text,
spelled in modified UTF-8 by ``faultlab.lab.mutf8.encode`` as GetStringUTFChars would.
This harness already knows the structure the raw one must discover: it reaches the broken
decoder's surrogate pairs at once, with or without native coverage, and holds the fixed
decoder to a strict oracle: every string comes back as it went in, a lone surrogate as
U+FFFD (UTF-8 cannot carry it), or ``faultlab.Detected("silent-corruption", ...)``.
"""

import re

import atheris
from hypothesis import given
from hypothesis import strategies as st

from faultlab import Detected, Library
from faultlab.lab import mutf8, strategies
from faultlab.fuzzing import FuzzTarget, harness

TARGET = FuzzTarget(mode="encoding", cwe="CWE-172", expect="encoding-corruption")
LIB = Library("fuzz/mutf8")
ffi, lib = harness.cffi(LIB, "long mu_to_utf8(const uint8_t *in, size_t len, uint8_t *out, size_t cap);")
LONE_HALF = re.compile("[\ud800-\udfff]")


@strategies.DETERMINISTIC
@given(st.one_of(strategies.emoji_heavy_text(), strategies.text_with_lone_surrogates()))
def round_trip(text: str) -> None:
    data = mutf8.encode(text)
    out = ffi.new("uint8_t[]", max(1, len(data)))
    size = lib.mu_to_utf8(data, len(data), out, len(data))
    if size < 0:
        raise Detected("silent-corruption", f"mu_to_utf8() refused the modified UTF-8 of {text!r}")
    back = ffi.buffer(out, size)[:].decode("utf-8")  # the binding trusts the library to hand back UTF-8
    if back != LONE_HALF.sub("\ufffd", text):
        raise Detected("silent-corruption", f"{text!r} came back as {back!r}")


TestOneInput = round_trip.hypothesis.fuzz_one_input


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
