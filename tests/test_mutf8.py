"""The modified UTF-8 codec: round trips, the six-byte emoji, C0 80 for NUL, and agreement with the C encoder."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultlab.lab import mutf8, strategies
from faultlab.lab.native import Library

SURROGATE_HALF = re.compile(rb"\xed[\xa0-\xaf][\x80-\xbf]\xed[\xb0-\xbf][\x80-\xbf]")


@strategies.DETERMINISTIC
@given(st.text())
def test_every_valid_string_survives_a_round_trip(text):
    assert mutf8.decode(mutf8.encode(text)) == text


@strategies.DETERMINISTIC
@given(strategies.emoji_heavy_text(max_size=64))
def test_emoji_heavy_strings_survive_a_round_trip(text):
    assert mutf8.decode(mutf8.encode(text)) == text


@strategies.DETERMINISTIC
@given(strategies.text_with_lone_surrogates())
def test_lone_surrogates_survive_a_round_trip_as_in_java(text):
    assert mutf8.decode(mutf8.encode(text)) == text


@strategies.DETERMINISTIC
@given(strategies.supplementary_characters())
def test_a_supplementary_character_is_six_bytes_of_surrogate_halves(char):
    encoded = mutf8.encode(char)
    assert len(encoded) == 6
    assert SURROGATE_HALF.fullmatch(encoded), encoded.hex(" ")


def test_known_bytes():
    assert mutf8.encode("😀") == bytes.fromhex("ed a0 bd ed b8 80")
    assert mutf8.encode("\0") == b"\xc0\x80"
    assert mutf8.encode("a\0é€") == b"a\xc0\x80" + "é€".encode("utf-8")
    assert mutf8.decode(b"x\xc0\x80\xed\xa0\xbd\xed\xb8\x80") == "x\0😀"


@strategies.DETERMINISTIC
@given(strategies.emoji_heavy_text(max_size=64))
def test_nul_is_c0_80_and_no_zero_byte_is_ever_written(text):
    encoded = mutf8.encode(text)
    assert b"\0" not in encoded
    assert encoded.count(b"\xc0\x80") == text.count("\0")


@strategies.DETERMINISTIC
@given(st.text(st.characters(min_codepoint=1, max_codepoint=0xFFFF, exclude_categories=("Cs",))))
def test_bmp_text_without_nul_is_plain_utf8(text):
    assert mutf8.encode(text) == text.encode("utf-8")


@strategies.DETERMINISTIC
@given(strategies.text_with_lone_surrogates(max_size=64))
def test_encoded_length_counts_the_bytes_encode_writes(text):
    assert mutf8.encoded_length(text) == len(mutf8.encode(text))


@pytest.mark.parametrize("data, position, reason", [
    (b"ok\0", 2, "raw NUL"),
    ("ok😀".encode("utf-8"), 2, "four-byte sequence"),
    (b"a\xc0\x80\xed\xa0", 3, "byte 0xed in position 3"),  # a truncated surrogate half
    (b"\xc0\x80\xc0\xc0\x80", 2, "invalid"),
    (b"\xe0\x80\x80", 0, "invalid continuation byte"),  # an overlong NUL other than C0 80
])
def test_decode_rejects_what_is_not_modified_utf8_and_points_at_the_byte(data, position, reason):
    with pytest.raises(UnicodeDecodeError, match=reason) as caught:
        mutf8.decode(data)
    assert caught.value.encoding == "mutf-8"
    assert caught.value.start == position
    assert caught.value.object == data


@pytest.fixture(scope="module")
def c_encoder():
    """The catalog's C encoder (native/encoding/mutf8.c), built plain, as ``text -> bytes``."""
    ffi, lib = Library("encoding/mutf8").cffi("""
        long mutf8_length(const char *utf8, size_t len);
        long mutf8_from_utf8(const char *utf8, size_t len, char *out);
    """)

    def encode(text: str) -> bytes:
        utf8 = text.encode("utf-8")
        size = lib.mutf8_length(utf8, len(utf8))
        out = ffi.new("char[]", size + 1)
        assert lib.mutf8_from_utf8(utf8, len(utf8), out) == size
        assert out[size] == b"\0"
        return ffi.buffer(out, size)[:]

    return encode


@strategies.DETERMINISTIC
@given(text=strategies.emoji_heavy_text(max_size=64))
def test_the_c_encoder_agrees_with_the_python_codec(c_encoder, text):
    assert c_encoder(text) == mutf8.encode(text)
