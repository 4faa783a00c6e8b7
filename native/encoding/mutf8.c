/* @description CWE-172 / CWE-838: a library whose strings are modified UTF-8, as JNI's are.
 * mutf8_from_utf8() takes standard UTF-8 and writes the modified UTF-8 form that
 * GetStringUTFChars, Java class files and DEX files use: each UTF-16 unit on its own,
 * so an emoji (a surrogate pair) takes six bytes, and NUL is C0 80, so the result has
 * no zero byte but its terminator. The encoder is correct; the bugs are in bindings that
 * read its output as UTF-8 or size its buffer by the wrong unit. No #ifdef here. */
#include <stddef.h>
#include <stdint.h>

/* The code point at in[*at], advancing *at; -1 if the bytes are not well-formed UTF-8
 * (overlong forms, surrogates and values above U+10FFFF included). */
static long next_code_point(const unsigned char *in, size_t len, size_t *at) {
    static const long min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char lead = in[*at];
    size_t need = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
    if (need == 0 || *at + need > len)
        return -1;
    long point = need == 1 ? lead : lead & (0xFF >> (need + 1));
    for (size_t k = 1; k < need; k++) {
        if ((in[*at + k] & 0xC0) != 0x80)
            return -1;
        point = (point << 6) | (in[*at + k] & 0x3F);
    }
    if (point < min_for_length[need] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF))
        return -1;
    *at += need;
    return point;
}

/* One UTF-16 unit as modified UTF-8: 1, 2 or 3 bytes, NUL as C0 80. Counts only when out is NULL. */
static size_t put_unit(unsigned unit, unsigned char *out) {
    if (unit != 0 && unit < 0x80) {
        if (out) out[0] = (unsigned char)unit;
        return 1;
    }
    if (unit < 0x800) {
        if (out) {
            out[0] = (unsigned char)(0xC0 | (unit >> 6));
            out[1] = (unsigned char)(0x80 | (unit & 0x3F));
        }
        return 2;
    }
    if (out) {
        out[0] = (unsigned char)(0xE0 | (unit >> 12));
        out[1] = (unsigned char)(0x80 | ((unit >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (unit & 0x3F));
    }
    return 3;
}

static long convert(const char *utf8, size_t len, char *out) {
    const unsigned char *in = (const unsigned char *)utf8;
    unsigned char *dst = (unsigned char *)out;
    size_t at = 0, written = 0;
    while (at < len) {
        long point = next_code_point(in, len, &at);
        if (point < 0)
            return -1;
        if (point >= 0x10000) { /* a supplementary character: two surrogate halves, three bytes each */
            point -= 0x10000;
            written += put_unit(0xD800 | (unsigned)(point >> 10), dst ? dst + written : NULL);
            written += put_unit(0xDC00 | (unsigned)(point & 0x3FF), dst ? dst + written : NULL);
        } else {
            written += put_unit((unsigned)point, dst ? dst + written : NULL);
        }
    }
    if (dst)
        dst[written] = 0;
    return (long)written;
}

/* Bytes the modified UTF-8 form of utf8[0..len) takes, without the terminator; -1 if not UTF-8. */
long mutf8_length(const char *utf8, size_t len) {
    return convert(utf8, len, NULL);
}

/* Writes the modified UTF-8 form and a terminating 0 to out, which must hold
 * mutf8_length(utf8, len) + 1 bytes; returns the bytes written without the terminator. */
long mutf8_from_utf8(const char *utf8, size_t len, char *out) {
    return convert(utf8, len, out);
}
