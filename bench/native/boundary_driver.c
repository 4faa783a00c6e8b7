/* @description The boundary bench's baseline: C calling bl_add_one() and bl_sum() through
 * pointers the compiler cannot see through (volatile), so nothing is inlined or folded
 * away and what is left is the price of a plain C call and of the C loop per item.
 * Every runtime's child runs the same protocol and prints the same one JSON line:
 *   boundary_driver CALLS ROUNDS WARMUP MAX_BATCH ITEMS
 * -> {"per_call": [ns, ...], "per_item": {"1": [ns, ...], "2": ...}, "check": N} */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "boundary.h"

static int (*volatile add_one)(int) = bl_add_one;
static long long (*volatile sum)(const int *, size_t) = bl_sum;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void print_samples(const double *samples, int n) {
    for (int r = 0; r < n; r++)
        printf("%s%.4f", r ? ", " : "[", samples[r]);
    printf("]");
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s CALLS ROUNDS WARMUP MAX_BATCH ITEMS\n", argv[0]);
        return 2;
    }
    long calls = atol(argv[1]), max_batch = atol(argv[4]), items = atol(argv[5]);
    int rounds = atoi(argv[2]), warmup = atoi(argv[3]), sizes = 0;
    for (long n = 1; n <= max_batch; n *= 2)
        sizes++;
    int *xs = malloc(max_batch * sizeof *xs);
    double *per_call = calloc(rounds, sizeof *per_call), *per_item = calloc((size_t)rounds * sizes, sizeof *per_item);
    for (long i = 0; i < max_batch; i++)
        xs[i] = i % 1000;
    long long check = 0;
    for (int r = -warmup; r < rounds; r++) {
        double start = now_ns();
        for (long i = 0; i < calls; i++)
            check += add_one((int)i);
        if (r >= 0)
            per_call[r] = (now_ns() - start) / calls;
        int k = 0;
        for (long n = 1; n <= max_batch; n *= 2, k++) {
            long reps = items / n > 0 ? items / n : 1;
            start = now_ns();
            for (long j = 0; j < reps; j++)
                check += sum(xs, n);
            if (r >= 0)
                per_item[k * rounds + r] = (now_ns() - start) / ((double)reps * n);
        }
    }
    printf("{\"per_call\": ");
    print_samples(per_call, rounds);
    printf(", \"per_item\": {");
    int k = 0;
    for (long n = 1; n <= max_batch; n *= 2, k++) {
        printf("%s\"%ld\": ", k ? ", " : "", n);
        print_samples(per_item + k * rounds, rounds);
    }
    printf("}, \"check\": %lld}\n", check);
    return 0;
}
