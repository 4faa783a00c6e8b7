/* @description CWE-562: the library returns the address of its own stack array.
 * hx_format() formats a value as hex text. The broken version builds the text in a local
 * array and returns its address: the frame, and the array with it, dies at the return,
 * and the caller reads whatever reuses that stack. The fix changes the API: the caller
 * provides the buffer, so its lifetime is the caller's to decide. */
#include <stddef.h>
#include <stdio.h>

#ifdef FAULTLAB_FIXED
const char *hx_format(unsigned value, char *out, size_t len) {
    snprintf(out, len, "0x%08x", value); /* FIX: the text lives in the caller's buffer */
    return out;
}
#else
/* Through a call, because gcc compiles a direct `return text;` to `return NULL` (-Wreturn-local-addr). */
static const char *escape(const char *p) { return p; }

const char *hx_format(unsigned value) {
    char text[16];
    snprintf(text, sizeof text, "0x%08x", value);
    return escape(text); /* FLAW: returns the address of an array in this dying frame */
}
#endif
