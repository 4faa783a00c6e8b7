"""Two threads take the same two C mutexes in opposite orders.

The runtime's rule: locks that are ever held together must always be taken in one global
order. ``lo_transfer(from, to)`` locks the payer's account, then the payee's, so a
transfer from A to B on one thread and from B to A on another take the two locks in
opposite orders. Whenever the two calls overlap, each thread holds one lock and waits
for the other forever; in this run they never overlap (the second thread starts after
the first has finished), so the program succeeds, and the deadlock waits for a busy day
in production. ThreadSanitizer's lock-order graph sees the cycle anyway and reports a
lock-order inversion (potential deadlock). The fix, in the C library: one global order,
the lower account id first, whatever the direction of the transfer.
"""

import ctypes
import threading

from faultlab import Case, Expect, Library

LIB = Library("threading/lock_order")

lock_order_inversion = Case(
    id="threading/lock-order-inversion",
    mode="threading",
    cwe="CWE-833",
    title="two threads lock the same two C mutexes in opposite orders",
    explanation=__doc__,
    expect={"tsan": Expect("lock-order-inversion", frame="lo_transfer")},
    fix_in="native",
    libraries=(LIB,),
)


def transfer_both_ways() -> tuple[int, int]:
    """A pays B on one thread, then B pays A on another; returns both balances."""
    lib = LIB.ctypes()
    lib.lo_open.restype = ctypes.c_void_p
    lib.lo_open.argtypes = [ctypes.c_int, ctypes.c_long]
    lib.lo_transfer.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    lib.lo_balance.argtypes = [ctypes.c_void_p]
    lib.lo_balance.restype = ctypes.c_long
    lib.lo_close.argtypes = [ctypes.c_void_p]
    a, b = lib.lo_open(1, 100), lib.lo_open(2, 100)
    for payer, payee in ((a, b), (b, a)):
        # One transfer at a time: sequenced by join(), so this run never deadlocks.
        t = threading.Thread(target=lib.lo_transfer, args=(payer, payee, 10))
        t.start()
        t.join()
    balances = lib.lo_balance(a), lib.lo_balance(b)
    lib.lo_close(a)
    lib.lo_close(b)
    return balances


@lock_order_inversion.broken
def transfer_locking_in_argument_order():
    transfer_both_ways()  # the broken build locks (a, b), then (b, a)


@lock_order_inversion.fixed
def transfer_locking_in_id_order():
    assert transfer_both_ways() == (100, 100)  # the fixed build locks a before b both times
