/* The tiny C functions the boundary bench calls from Python, declared once for every binding. */
#include <stddef.h>

int bl_add_one(int x);
long long bl_sum(const int *xs, size_t n);
