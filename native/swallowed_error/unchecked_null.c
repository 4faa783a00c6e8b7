/* @description CWE-476: a lookup that reports "not found" by returning NULL.
 * tb_lookup() returns the entry for a colour name, or NULL when there is none (the
 * contract of getenv(), getpwnam(), bsearch()). The caller must check before it reads
 * the entry. The fix lives in the binding, so this file has no #ifdef. */
#include <stddef.h>
#include <string.h>

struct entry {
    const char *name;
    int rgb;
};

static const struct entry table[] = {
    {"red", 0xff0000},
    {"green", 0x00ff00},
    {"blue", 0x0000ff},
};

const struct entry *tb_lookup(const char *name) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL; /* not found: NULL, documented */
}
