/* @description CWE-362: a library keeps its statistics in a static global and updates it unlocked.
 * ug_add() may be called from any thread (the header says "thread-safe"), but the broken build
 * does a plain read-modify-write of `total`; two callers at once lose updates. The fix is a
 * mutex around the update, so it lives here under #ifdef FAULTLAB_FIXED.
 *
 * ug_expect_callers(n) is the lab's gate, not part of the library's contract: every ug_add()
 * waits until n callers are inside, then they touch `total` one after another, in the order
 * they arrived. The gate uses relaxed atomics on purpose: they order nothing for
 * ThreadSanitizer, so neither the gate nor the GIL (released by ctypes for the call) hides
 * the unordered accesses to `total`. Taking turns in time matters: TSan checks an access
 * against the shadow of earlier ones, and two accesses at the very same instant can miss
 * each other (measured: 1 run in 20 came out clean when both threads wrote at once). */
#include <pthread.h>
#include <stdatomic.h>

static long total;
static atomic_int expected_callers;
static atomic_int arrived;
static atomic_int turns_taken;
#ifdef FAULTLAB_FIXED
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

void ug_expect_callers(int n) {
    atomic_store_explicit(&expected_callers, n, memory_order_relaxed);
}

static void rendezvous(void) {
    int n = atomic_load_explicit(&expected_callers, memory_order_relaxed);
    int ticket = atomic_fetch_add_explicit(&arrived, 1, memory_order_relaxed);
    while (atomic_load_explicit(&arrived, memory_order_relaxed) < n)
        ; /* spin: every caller is in ug_add() before anyone touches `total` */
    while (atomic_load_explicit(&turns_taken, memory_order_relaxed) < ticket)
        ; /* spin: the callers before this one have touched `total` */
}

static void turn_done(void) {
    atomic_signal_fence(memory_order_seq_cst); /* the compiler keeps the update before the turn */
    atomic_fetch_add_explicit(&turns_taken, 1, memory_order_relaxed);
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
    turn_done();
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
