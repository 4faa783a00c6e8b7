/* @description CWE-390: a C parser cannot see a Python exception raised in its callback.
 * lp_parse() splits text into lines and hands each one to on_line(); the callback returns
 * nothing, so the parser cannot be told that a line was rejected, and it returns the
 * number of lines it delivered. The fix lives in the binding, so this file has no #ifdef. */
#include <stddef.h>
#include <string.h>

typedef void (*lp_on_line)(const char *line, size_t len);

int lp_parse(const char *text, lp_on_line on_line) {
    int delivered = 0;
    while (*text) {
        size_t len = strcspn(text, "\n");
        on_line(text, len); /* whatever the callback did, the parser goes on */
        delivered++;
        text += len;
        if (*text == '\n')
            text++;
    }
    return delivered;
}
