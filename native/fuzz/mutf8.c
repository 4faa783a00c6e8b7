/* @description CWE-172: a modified-UTF-8 decoder that passes surrogate pairs through.
 * JNI's modified UTF-8 writes NUL as C0 80 and a character outside the BMP as its UTF-16
 * surrogate pair, each half a 3-byte sequence (ED A0..AF xx, ED B0..BF xx). mu_to_utf8()
 * converts such text to standard UTF-8 for the caller. The broken decoder handles NUL and
 * lone surrogates (U+FFFD) but copies a well-formed pair through as its six CESU-8 bytes,
 * so the binding's strict decode fails on 0xED (encoding-corruption). Only a real pair,
 * high half then low half, reaches it. The fix combines the pair into one 4-byte sequence. */
#include <stddef.h>
#include <stdint.h>

static int is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

/* The code unit of the 3-byte sequence at p, or -1. */
static long three_byte(const uint8_t *p, const uint8_t *end) {
    if (end - p < 3 || (p[0] & 0xF0) != 0xE0 || !is_cont(p[1]) || !is_cont(p[2]))
        return -1;
    long unit = ((long)(p[0] & 0x0F) << 12) | ((long)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return unit < 0x800 ? -1 : unit; /* overlong */
}

static size_t put_utf8(uint8_t *out, long cp) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = 0xC0 | (cp >> 6);
        out[1] = 0x80 | (cp & 0x3F);
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = 0xE0 | (cp >> 12);
        out[1] = 0x80 | ((cp >> 6) & 0x3F);
        out[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    out[0] = 0xF0 | (cp >> 18);
    out[1] = 0x80 | ((cp >> 12) & 0x3F);
    out[2] = 0x80 | ((cp >> 6) & 0x3F);
    out[3] = 0x80 | (cp & 0x3F);
    return 4;
}

/* Converts modified UTF-8 to UTF-8; returns the output length, or -1 if the input is not
 * modified UTF-8 or the output does not fit. The output is never longer than the input. */
long mu_to_utf8(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
    const uint8_t *p = in, *end = in + len;
    size_t o = 0;
    if (cap < len)
        return -1;
    while (p < end) {
        uint8_t b = *p;
        if (b == 0 || (b >= 0x80 && b < 0xC0) || b >= 0xF0)
            return -1; /* raw NUL, stray continuation, 4-byte form: none exist in modified UTF-8 */
        if (b < 0x80) {
            out[o++] = b;
            p++;
        } else if (b < 0xE0) {
            if (end - p < 2 || !is_cont(p[1]))
                return -1;
            long cp = ((long)(b & 0x1F) << 6) | (p[1] & 0x3F);
            if (cp < 0x80 && cp != 0)
                return -1; /* overlong, except C0 80: modified UTF-8's NUL */
            o += put_utf8(out + o, cp);
            p += 2;
        } else {
            long unit = three_byte(p, end);
            if (unit < 0)
                return -1;
            long low = unit >= 0xD800 && unit < 0xDC00 ? three_byte(p + 3, end) : -1;
            if (low >= 0xDC00 && low < 0xE000) {
#ifdef FAULTLAB_FIXED
                long cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                o += put_utf8(out + o, cp); /* FIX: one supplementary character, four bytes */
#else
                for (int i = 0; i < 6; i++)
                    out[o++] = p[i]; /* FLAW: the CESU-8 pair is passed on as if it were UTF-8 */
#endif
                p += 6;
            } else {
                o += put_utf8(out + o, unit >= 0xD800 && unit < 0xE000 ? 0xFFFD : unit); /* a lone half */
                p += 3;
            }
        }
    }
    return (long)o;
}
