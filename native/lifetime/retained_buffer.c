/* @description CWE-416: the library keeps a pointer to a caller-owned buffer past the call.
 * rb_register() remembers where the caller's buffer is; rb_checksum() reads it later.
 * The contract (documented, and ignored by the broken binding): the buffer must stay
 * alive until rb_unregister(). The fix lives in the binding, so this file has no #ifdef. */
#include <stddef.h>

static const unsigned char *registered;
static size_t registered_len;

void rb_register(const unsigned char *buf, size_t len) {
    registered = buf; /* the library retains the caller's pointer */
    registered_len = len;
}

unsigned rb_checksum(void) {
    unsigned sum = 0;
    for (size_t i = 0; i < registered_len; i++)
        sum = sum * 31 + registered[i]; /* reads through the retained pointer */
    return sum;
}

void rb_unregister(void) {
    registered = NULL;
    registered_len = 0;
}
