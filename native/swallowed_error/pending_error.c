/* @description CWE-391: a failure reported JNI-style, as a pending error the caller must check.
 * cfg_parse_int() does not fail loudly: on bad input it returns 0 and leaves an error
 * pending, as a JNI call leaves a Java exception pending. Until the caller clears it
 * (cfg_error_clear), every other call is a fatal error; the library aborts with its own
 * message, as the JVM does under -Xcheck:jni ("FATAL ERROR in native method: JNI called
 * with pending exception"). Only cfg_error_pending(), cfg_error_message() and
 * cfg_error_clear() are safe to call while an error is pending. The fix lives in the
 * binding, so this file has no #ifdef. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SETTINGS 8

static char pending[160]; /* non-empty: an error is pending */
static struct { char key[32]; long value; } settings[MAX_SETTINGS];
static int nsettings;

static void require_no_pending_error(const char *function) {
    if (pending[0]) {
        fprintf(stderr, "FATAL ERROR in libcfg: %s() called with an error pending: %s\n", function, pending);
        abort(); /* the library's own check, far from the call that failed */
    }
}

long cfg_parse_int(const char *text) {
    require_no_pending_error(__func__);
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0') {
        snprintf(pending, sizeof pending, "cfg_parse_int: \"%s\" is not an integer", text);
        return 0; /* a plausible value; the failure is pending, not returned */
    }
    return value;
}

void cfg_set(const char *key, long value) {
    require_no_pending_error(__func__);
    if (nsettings == MAX_SETTINGS) {
        snprintf(pending, sizeof pending, "cfg_set: no room for \"%s\"", key);
        return;
    }
    snprintf(settings[nsettings].key, sizeof settings[nsettings].key, "%s", key);
    settings[nsettings++].value = value;
}

int cfg_error_pending(void) { return pending[0] != '\0'; }
const char *cfg_error_message(void) { return pending; }
void cfg_error_clear(void) { pending[0] = '\0'; }
