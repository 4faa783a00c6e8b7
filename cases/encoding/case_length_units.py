"""A binding sizes a modified UTF-8 buffer by counting characters, and C writes past its end.

The runtime's rule: a length has a unit. Python's ``len(str)`` counts code points, Java's
``String.length()`` UTF-16 units, C counts bytes, and modified UTF-8 (the library's
encoding, JNI's) spends six bytes on every supplementary character, two three-byte
surrogate halves. The broken binding allocates ``4 * len(text) + 1`` bytes, UTF-8's
worst case per code point, which is enough for every UTF-8 string and too little for
emoji in modified UTF-8; the library fills the buffer it was promised is large enough
and writes past its end. A user sees nothing for ASCII text and, for a string of emoji,
memory corruption (ASan: heap-buffer-overflow WRITE in the encoder). Hypothesis drives
both variants with the same emoji-heavy strings (``faultlab.lab.strategies``); the broken
sizing survives the first few, ASCII and NUL among them, and overflows on the first
emoji. The fix, in the binding, asks the library for the size in bytes
(``mutf8_length``) before allocating.
"""

from hypothesis import given

from faultlab.lab import strategies
from faultlab import Case, Expect, Library

LIB = Library("encoding/mutf8")
CDEF = """
long mutf8_length(const char *utf8, size_t len);
long mutf8_from_utf8(const char *utf8, size_t len, char *out);
"""

length_units = Case(
    id="encoding/length-units",
    mode="encoding",
    cwe="CWE-131",
    title="a buffer for modified UTF-8 is sized in code points and the encoder overflows it on emoji",
    explanation=__doc__,
    expect={"asan": Expect("heap-buffer-overflow", frame="put_unit", access="WRITE")},
    fix_in="binding",
    libraries=(LIB,),
)


def encode_into(buffer_size) -> None:
    """Encode every drawn text into a buffer of ``buffer_size(lib, text, utf8)`` bytes, and check it."""
    ffi, lib = LIB.cffi(CDEF)

    @strategies.DEMONSTRATION
    @given(strategies.emoji_heavy_text())
    def encode(text):
        utf8 = text.encode("utf-8")
        out = ffi.new("char[]", buffer_size(lib, text, utf8))
        written = lib.mutf8_from_utf8(utf8, len(utf8), out)
        assert written == lib.mutf8_length(utf8, len(utf8))

    encode()


@length_units.broken
def size_by_code_points():
    encode_into(lambda lib, text, utf8: 4 * len(text) + 1)  # FLAW: 4 bytes per code point is UTF-8's bound, not MUTF-8's 6


@length_units.fixed
def size_by_the_library():
    encode_into(lambda lib, text, utf8: lib.mutf8_length(utf8, len(utf8)) + 1)  # FIX: the size in bytes of the encoding written
