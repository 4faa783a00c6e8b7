/* @description The boundary bench's target: work so small that a call costs only its crossing.
 * bl_add_one() is what one call per item pays for; bl_sum() is the batched form, one
 * crossing for a whole buffer, which is the batching rule's point. */
#include "boundary.h"

int bl_add_one(int x) {
    return x + 1;
}

long long bl_sum(const int *xs, size_t n) {
    long long total = 0;
    for (size_t i = 0; i < n; i++)
        total += xs[i] + 1; /* the same work as bl_add_one, per item, without a crossing */
    return total;
}
