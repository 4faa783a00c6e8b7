"""Two Python threads update a C library's static global at the same time.

The runtime's rule: ctypes releases the GIL for the duration of every foreign call, so
two Python threads run C code truly in parallel; the GIL protects Python objects, never
the library's memory. The library keeps a running total in a static ``long`` and updates
it with a plain ``total += n``: two callers at once interleave the load and the store and
one update is lost. A user sees totals that come out slightly low under load, never an
error (TSan: data race on ``total``). The lab's gate in the C code has the two calls
take turns in time, without ordering them for TSan, so the report comes every run. The fix, in the C library, is a mutex around every
access to the global; a lock in the binding would also do, but only for callers that all
go through that one binding.
"""

import ctypes
import threading

from faultlab import Case, Expect, Library

LIB = Library("threading/unguarded_global")
CALLERS = 2

unguarded_global = Case(
    id="threading/unguarded-global",
    mode="threading",
    cwe="CWE-362",
    title="two threads update a C static global without a lock while ctypes has released the GIL",
    explanation=__doc__,
    expect={"tsan": Expect("data-race", frame="ug_add", access="READ")},
    fix_in="native",
    libraries=(LIB,),
)


def add_from_threads() -> int:
    """``ug_add`` from CALLERS Python threads at once; returns the library's total."""
    lib = LIB.ctypes()  # CDLL: the GIL is released during each call
    lib.ug_add.argtypes = [ctypes.c_long]
    lib.ug_total.restype = ctypes.c_long
    lib.ug_expect_callers(CALLERS)  # the lab's gate: the calls certainly overlap
    threads = [threading.Thread(target=lib.ug_add, args=(1,)) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lib.ug_total()


@unguarded_global.broken
def add_without_a_lock():
    add_from_threads()  # the broken build updates `total` unguarded from both threads


@unguarded_global.fixed
def add_under_the_library_mutex():
    assert add_from_threads() == CALLERS  # the fixed build takes a mutex: no update is lost
