"""A thread holds the GIL and waits for a C mutex whose owner waits for the GIL.

The runtime's rule: the GIL is a lock like any other, and every lock must be taken in one
global order. A C library calls back into Python while holding its own mutex (mutex, then
GIL). The binding calls another function of the library that takes the same mutex through
``ctypes.PyDLL``, which keeps the GIL for the whole foreign call (GIL, then mutex). The
worker thread holds the mutex and waits for the GIL in its callback; the main thread holds
the GIL and waits for the mutex. The process stops using CPU and never finishes; Ctrl-C
does nothing, because no thread can run Python to handle it. The watchdog finds every
thread blocked (``pthread_mutex_lock`` and ``take_gil``). The fix, in the binding: call
functions that may block through ``ctypes.CDLL`` (or cffi's ABI mode), which release the
GIL for the call, so the callback can run and the mutex comes free.
"""

import ctypes
import threading

from faultlab import Case, Expect, Library

LIB = Library("threading/gil_lock_order")
ON_ITEM = ctypes.CFUNCTYPE(None, ctypes.c_long)  # ctypes takes the GIL before running it

gil_lock_order_deadlock = Case(
    id="threading/gil-lock-order-deadlock",
    mode="threading",
    cwe="CWE-833",
    title="the GIL and a C mutex are taken in opposite orders by two threads",
    explanation=__doc__,
    expect={"none": Expect("deadlock", frame="gl_flush")},
    fix_in="binding",
    libraries=(LIB,),
    timeout=4.0,
)


def process_and_flush(flush) -> list[int]:
    """A worker runs ``gl_process`` with a Python callback; meanwhile this thread calls ``flush()``."""
    released = LIB.ctypes()  # CDLL: the GIL is released during each call
    seen = []
    on_item = ON_ITEM(seen.append)
    worker = threading.Thread(target=released.gl_process, args=(on_item,))
    worker.start()
    released.gl_wait_until_processing()  # the worker now holds the library's mutex
    flush()
    worker.join()
    return seen


@gil_lock_order_deadlock.broken
def flush_holding_the_gil():
    holding = LIB.ctypes(python_api=True)  # PyDLL: the GIL stays held during the call
    process_and_flush(holding.gl_flush)  # FLAW: blocks on the library's mutex while holding the GIL


@gil_lock_order_deadlock.fixed
def flush_with_the_gil_released():
    released = LIB.ctypes()
    assert process_and_flush(released.gl_flush) == [1]  # FIX: CDLL releases the GIL while gl_flush waits
