/* @description CWE-573: a handle that may only be used by the thread that opened it.
 * Like an SQLite connection opened with check_same_thread, an OpenGL context or a GUI
 * toolkit's widgets, a ta_handle keeps per-thread state: ta_open() records the opening
 * thread, and every other call checks it and aborts with a message when the caller is
 * someone else. The rule is the library's contract; the fix lives in the binding, which
 * routes every call for a handle through its owner thread, so this file has no #ifdef. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct ta_handle {
    pthread_t owner; /* the only thread allowed to use this handle */
    long uses;
};

struct ta_handle *ta_open(void) {
    struct ta_handle *h = calloc(1, sizeof *h);
    h->owner = pthread_self();
    return h;
}

static void check_owner(const struct ta_handle *h, const char *function) {
    if (!pthread_equal(h->owner, pthread_self())) {
        fprintf(stderr, "thread_affine: %s: handle %p belongs to thread 0x%lx, called from thread 0x%lx\n",
                function, (const void *)h, (unsigned long)h->owner, (unsigned long)pthread_self());
        abort(); /* the library's own check: using the handle here would corrupt its per-thread state */
    }
}

long ta_use(struct ta_handle *h) {
    check_owner(h, "ta_use");
    return ++h->uses;
}

void ta_close(struct ta_handle *h) {
    check_owner(h, "ta_close");
    free(h);
}
