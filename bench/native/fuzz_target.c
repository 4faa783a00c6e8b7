/* @description The fuzz bench's native target: a small record parser with real input structure.
 * A record is "FLAB", a version byte, a length byte and that many payload bytes whose
 * sum must match a trailing checksum; each check is a branch coverage can see. It has no
 * bug on purpose: the bench measures executions per second, not findings. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FT_MAGIC 0x42414c46u /* "FLAB", little-endian */

int ft_parse(const unsigned char *data, size_t size) {
    uint32_t magic;
    if (size < 7)
        return -1;
    /* One 4-byte comparison, not memcmp(): the compiler's comparison tracing sees it in both
     * harnesses, while libFuzzer's memcmp interceptor exists only in a linked fuzzer binary. */
    memcpy(&magic, data, sizeof magic);
    if (magic != FT_MAGIC)
        return -1;
    unsigned version = data[4], length = data[5];
    if (version == 0 || version > 3)
        return -2;
    if ((size_t)length + 7 > size)
        return -3;
    unsigned char sum = 0;
    for (unsigned i = 0; i < length; i++)
        sum += data[6 + i];
    if (sum != data[6 + length])
        return -4;
    return version == 3 ? (int)length * 2 : (int)length;
}
