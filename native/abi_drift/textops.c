/* @description CWE-687: an enumerator inserted in v2 renumbers the rest, and old callers ask for the wrong operation.
 * text_apply() picks its transformation by an enum text_op value. Version 2.0 inserted
 * TEXT_TITLE after TEXT_UPPER, so TEXT_LOWER went from 1 to 2: a caller declared from
 * the v1 header asks for 1 and gets title case. Enumerators are plain ints across the
 * boundary; nothing checks them. This library is built from the v2 header and is correct
 * for it; the fix lives in the binding, so no #ifdef here. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "textops.h"

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }
static int is_letter(char c) { return upper(c) != lower(c); }

int text_apply(enum text_op op, char *text) {
    size_t len = strlen(text);
    switch (op) { /* the numeric value decides, whatever name the caller had in mind */
    case TEXT_UPPER:
        for (size_t i = 0; i < len; i++)
            text[i] = upper(text[i]);
        return 0;
    case TEXT_TITLE:
        for (size_t i = 0; i < len; i++)
            text[i] = i > 0 && is_letter(text[i - 1]) ? lower(text[i]) : upper(text[i]);
        return 0;
    case TEXT_LOWER:
        for (size_t i = 0; i < len; i++)
            text[i] = lower(text[i]);
        return 0;
    case TEXT_REVERSE:
        for (size_t i = 0; i < len / 2; i++) {
            char c = text[i];
            text[i] = text[len - 1 - i];
            text[len - 1 - i] = c;
        }
        return 0;
    }
    return -1;
}

const char *text_op_name(enum text_op op) {
    static const char *const names[] = {"TEXT_UPPER", "TEXT_TITLE", "TEXT_LOWER", "TEXT_REVERSE"};
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

int textops_abi_version(void) {
    return TEXTOPS_ABI_VERSION;
}
