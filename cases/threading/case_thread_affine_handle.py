"""A thread-affine C handle, opened on the main thread, is used from a worker thread.

The library's rule: a handle belongs to the thread that opened it (it keeps per-thread
state, like an SQLite connection, an OpenGL context or a GUI toolkit's widgets), and it
checks the caller on every call. Python does not know the rule: a binding that hands the
handle to a thread pool calls it from whatever worker is free. The library prints
``thread_affine: ta_use: handle ... belongs to thread ..., called from thread ...`` and
aborts the whole process (SIGABRT; faulthandler's dump shows the worker thread). The fix,
in the binding, gives each handle an owner thread (a one-worker executor) that opens it,
runs every call for it and closes it; other threads submit calls and wait for results.
"""

import ctypes
from concurrent.futures import ThreadPoolExecutor

from faultlab import Case, Library

LIB = Library("threading/thread_affine")

thread_affine_handle = Case(
    id="threading/thread-affine-handle",
    mode="threading",
    cwe="CWE-573",
    title="a handle that belongs to the thread that opened it is used from another thread",
    explanation=__doc__,
    expect={"none": "abort"},  # no frame: only pool-worker frames, and a plain abort has none native
    fix_in="binding",
    libraries=(LIB,),
)


def load():
    lib = LIB.ctypes()
    lib.ta_open.restype = ctypes.c_void_p
    lib.ta_use.argtypes = [ctypes.c_void_p]
    lib.ta_use.restype = ctypes.c_long
    lib.ta_close.argtypes = [ctypes.c_void_p]
    return lib


@thread_affine_handle.broken
def use_from_a_pool_worker():
    lib = load()
    handle = lib.ta_open()  # opened on the main thread: the main thread owns it
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lib.ta_use, handle).result()  # FLAW: any pool worker calls the handle
    lib.ta_close(handle)


@thread_affine_handle.fixed
def route_calls_through_the_owner_thread():
    lib = load()
    with ThreadPoolExecutor(max_workers=1) as owner:  # FIX: one thread owns the handle for its whole life
        handle = owner.submit(lib.ta_open).result()
        with ThreadPoolExecutor(max_workers=2) as pool:
            # Work from any thread reaches the handle only through its owner.
            uses = pool.submit(lambda: owner.submit(lib.ta_use, handle).result()).result()
        assert uses == 1
        owner.submit(lib.ta_close, handle).result()
