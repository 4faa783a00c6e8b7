/* @description CWE-122: the probe faultlab uses to check that native coverage works.
 * probe_check() writes one byte past a 4-byte heap block, but only for input that starts
 * with the 4-byte magic "FUZZ" (ASan: heap-buffer-overflow). A fuzzer that sees the
 * comparison in native code finds the magic in well under a second; one that does not
 * almost never does. The fixed variant allocates the byte it writes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MAGIC 0x5a5a5546u /* "FUZZ", little-endian */

int probe_check(const uint8_t *data, size_t len) {
    uint32_t magic;
    if (len < 4)
        return 0;
    memcpy(&magic, data, 4);
    if (magic != PROBE_MAGIC)
        return 0;
#ifdef FAULTLAB_FIXED
    uint8_t *block = malloc(5); /* FIX: room for the byte written below */
#else
    uint8_t *block = malloc(4); /* FLAW: one byte short */
#endif
    block[4] = len > 4 ? data[4] : 0;
    int seen = block[4];
    free(block);
    return seen + 1;
}
