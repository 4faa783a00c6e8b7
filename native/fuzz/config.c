/* @description CWE-787 through ABI drift: version 2 of struct cfg_options grew a label.
 * cfg_load() reads a config blob: the magic "CONF", a blob version (1 or 2), then records
 * [tag][len][bytes]: 'F' flags (4 bytes), 'W' width and 'H' height (2 bytes each), and,
 * in a version-2 blob only, 'L' label (up to 15 bytes). The library is built from the v2
 * header (include/v2/config.h) and writes the label into out->label; a binding whose
 * cdef still mirrors v1 allocated 8 bytes, so only a version-2 blob with a label record
 * writes past the caller's struct (ASan: heap-buffer-overflow in cfg_load). Every other
 * blob works, which is why the drift goes unnoticed. No #ifdef here: the fix is in the
 * binding, whose cdef is regenerated from the v2 header. */
#include <string.h>

#include "config.h"

#define CFG_MAGIC 0x464e4f43u /* "CONF", little-endian */

int cfg_load(const uint8_t *blob, size_t len, struct cfg_options *out) {
    uint32_t magic;
    if (len < 5)
        return -1;
    memcpy(&magic, blob, 4);
    uint8_t version = blob[4];
    if (magic != CFG_MAGIC || version < 1 || version > CFG_ABI_VERSION)
        return -1;
    const uint8_t *p = blob + 5, *end = blob + len;
    int records = 0;
    while (end - p >= 2) {
        uint8_t tag = p[0], n = p[1];
        p += 2;
        if ((size_t)(end - p) < n)
            return -1;
        if (tag == 'F' && n == 4)
            memcpy(&out->flags, p, 4);
        else if (tag == 'W' && n == 2)
            memcpy(&out->width, p, 2);
        else if (tag == 'H' && n == 2)
            memcpy(&out->height, p, 2);
        else if (tag == 'L' && version >= 2 && n < sizeof out->label) {
            memcpy(out->label, p, n); /* the v2 field: past the end of a v1-sized struct */
            out->label[n] = '\0';
        } else
            return -1;
        p += n;
        records++;
    }
    return records;
}
