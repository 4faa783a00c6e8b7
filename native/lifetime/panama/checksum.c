/* Checksums a buffer in the background, as a C library with an asynchronous API would:
 * it keeps the caller's pointer until the checksum is taken. */
#include <stddef.h>
#include <stdint.h>

static const unsigned char *kept;
static size_t kept_size;

void checksum_start(const unsigned char *buffer, size_t size) {
    kept = buffer;
    kept_size = size;
}

uint64_t checksum_finish(void) {
    uint64_t sum = 0;
    for (size_t i = 0; i < kept_size; i += 4096)
        sum += kept[i]; /* reads the caller's buffer, now */
    kept = NULL;
    return sum;
}
