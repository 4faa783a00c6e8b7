/* @description CWE-764: a library calls back into its user while holding its own non-recursive mutex.
 * rc_for_each(cb) walks the library's registry under `registry_lock` and calls cb for each
 * entry. A callback that calls back into the library (rc_count(), to show progress) locks
 * `registry_lock` a second time on the same thread: a default pthread mutex does not know
 * its owner, so the thread waits for itself, forever. The fix is in this file: copy what
 * the callbacks need under the lock, release it, then call out. */
#include <pthread.h>

#define CAPACITY 8

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static long entries[CAPACITY];
static int count;

void rc_add(long value) {
    pthread_mutex_lock(&registry_lock);
    if (count < CAPACITY)
        entries[count++] = value;
    pthread_mutex_unlock(&registry_lock);
}

int rc_count(void) {
    pthread_mutex_lock(&registry_lock);
    int n = count;
    pthread_mutex_unlock(&registry_lock);
    return n;
}

void rc_for_each(void (*cb)(long)) {
#ifdef FAULTLAB_FIXED
    long snapshot[CAPACITY];
    pthread_mutex_lock(&registry_lock);
    int n = count;
    for (int i = 0; i < n; i++)
        snapshot[i] = entries[i];
    pthread_mutex_unlock(&registry_lock);
    for (int i = 0; i < n; i++)
        cb(snapshot[i]); /* FIX: call out with no lock held; callbacks may call back in */
#else
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < count; i++)
        cb(entries[i]); /* FLAW: calls out while holding registry_lock */
    pthread_mutex_unlock(&registry_lock);
#endif
}
