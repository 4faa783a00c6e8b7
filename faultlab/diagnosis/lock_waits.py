"""Who waits for which lock, and who holds it, in a process the watchdog stopped.

The raw facts are the watchdog's (``hang.collect``): the futex each thread sleeps on and,
read from the mutex itself, the tid that owns it; the thread gdb found holding CPython's
GIL; each thread's native stack and pthread_t, which faulthandler's dump names too. A
thread whose native stack is in ``take_gil`` waits for the GIL. Nothing here guesses from
a case: a lock whose owner could not be read has none.
"""

from __future__ import annotations

from .outcome import Outcome, ThreadState
from .signature import meaningful
from .stacks import faulthandler_threads, gdb_stack
from .verdict import Frame, LockWait

MAX_THREADS = 32
TOP_FRAMES = 3
_GIL_WAITS = ("take_gil",)
_MUTEX_LOCKS = ("pthread_mutex_lock", "___pthread_mutex_lock", "__pthread_mutex_lock", "__GI___pthread_mutex_lock",
                "lll_mutex_lock_optimized", "__GI___lll_lock_wait", "__lll_lock_wait")


def _handle(header: str) -> int | None:
    """The pthread_t of a faulthandler header ("Current thread 0x00007f... (most recent call first)")."""
    for word in header.split():
        if word.startswith("0x"):
            try:
                return int(word, 16)
            except ValueError:
                return None
    return None


def _python_by_handle(stderr: str) -> dict[int, tuple[Frame, ...]]:
    dumps = {}
    for header, frames in faulthandler_threads(stderr):
        handle = _handle(header)
        if handle is not None:
            dumps[handle] = frames
    return dumps


def _wait(t: ThreadState, gil_holder: str, python: dict[int, tuple[Frame, ...]]) -> LockWait:
    frames = gdb_stack(t.native_stack)
    functions = {f.function for f in frames}
    lock = owner = ""
    if functions & set(_GIL_WAITS):
        lock, owner = "the GIL", gil_holder
    elif t.futex and not t.timed_wait:
        lock = f"mutex {t.futex}" if t.futex_owner is not None or functions & set(_MUTEX_LOCKS) else f"futex {t.futex}"
        owner = f"tid {t.futex_owner}" if t.futex_owner is not None else ""
    try:
        own_python = python.get(int(t.handle, 16), ()) if t.handle else ()
    except ValueError:
        own_python = ()
    return LockWait(thread=f"tid {t.tid}", lock=lock, owner=owner,
                    native=tuple(meaningful(frames)[:TOP_FRAMES]), python=tuple(own_python[:TOP_FRAMES]))


def lock_waits(outcome: Outcome) -> tuple[LockWait, ...]:
    """Every stopped thread with the lock it waits for and that lock's holder; () when the watchdog did not fire."""
    if not outcome.timed_out or not outcome.threads:
        return ()
    threads = outcome.threads[:MAX_THREADS]
    python = _python_by_handle(outcome.stderr)
    holders = {t.pid: f"tid {t.tid}" for t in threads if t.holds_gil}
    return tuple(_wait(t, holders.get(t.pid, ""), python) for t in threads)
