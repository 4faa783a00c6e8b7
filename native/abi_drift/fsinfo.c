/* @description CWE-681: a return type widened from int32_t to int64_t between versions.
 * fsinfo_size() returned int32_t in 1.x and returns int64_t since 2.0, in rax. A caller
 * declared from the v1 header reads only eax, the low 32 bits: a 5 GiB file is 1 GiB.
 * Nothing is out of bounds, so no sanitizer notices. This library is built from the v2
 * header and is correct for it; the fix lives in the binding, so no #ifdef here. */
#define _FILE_OFFSET_BITS 64
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fsinfo.h"

int64_t fsinfo_size(const char *path) {
    struct stat info;
    if (stat(path, &info) != 0)
        return -1;
    return (int64_t)info.st_size; /* all 64 bits, in rax */
}

int fsinfo_abi_version(void) {
    return FSINFO_ABI_VERSION;
}
