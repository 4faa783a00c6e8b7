/* fsinfo.h: what the library knows about a file.
 * No include guard and no #include: the library includes <stddef.h> and <stdint.h> first,
 * and bindings hand this file verbatim to cffi's cdef(), which reads declarations only. */
#define FSINFO_ABI_VERSION 1

/* The size in bytes of the file at path, or -1 if it cannot be stat()ed. */
int32_t fsinfo_size(const char *path);
/* FSINFO_ABI_VERSION as the library was built: a binding compares it with its own. */
int fsinfo_abi_version(void);
