/* @description CWE-833: two mutexes taken in opposite orders by two threads (lock-order inversion).
 * lo_transfer(from, to, amount) locks `from`, then `to`. transfer(a, b) on one thread and
 * transfer(b, a) on another take the same two locks in opposite orders: if their first
 * lock()s ever overlap, each waits for the other forever. Whether they overlap is timing,
 * so the bug can sleep for years; ThreadSanitizer's lock-order graph sees the cycle even
 * in a run where the two transfers never overlap. The fix, one global lock order (lowest
 * account id first), is in this file. */
#include <pthread.h>
#include <stdlib.h>

struct lo_account {
    pthread_mutex_t lock;
    int id; /* defines the global lock order in the fixed build */
    long balance;
};

struct lo_account *lo_open(int id, long balance) {
    struct lo_account *a = calloc(1, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
    a->id = id;
    a->balance = balance;
    return a;
}

long lo_balance(struct lo_account *a) {
    pthread_mutex_lock(&a->lock);
    long balance = a->balance;
    pthread_mutex_unlock(&a->lock);
    return balance;
}

void lo_transfer(struct lo_account *from, struct lo_account *to, long amount) {
#ifdef FAULTLAB_FIXED
    struct lo_account *first = from->id < to->id ? from : to; /* FIX: every thread locks the lower id first */
    struct lo_account *second = first == from ? to : from;
#else
    struct lo_account *first = from, *second = to; /* FLAW: the lock order follows the arguments */
#endif
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

void lo_close(struct lo_account *a) {
    pthread_mutex_destroy(&a->lock);
    free(a);
}
