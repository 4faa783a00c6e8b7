"""C keeps a ctypes callback whose Python object died; a later C call jumps into it.

The runtime's rule: a ``CFUNCTYPE`` object owns its libffi closure and the ctypes thunk
behind it, and both die with it. The library's rule: a subscribed listener must outlive
the subscription. The broken binding wraps the listener in a temporary ``CFUNCTYPE``, so
when ``ev_subscribe()`` returns, the thunk is freed and so is the lambda it held (nothing
else refers to it): ``func_dealloc`` sets the function's globals and closure to NULL
before freeing it. libffi's static trampoline still points at the freed closure data, so
``ev_publish()`` calls through it; ctypes reads the freed thunk and calls the freed
lambda, whose first instruction (``COPY_FREE_VARS``) reads its closure tuple through that
NULL: a SEGV at address 0x18, inside CPython's eval loop under ``ev_publish``, far from
the line that let the callback die. Under ASan with ``PYTHONMALLOC=malloc`` the freed
blocks wait in ASan's quarantine, intact but for their first word (a GC link), and are
never handed out again, so every run reads the same NULL (null-deref). Without ASan the crash is usually the same, but pymalloc may give
the freed blocks to the next allocation, and then anything can happen. The fix, in the
binding, keeps the ``CFUNCTYPE`` object referenced until ``ev_unsubscribe()``. (cffi's
``ffi.callback`` has the same rule; there the freed closure's trampoline bytes are
overwritten by cffi's free list, so the jump lands in garbage instead.)
"""

import ctypes
import gc

from faultlab import Case, Expect, Library

LIB = Library("lifetime/collected_callback")
LISTENER = ctypes.CFUNCTYPE(ctypes.c_int)

collected_callback = Case(
    id="lifetime/collected-callback",
    mode="lifetime",
    cwe="CWE-416",
    title="C calls a ctypes callback whose CFUNCTYPE object Python already freed",
    explanation=__doc__,
    expect={"asan": Expect("null-deref", frame="ev_publish")},
    fix_in="binding",
    libraries=(LIB,),
)


def load():
    lib = LIB.ctypes()
    lib.ev_subscribe.argtypes = [LISTENER]
    return lib


@collected_callback.broken
def publish_to_a_dead_callback():
    lib = load()
    events = []
    lib.ev_subscribe(LISTENER(lambda: events.append("published") or 0))  # FLAW: the CFUNCTYPE object dies with this line
    gc.collect()
    lib.ev_publish()


@collected_callback.fixed
def keep_the_callback_alive():
    lib = load()
    events = []
    listener = LISTENER(lambda: events.append("published") or 0)  # FIX: the binding owns the callback until unsubscribed
    lib.ev_subscribe(listener)
    gc.collect()
    lib.ev_publish()
    lib.ev_unsubscribe()
    del listener
    assert events == ["published"], events
