/* @description CWE-415: a session must be closed exactly once.
 * sess_open() allocates a session and sess_close() frees it; the library cannot know
 * whether a pointer it is given was already closed. The broken binding has two owners
 * for one session (an ffi.gc destructor and a manual close), so it is freed twice. The
 * fix lives in the binding, so this file has no #ifdef. */
#include <stdlib.h>
#include <string.h>

struct session {
    char peer[120]; /* 128 bytes: a size CPython's own malloc calls (pymalloc serves small objects) rarely ask for */
    unsigned sent;
};

struct session *sess_open(const char *peer) {
    struct session *s = malloc(sizeof *s); /* malloc, not calloc: glibc's calloc bypasses the tcache */
    if (s) {
        memset(s, 0, sizeof *s);
        strncpy(s->peer, peer, sizeof s->peer - 1);
    }
    return s;
}

unsigned sess_send(struct session *s, unsigned nbytes) {
    s->sent += nbytes;
    return s->sent;
}

void sess_close(struct session *s) {
    free(s); /* releases the session: must happen once per sess_open() */
}
