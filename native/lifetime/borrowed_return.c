/* @description CWE-416: the library returns a pointer it still owns, valid only until its next call.
 * nt_name() formats a node's name into the library's one result buffer and returns that
 * buffer; each call frees the previous buffer and allocates a new one. The contract
 * (documented, as for strerror(), inet_ntoa() or getenv()): the caller may read the
 * result, not keep it. The fix lives in the binding, so this file has no #ifdef. */
#include <stdio.h>
#include <stdlib.h>

static char *result; /* owned by the library, lent to the caller until the next call */

const char *nt_name(int id) {
    free(result); /* the previous result dies here */
    result = malloc(32);
    if (result)
        snprintf(result, 32, "node-%04d", id);
    return result;
}

void nt_release(void) {
    free(result);
    result = NULL;
}
