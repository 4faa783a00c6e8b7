"""A binding decodes modified UTF-8 leniently, and emoji and NULs turn into U+FFFD.

The runtime's rule: a decoder's error handler decides what happens to bytes it does
not understand, and ``errors="replace"`` decides to destroy them. Modified UTF-8 (the
library's encoding, JNI's) writes each emoji as two three-byte surrogate halves and NUL
as ``C0 80``; Python's UTF-8 decoder rejects those bytes, and with ``replace`` it puts
U+FFFD in their place without a word. A user sees no exception, only text that comes
back from the library as ``'\\ufffd\\ufffd...'`` where the emoji were, stored and passed
on. The round-trip oracle, the same in both variants, sends Hypothesis' emoji-heavy
strings through the library and raises ``silent-corruption`` when one comes back
changed. The fix, in the binding, decodes with ``faultlab.lab.mutf8``.
"""

from hypothesis import given

from faultlab import Case, Detected, Expect, Library
from faultlab.lab import mutf8, strategies

LIB = Library("encoding/mutf8")
CDEF = """
long mutf8_length(const char *utf8, size_t len);
long mutf8_from_utf8(const char *utf8, size_t len, char *out);
"""

lenient_decode = Case(
    id="encoding/lenient-decode",
    mode="encoding",
    cwe="CWE-838",
    title="modified UTF-8 decoded with errors='replace' silently turns emoji and NUL into U+FFFD",
    explanation=__doc__,
    expect={"none": Expect("silent-corruption", frame="round_trip")},
    fix_in="binding",
    libraries=(LIB,),
)


def round_trip_through_the_library(decode) -> None:
    """The oracle: every emoji-heavy string must come back from the library unchanged."""
    ffi, lib = LIB.cffi(CDEF)

    @strategies.DEMONSTRATION
    @given(strategies.emoji_heavy_text())
    def round_trip(text):
        utf8 = text.encode("utf-8")
        size = lib.mutf8_length(utf8, len(utf8))
        out = ffi.new("char[]", size + 1)
        lib.mutf8_from_utf8(utf8, len(utf8), out)
        back = decode(ffi.buffer(out, size)[:])
        if back != text:
            raise Detected("silent-corruption", f"round trip through the library changed {ascii(text)} into {ascii(back)}")

    round_trip()


@lenient_decode.broken
def decode_with_replacement():
    round_trip_through_the_library(lambda raw: raw.decode("utf-8", errors="replace"))  # FLAW: bad bytes become U+FFFD


@lenient_decode.fixed
def decode_as_modified_utf8():
    round_trip_through_the_library(mutf8.decode)  # FIX: nothing to replace when the codec is right
