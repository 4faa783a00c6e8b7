/* @description CWE-362: a library keeps its statistics in a static global and updates it unlocked.
 * ug_add() may be called from any thread (the header says "thread-safe"), but the broken build
 * does a plain read-modify-write of `total`; two callers at once lose updates. The fix is a
 * mutex around the update, so it lives here under #ifdef FAULTLAB_FIXED.
 *
 * ug_expect_callers(n) is the lab's gate, not part of the library's contract: every ug_add()
 * waits until n callers are inside, so their accesses certainly overlap. The rendezvous uses
 * relaxed atomics on purpose: they order nothing for ThreadSanitizer, so neither the gate nor
 * the GIL (released by ctypes for the call) hides the unordered accesses to `total`. */
#include <pthread.h>
#include <stdatomic.h>

static long total;
static atomic_int expected_callers;
static atomic_int arrived;
#ifdef FAULTLAB_FIXED
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

void ug_expect_callers(int n) {
    atomic_store_explicit(&expected_callers, n, memory_order_relaxed);
}

static void rendezvous(void) {
    int n = atomic_load_explicit(&expected_callers, memory_order_relaxed);
    atomic_fetch_add_explicit(&arrived, 1, memory_order_relaxed);
    while (atomic_load_explicit(&arrived, memory_order_relaxed) < n)
        ; /* spin: every caller is in ug_add() before anyone touches `total` */
}

void ug_add(long n) {
    rendezvous();
#ifdef FAULTLAB_FIXED
    pthread_mutex_lock(&total_lock); /* FIX: one writer at a time */
    total += n;
    pthread_mutex_unlock(&total_lock);
#else
    total += n; /* FLAW: unguarded read-modify-write of a global shared by every thread */
#endif
}

long ug_total(void) {
#ifdef FAULTLAB_FIXED
    pthread_mutex_lock(&total_lock);
    long value = total;
    pthread_mutex_unlock(&total_lock);
    return value;
#else
    return total;
#endif
}
