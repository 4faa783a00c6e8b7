/* @description CWE-252: an error return (-1 for "no such field") flows unchecked into a shift.
 * A packet-header library describes its fields: fm_width() gives a field's width in bits, or
 * -1 for a field it does not know (this version knows no "checksum"), and fm_mask() turns a
 * width into a bit mask. fm_mask()'s contract is a width of 0 to 31; the library trusts its
 * callers, as C libraries do, so a -1 passed on becomes a shift by a negative count:
 * undefined behaviour, which UBSan reports and plain x86 turns into a wrong mask without a
 * word. The fix belongs in the binding, so this file has no #ifdef. */
#include <stdint.h>
#include <string.h>

static const struct {
    const char *name;
    int width;
} FIELDS[] = {{"version", 4}, {"flags", 8}, {"length", 16}};

int fm_width(const char *name) {
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        if (strcmp(FIELDS[i].name, name) == 0)
            return FIELDS[i].width;
    return -1; /* no such field: the caller must check */
}

uint32_t fm_mask(int width) {
    return (UINT32_C(1) << width) - 1; /* width: 0..31, as documented */
}
