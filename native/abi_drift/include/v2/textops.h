/* textops.h: transformations of a caller's text, chosen by an enumerator.
 * No include guard and no #include: the library includes <stddef.h> and <stdint.h> first,
 * and bindings hand this file verbatim to cffi's cdef(), which reads declarations only. */
#define TEXTOPS_ABI_VERSION 2

enum text_op {
    TEXT_UPPER,
    TEXT_TITLE, /* new in 2.0, placed next to its relatives: every later value moved up by one */
    TEXT_LOWER,
    TEXT_REVERSE
};

/* Applies op to the NUL-terminated ASCII text in place; returns 0, or -1 for an unknown op. */
int text_apply(enum text_op op, char *text);
/* The enumerator's name, "TEXT_LOWER"; "?" for an unknown op. */
const char *text_op_name(enum text_op op);
/* TEXTOPS_ABI_VERSION as the library was built: a binding compares it with its own. */
int textops_abi_version(void);
