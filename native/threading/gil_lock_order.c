/* @description CWE-833: a library mutex and the GIL, taken in opposite orders by two threads.
 * gl_process(cb) locks the library's mutex and calls back into Python while holding it; the
 * callback needs the GIL. gl_flush() locks the same mutex. When a binding calls gl_flush()
 * while keeping the GIL (ctypes.PyDLL, or any API that does not release it), one thread holds
 * the mutex and waits for the GIL, the other holds the GIL and waits for the mutex: neither
 * ever runs again. The fix lives in the binding, so this file has no #ifdef.
 *
 * The two gates are the lab's, not the library's: `mutex_held` opens once gl_process() holds
 * the mutex, `flush_entered` once gl_flush() is running (holding whatever its caller holds),
 * so the worker's callback asks for the GIL only after the flushing thread has it, if it keeps it. */
#include <pthread.h>

static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
static long pending;

struct gate {
    pthread_mutex_t lock;
    pthread_cond_t opened;
    int open;
};
static struct gate mutex_held = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
static struct gate flush_entered = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void gate_open(struct gate *g) {
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->opened);
    pthread_mutex_unlock(&g->lock);
}

static void gate_wait(struct gate *g) {
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->opened, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

void gl_process(void (*on_item)(long)) {
    pthread_mutex_lock(&library_lock);
    pending++;
    gate_open(&mutex_held);
    gate_wait(&flush_entered);
    on_item(pending); /* a callback into Python while holding library_lock: it will need the GIL */
    pthread_mutex_unlock(&library_lock);
}

void gl_wait_until_processing(void) {
    gate_wait(&mutex_held);
}

long gl_flush(void) {
    gate_open(&flush_entered);
    pthread_mutex_lock(&library_lock); /* whoever holds the GIL while blocking here stops the callback */
    long flushed = pending;
    pending = 0;
    pthread_mutex_unlock(&library_lock);
    return flushed;
}
