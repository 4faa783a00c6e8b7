/* @description CWE-416: a session table whose lookup cache outlives a closed session.
 * sess_replay() replays a session log: the magic "SESS", a version byte (2), then
 * operations 'O' id (open), 'W' id len bytes (write into the session), 'C' id (close).
 * Lookups remember the last session found. Closing frees the session but the broken
 * library forgets to drop that cache, so open, write, close, write again on one id uses
 * the freed session (ASan: heap-use-after-free in sess_write). Only that sequence, behind
 * the magic and the version, reaches the bug. The fix forgets the cached pointer on close. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SESS_MAGIC 0x53534553u /* "SESS", little-endian */
#define SESS_VERSION 2
#define SLOTS 8

struct session {
    uint8_t buf[32];
    size_t used;
};

static struct session *slots[SLOTS];
static struct session *last_found; /* the lookup cache */
static unsigned last_id;

static struct session *sess_lookup(unsigned id) {
    if (last_found && last_id == id)
        return last_found;
    if (slots[id]) {
        last_found = slots[id];
        last_id = id;
    }
    return slots[id];
}

static int sess_write(unsigned id, const uint8_t *data, size_t len) {
    struct session *s = sess_lookup(id);
    if (!s)
        return -1;
    size_t room = sizeof s->buf - s->used;
    size_t n = len < room ? len : room;
    memcpy(s->buf + s->used, data, n); /* writes through whatever the cache holds */
    s->used += n;
    return 0;
}

static int sess_close(unsigned id) {
    struct session *s = slots[id];
    if (!s)
        return -1;
    slots[id] = NULL;
    free(s);
#ifdef FAULTLAB_FIXED
    if (last_found == s)
        last_found = NULL; /* FIX: a closed session leaves no pointer behind */
#else
    /* FLAW: last_found may still point at the session just freed */
#endif
    return 0;
}

static void sess_reset(void) {
    for (unsigned i = 0; i < SLOTS; i++) {
        free(slots[i]);
        slots[i] = NULL;
    }
    last_found = NULL;
}

/* Returns the number of operations replayed, or -1 at the first one that is invalid. */
int sess_replay(const uint8_t *log, size_t len) {
    uint32_t magic;
    int done = 0;
    if (len < 5)
        return -1;
    memcpy(&magic, log, 4);
    if (magic != SESS_MAGIC || log[4] != SESS_VERSION)
        return -1;
    sess_reset();
    const uint8_t *p = log + 5, *end = log + len;
    while (end - p >= 2) {
        uint8_t op = p[0];
        unsigned id = p[1] % SLOTS;
        p += 2;
        int rc = -1;
        switch (op) {
        case 'O':
            rc = slots[id] ? -1 : ((slots[id] = calloc(1, sizeof(struct session))) ? 0 : -1);
            break;
        case 'C':
            rc = sess_close(id);
            break;
        case 'W':
            if (p < end && (size_t)(end - p - 1) >= p[0]) {
                rc = sess_write(id, p + 1, p[0]);
                p += 1 + p[0];
            }
            break;
        }
        if (rc < 0)
            break;
        done++;
    }
    sess_reset();
    return done;
}
