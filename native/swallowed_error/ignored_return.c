/* @description CWE-252: a write that fails says so only through its return value and errno.
 * jr_append() copies a record into a fixed-size journal; when the record does not fit it
 * writes nothing, sets errno to ENOSPC and returns -1, like write(2) on a full disk. The
 * caller must drain the journal (jr_drain) and retry. The fix lives in the binding, so
 * this file has no #ifdef. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#define JOURNAL_CAPACITY 64

static char journal[JOURNAL_CAPACITY];
static size_t used;

int jr_append(const char *record, size_t len) {
    if (len > JOURNAL_CAPACITY - used) {
        errno = ENOSPC;
        return -1; /* nothing was written; only the return value and errno say so */
    }
    memcpy(journal + used, record, len);
    used += len;
    return (int)len;
}

size_t jr_drain(char *out, size_t cap) {
    size_t n = used < cap ? used : cap;
    memcpy(out, journal, n);
    memmove(journal, journal + n, used - n);
    used -= n;
    return n;
}
