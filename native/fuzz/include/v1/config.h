/* config.h as of version 1: the header the broken binding's cdef was written from. */
#include <stddef.h>
#include <stdint.h>

#define CFG_ABI_VERSION 1

struct cfg_options {
    uint32_t flags;
    uint16_t width;
    uint16_t height;
};

int cfg_load(const uint8_t *blob, size_t len, struct cfg_options *out);
