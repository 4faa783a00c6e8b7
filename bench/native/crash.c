/* @description CWE-416 on purpose, for the crash-to-verdict bench: a read of a freed block.
 * Under ASan it is reported at once as heap-use-after-free; the bench times how long
 * faultlab takes from that moment to a classified verdict. */
#include <stdlib.h>

int crash_use_after_free(void) {
    char *block = malloc(16);
    block[0] = 1;
    free(block);
    return block[0]; /* FLAW: reads the block after free() */
}
