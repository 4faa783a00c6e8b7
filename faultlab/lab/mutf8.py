"""Modified UTF-8, the encoding of JNI's ``GetStringUTFChars``, Java class files and DEX files.

It is UTF-8 of a UTF-16 string, unit by unit (CESU-8), with one more twist:

- a supplementary character (an emoji) is a surrogate pair, each half encoded on its
  own as three bytes, ``ED A0..AF xx ED B0..BF xx``: six bytes where UTF-8 takes four;
- NUL is the overlong ``C0 80``, so the encoded form never contains a zero byte and C
  can treat it as a NUL-terminated string;
- four-byte sequences never occur.

Python's ``utf-8`` codec refuses both twists (``can't decode byte 0xed``). These two
functions are the codec done right: ``decode(encode(s)) == s`` for every string without
a surrogate *pair* spelled as two code points (UTF-16 cannot tell that from the
character it encodes), lone surrogates included, as in Java.
"""

from __future__ import annotations

import re

_SUPPLEMENTARY = re.compile("[\U00010000-\U0010ffff]")
_FOUR_BYTE_LEAD = re.compile(rb"[\xf0-\xff]")


def _as_surrogate_pair(match: re.Match) -> str:
    point = ord(match.group()) - 0x10000
    return chr(0xD800 + (point >> 10)) + chr(0xDC00 + (point & 0x3FF))


def encode(text: str) -> bytes:
    """The modified UTF-8 bytes of ``text``: what ``GetStringUTFChars`` would hand to C."""
    utf16_units = _SUPPLEMENTARY.sub(_as_surrogate_pair, text)
    return utf16_units.encode("utf-8", "surrogatepass").replace(b"\0", b"\xc0\x80")


def decode(data: bytes) -> str:
    """The string that modified UTF-8 ``data`` encodes; ``UnicodeDecodeError`` if it is not modified UTF-8.

    Surrogate halves that form a pair become the supplementary character; a lone half
    stays a lone surrogate, as it was in the Java string.
    """
    data = bytes(data)
    zero = data.find(b"\0")
    if zero >= 0:
        raise UnicodeDecodeError("mutf-8", data, zero, zero + 1, "a raw NUL byte; modified UTF-8 spells NUL as C0 80")
    four = _FOUR_BYTE_LEAD.search(data)
    if four:
        raise UnicodeDecodeError("mutf-8", data, four.start(), four.start() + 1,
                                 "a four-byte sequence; modified UTF-8 spells it as a surrogate pair")
    # C0 is never a lead or continuation byte of well-formed UTF-8: splitting there cuts only at NULs.
    pieces, start = [], 0
    for piece in data.split(b"\xc0\x80"):
        try:
            pieces.append(piece.decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError("mutf-8", data, start + exc.start, start + exc.end, exc.reason) from None
        start += len(piece) + 2
    halves = "\0".join(pieces)
    # Re-pair the surrogate halves through UTF-16, which joins pairs and keeps lone halves.
    return halves.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def encoded_length(text: str) -> int:
    """``len(encode(text))`` without encoding: 2 for NUL, 1-3 per BMP character, 6 per supplementary one."""
    size = 0
    for char in text:
        point = ord(char)
        if point == 0:
            size += 2
        elif point < 0x80:
            size += 1
        elif point < 0x800:
            size += 2
        elif point < 0x10000:
            size += 3
        else:
            size += 6
    return size
