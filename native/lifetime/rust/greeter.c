/* A greeter that remembers the name it is given, as many C libraries keep a caller's
 * string: the caller promises the pointer stays valid until the next call. */
#include <stddef.h>

static const char *kept_name;

void greeter_set_name(const char *name) { kept_name = name; }

size_t greeter_greet(char *out, size_t size) {
    static const char hello[] = "hello, ";
    size_t n = 0;
    for (const char *p = hello; *p && n + 1 < size; p++)
        out[n++] = *p;
    for (const char *p = kept_name; *p && n + 1 < size; p++) /* reads the caller's bytes, now */
        out[n++] = *p;
    out[n] = '\0';
    return n;
}
