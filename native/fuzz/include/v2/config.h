/* config.h as of version 2: the struct grew a label; the library is built from this header. */
#include <stddef.h>
#include <stdint.h>

#define CFG_ABI_VERSION 2

struct cfg_options {
    uint32_t flags;
    uint16_t width;
    uint16_t height;
    char label[16]; /* new in v2, filled from a version-2 blob's 'L' record */
};

int cfg_load(const uint8_t *blob, size_t len, struct cfg_options *out);
