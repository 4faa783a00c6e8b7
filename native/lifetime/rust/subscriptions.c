/* A registry holding one subscriber: its context and the function that releases it.
 * Unsubscribing releases the context: from then on, the registry owns nothing. */
#include <stddef.h>

static void *subscriber_context;
static void (*release_context)(void *context);

void subscribe(void *context, void (*release)(void *context)) {
    subscriber_context = context;
    release_context = release;
}

void unsubscribe(void) {
    if (release_context != NULL)
        release_context(subscriber_context); /* ownership of the context ends here */
    subscriber_context = NULL;
    release_context = NULL;
}
