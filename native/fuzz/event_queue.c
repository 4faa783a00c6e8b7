/* @description CWE-833: a library calls back into Python while it holds its own lock.
 * eq_feed() reads an event stream: the magic "EVQ1", then events [kind][len][payload].
 * A plain event (kind 1..63) goes to the caller's handler at once; a deferred one ('D')
 * is queued under the library's mutex; a flush ('F', no payload) delivers the queue.
 * The handler may call eq_pending(), which takes the same mutex. The broken flush calls
 * the handler with the mutex held, so a stream with a deferred event and then a flush makes
 * the thread wait for itself forever (the watchdog: deadlock). The fix takes the batch
 * out of the queue and unlocks before it calls out. */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EQ_MAGIC 0x31515645u /* "EVQ1", little-endian */
#define EQ_DEFERRED 'D'
#define EQ_FLUSH 'F'
#define QUEUE_MAX 8

typedef void (*eq_handler)(int kind, const uint8_t *payload, size_t len);

struct event {
    int kind;
    uint8_t payload[16];
    size_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* a normal, non-recursive mutex */
static struct event queue[QUEUE_MAX];
static size_t queued;

size_t eq_pending(void) {
    pthread_mutex_lock(&lock);
    size_t n = queued;
    pthread_mutex_unlock(&lock);
    return n;
}

static int enqueue(int kind, const uint8_t *payload, size_t len) {
    pthread_mutex_lock(&lock);
    int ok = queued < QUEUE_MAX && len <= sizeof queue[0].payload;
    if (ok) {
        queue[queued].kind = kind;
        memcpy(queue[queued].payload, payload, len);
        queue[queued].len = len;
        queued++;
    }
    pthread_mutex_unlock(&lock);
    return ok ? 0 : -1;
}

static void flush(eq_handler handler) {
    pthread_mutex_lock(&lock);
#ifdef FAULTLAB_FIXED
    struct event batch[QUEUE_MAX];
    size_t n = queued;
    memcpy(batch, queue, n * sizeof batch[0]);
    queued = 0;
    pthread_mutex_unlock(&lock); /* FIX: call out only after letting go of the lock */
    for (size_t i = 0; i < n; i++)
        handler(batch[i].kind, batch[i].payload, batch[i].len);
#else
    while (queued > 0) {
        queued--;
        handler(queue[queued].kind, queue[queued].payload, queue[queued].len); /* FLAW: called with the lock held */
    }
    pthread_mutex_unlock(&lock);
#endif
}

/* Returns the number of events read, or -1 at the first one that is invalid. */
int eq_feed(const uint8_t *stream, size_t len, eq_handler handler) {
    uint32_t magic;
    int events = 0;
    if (len < 4)
        return -1;
    memcpy(&magic, stream, 4);
    if (magic != EQ_MAGIC)
        return -1;
    pthread_mutex_lock(&lock);
    queued = 0;
    pthread_mutex_unlock(&lock);
    const uint8_t *p = stream + 4, *end = stream + len;
    while (end - p >= 2) {
        int kind = p[0];
        size_t n = p[1];
        p += 2;
        if ((size_t)(end - p) < n)
            return -1;
        if (kind == EQ_FLUSH && n == 0)
            flush(handler);
        else if (kind == EQ_DEFERRED) {
            if (enqueue(kind, p, n) < 0)
                return -1;
        } else if (kind > 0 && kind < 0x40)
            handler(kind, p, n);
        else
            return -1;
        p += n;
        events++;
    }
    return events;
}
