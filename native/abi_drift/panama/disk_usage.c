/* Disk usage in bytes. Version 2 of the library widened the return type: version 1
 * returned int32_t and overflowed past 2 GiB. Callers built against version 1 still
 * read 32 bits. */
#include <stdint.h>

int64_t total_bytes(int32_t blocks, int32_t block_size) { return (int64_t)blocks * block_size; }
