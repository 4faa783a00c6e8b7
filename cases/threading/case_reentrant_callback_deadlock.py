"""A Python callback calls back into the C library that is calling it, and the thread waits for itself.

The library's rule, usually written nowhere: do not call the library from inside its own
callbacks. ``rc_for_each`` holds the library's (non-recursive) mutex while it runs the
Python callback; the callback asks the library for ``rc_count()`` to show progress, which
takes the same mutex on the same thread. A default pthread mutex has no owner to compare
against, so the thread blocks on a lock it already holds; ctypes released the GIL for the
inner call, so nothing is left that could run. The program freezes at the first callback
(every thread in ``pthread_mutex_lock``). The fix, in the C library: snapshot the entries
under the lock and run the callbacks after releasing it, so a callback may call back in.
"""

import ctypes

from faultlab import Case, Expect, Library

LIB = Library("threading/reentrant_callback")
ON_ENTRY = ctypes.CFUNCTYPE(None, ctypes.c_long)

reentrant_callback_deadlock = Case(
    id="threading/reentrant-callback-deadlock",
    mode="threading",
    cwe="CWE-764",
    title="a callback re-enters the C library, which still holds its non-recursive mutex",
    explanation=__doc__,
    expect={"none": Expect("deadlock", frame="rc_count")},
    fix_in="native",
    libraries=(LIB,),
    timeout=4.0,
)


def walk_with_progress() -> list[str]:
    """Three entries, a progress line per entry that asks the library for its size."""
    lib = LIB.ctypes()  # CDLL: the GIL is released during each call
    lib.rc_add.argtypes = [ctypes.c_long]
    for value in (10, 20, 30):
        lib.rc_add(value)
    progress = []

    def on_entry(value):
        progress.append(f"{value} of {lib.rc_count()}")  # calls back into the library

    lib.rc_for_each(ON_ENTRY(on_entry))
    return progress


@reentrant_callback_deadlock.broken
def callback_reenters_under_the_lock():
    walk_with_progress()  # the broken build runs on_entry holding registry_lock


@reentrant_callback_deadlock.fixed
def callback_runs_after_the_lock_is_released():
    assert walk_with_progress() == ["10 of 3", "20 of 3", "30 of 3"]  # the fixed build releases it first
