"""A binding decodes a library's modified UTF-8 with Python's strict UTF-8 codec.

The runtime's rule: bytes mean nothing without their encoding, and modified UTF-8
(JNI's ``GetStringUTFChars``, Java class files) is not UTF-8. It writes an emoji as a
surrogate pair, three bytes per half (``ED A0 BD ED B8 80`` for U+1F600), and NUL as
``C0 80``; UTF-8 forbids both. The broken binding calls ``.decode("utf-8")`` on the
library's output, which works for every ASCII test string and fails on the first
emoji: a user sees ``UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed``. The
fix, in the binding, decodes with a real modified UTF-8 codec (``faultlab.lab.mutf8``),
which re-pairs the surrogate halves and turns ``C0 80`` back into NUL.
"""

from faultlab.lab import mutf8
from faultlab import Case, Expect, Library

LIB = Library("encoding/mutf8")
CDEF = """
long mutf8_length(const char *utf8, size_t len);
long mutf8_from_utf8(const char *utf8, size_t len, char *out);
"""
MESSAGE = "build passed 😀 (3 warnings)"

strict_decode = Case(
    id="encoding/strict-decode",
    mode="encoding",
    cwe="CWE-172",
    title="modified UTF-8 from a library is decoded as strict UTF-8 and fails on the first emoji",
    explanation=__doc__,
    expect={"none": Expect("encoding-corruption", frame="decode_as_utf8")},
    fix_in="binding",
    libraries=(LIB,),
)


def library_bytes(text: str) -> bytes:
    """What the library hands back for ``text``: its modified UTF-8 form, correctly sized."""
    ffi, lib = LIB.cffi(CDEF)
    utf8 = text.encode("utf-8")
    size = lib.mutf8_length(utf8, len(utf8))
    out = ffi.new("char[]", size + 1)
    lib.mutf8_from_utf8(utf8, len(utf8), out)
    return ffi.buffer(out, size)[:]


@strict_decode.broken
def decode_as_utf8():
    text = library_bytes(MESSAGE).decode("utf-8")  # FLAW: ED A0 BD is a surrogate half, illegal in UTF-8
    assert text == MESSAGE


@strict_decode.fixed
def decode_as_modified_utf8():
    text = mutf8.decode(library_bytes(MESSAGE))  # FIX: the codec the bytes were written in
    assert text == MESSAGE
