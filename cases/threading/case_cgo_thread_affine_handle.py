"""A goroutine calls a thread-affine C handle from another OS thread; the library aborts.

The library's rule: a ``ta_handle`` belongs to the thread that opened it (per-thread state,
like an SQLite connection or an OpenGL context), and every call checks ``pthread_self()``.
Go's rule meets it badly: goroutines run on whatever OS thread is free and move between
threads at any call, unless one locks itself to its thread (``runtime.LockOSThread``).
The main goroutine locks itself and opens the handle; a worker goroutine, which can never
run on that locked thread, calls it. The library prints ``thread_affine: ta_use: handle
... belongs to thread ..., called from thread ...`` and aborts; Go reports "SIGABRT:
abort ... signal arrived during cgo execution" with the worker's stack, ``ta_use`` named by
its cgo wrapper. A plain abort proves no rule, so the verdict's mode is the kind's
(``unknown``), as for the CPython binding of the same library. The fix gives the handle an
owner goroutine, locked to its thread for the handle's whole life, which opens it, runs
every call and closes it; other goroutines send it work over a channel.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import go

LIB = Library("threading/thread_affine")  # the same library the CPython case binds
PROGRAM = "threading/cgo/affine_worker.go"

cgo_thread_affine_handle = Case(
    id="threading/cgo-thread-affine-handle",
    mode="threading",
    cwe="CWE-663",
    title="a goroutine on another OS thread calls a thread-affine C handle; the library aborts",
    explanation=__doc__,
    expect={"none": Expect("abort", frame="ta_use", module="cgo")},
    fix_in="binding",
    runtime="cgo",
    libraries=(LIB,),
    sources=(PROGRAM,),
    requires=("go",),
)


@cgo_thread_affine_handle.broken
def worker_goroutine_calls_the_handle(configuration):
    return go.command(PROGRAM, "broken", libraries=(LIB.path(configuration, "broken"),))


@cgo_thread_affine_handle.fixed
def owner_goroutine_locked_to_its_thread(configuration):
    return go.command(PROGRAM, "fixed", libraries=(LIB.path(configuration, "fixed"),))
