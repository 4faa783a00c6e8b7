/* @description CWE-416: the library keeps a caller's function pointer past the call.
 * ev_subscribe() remembers a listener; ev_publish() calls it later, from C. For a Python
 * listener that pointer is a libffi trampoline whose data (ctypes' thunk, and through it
 * the Python callable) belongs to a Python object. The contract (documented, and ignored
 * by the broken binding): the listener must stay alive until ev_unsubscribe(). The fix
 * lives in the binding, so this file has no #ifdef. */
#include <stddef.h>

typedef int (*ev_listener)(void);

static ev_listener listener;

void ev_subscribe(ev_listener fn) {
    listener = fn; /* the library retains the caller's function pointer */
}

int ev_publish(void) {
    return listener ? listener() : -1; /* calls through the retained pointer */
}

void ev_unsubscribe(void) {
    listener = NULL;
}
