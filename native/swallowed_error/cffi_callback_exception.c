/* @description CWE-390: a C walker cannot see a Python exception, only the callback's return value.
 * vt_walk() calls visit() for every item and stops at the first non-zero return, which
 * it returns: that value is the callback's only way to say "stop, something is wrong".
 * The fix lives in the binding, so this file has no #ifdef. */
#include <stddef.h>

typedef int (*vt_visitor)(int item);

int vt_walk(const int *items, size_t count, vt_visitor visit) {
    for (size_t i = 0; i < count; i++) {
        int rc = visit(items[i]);
        if (rc != 0)
            return rc; /* the visitor stopped the walk */
    }
    return 0;
}
