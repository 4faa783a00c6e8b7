"""Watching a running process group for a stall: every thread waits on a lock, and none moves.

A deadlocked child would otherwise wait out its whole timeout. The watch is cheap enough
to run for a child's whole life (a few /proc reads per thread, every ``SAMPLE_EVERY_S``)
and it only nominates: the watchdog confirms a stall with the native stacks
(``is_deadlock``, below) before it stops anything.

What counts: a thread sleeping (state S or D) in a futex wait. What does not: running,
sleeping in nanosleep, polling, reading a pipe, waiting for a child. A futex wait with a
timeout (``pthread_cond_timedwait``) ends by itself, so it never makes a stall alone; but
a thread waiting for the GIL waits exactly that way (CPython's ``take_gil`` waits 5 ms at
a time, to ask the holder to drop the GIL), so a timed waiter may join a stall that at
least one untimed waiter holds down, and the native stacks later tell a GIL wait from
any other timed wait. An untimed waiter must not have run at all during the window (its
CPU time and its context switches stand still); a timed waiter wakes by design, so it
must only be found in the same wait at every sample.

Some runtimes keep a thread of their own beside the program's, asleep on a timer and
holding none of its locks: libFuzzer's RSS watcher wakes once a second to read the
process's memory use, so a deadlocked fuzzing process is never all futex waits. A watch
told the frame that names such a bystander (``LIBFUZZER_BYSTANDER``) lets sleeping
threads join a stall, and the native stacks then must show each sleeper to be one.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass

from . import hang
from .outcome import ThreadState

SAMPLE_EVERY_S = 0.05
DEADLOCK_AFTER_S = 0.3  # how long every thread must stand still before the watchdog looks closer
MAX_CONFIRMATIONS = 3  # native stacks cost an attach; a program that keeps looking stuck is left to its timeout
LIBFUZZER_BYSTANDER = r"\bfuzzer::RssThread\b"  # libFuzzer's -rss_limit_mb watcher
# clock_nanosleep and nanosleep, by machine (as hang's futex call).
_SLEEPS = {"x86_64": {"230", "35"}, "aarch64": {"115", "101"}}.get(platform.machine(), {"230", "35"})


@dataclass(frozen=True)
class Waiter:
    """One thread found asleep in a futex wait; ``progress`` stays equal while it never runs."""

    pid: int
    tid: int
    futex: str  # the futex word's address ("sleep" for a thread asleep on a timer)
    timed: bool  # wakes by design: a timed futex wait, or a sleep
    progress: tuple[int, ...]  # CPU ticks and context switches; () for a timed waiter, which wakes by design


def _read(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode("ascii", "replace")


def _waiter(pid: int, tid: int, sleepers: bool = False) -> Waiter | None:
    """The thread's futex wait (or, with ``sleepers``, its sleep on a timer); None when it runs,
    sleeps otherwise, or has vanished."""
    task = f"/proc/{pid}/task/{tid}"
    stat = _read(f"{task}/stat")
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 13 or fields[0] not in ("S", "D"):
        return None
    syscall = _read(f"{task}/syscall")
    futex = hang.futex_wait(syscall)
    if futex is None:
        return Waiter(pid, tid, "sleep", True, ()) if sleepers and syscall.split(" ")[0] in _SLEEPS else None
    address, timed = futex
    if timed:
        return Waiter(pid, tid, address, True, ())
    switches = tuple(int(line.split()[1]) for line in _read(f"{task}/status").splitlines()
                     if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))
    return Waiter(pid, tid, address, False, (int(fields[11]) + int(fields[12]), *switches))


def _process_waiters(pid: int, sleepers: bool = False) -> list[Waiter] | None:
    waiters = []
    for tid in sorted(int(t) for t in os.listdir(f"/proc/{pid}/task")):
        waiter = _waiter(pid, tid, sleepers)
        if waiter is None:
            return None
        waiters.append(waiter)
    return waiters


def snapshot(pgid: int, sleepers: bool = False) -> frozenset[Waiter] | None:
    """Every thread of every process of the group, if all are in futex waits (or, with ``sleepers``,
    asleep on a timer) and one waits without a timeout; else None.

    The leader is read first and the group's other members only if it looks stuck, so a
    child that is simply busy costs a couple of reads per sample. Entries that vanish
    mid-read (a thread or a process ending) mean "not stalled", never an error.
    """
    try:
        waiters = _process_waiters(pgid, sleepers)
        if waiters is None:
            return None
        for pid in hang.group_members(pgid):
            if pid != pgid:
                more = _process_waiters(pid, sleepers)
                if more is None:
                    return None
                waiters += more
    except (OSError, ValueError, IndexError):
        return None
    if not waiters or all(w.timed for w in waiters):
        return None
    return frozenset(waiters)


class Watch:
    """Samples one group; ``stalled(now)`` says when the same stall has held for ``window`` seconds.

    A stall the native stacks refuted (``refute()``) is not nominated again while its
    threads wait on the same futexes, and at most ``MAX_CONFIRMATIONS`` are nominated.
    With a ``bystander`` frame, threads asleep on a timer may join a stall (see above).
    """

    def __init__(self, pgid: int, window: float = DEADLOCK_AFTER_S, bystander: str | None = None):
        self.pgid = pgid
        self.window = window
        self.bystander = bystander
        self.since: float | None = None  # when the current stall was first seen
        self._current: frozenset[Waiter] | None = None
        self._refuted: set[frozenset] = set()
        self._nominated = 0

    @staticmethod
    def _shape(waiters: frozenset[Waiter]) -> frozenset:
        return frozenset((w.pid, w.tid, w.futex, w.timed) for w in waiters)

    def stalled(self, now: float) -> bool:
        waiters = snapshot(self.pgid, sleepers=self.bystander is not None)
        if waiters is None or waiters != self._current:
            self._current, self.since = waiters, (now if waiters is not None else None)
            return False
        if now - self.since < self.window or self._nominated >= MAX_CONFIRMATIONS:
            return False
        if self._shape(waiters) in self._refuted:
            return False
        self._nominated += 1
        return True

    def refute(self) -> None:
        """The stacks say the current stall is no deadlock: do not nominate it again."""
        if self._current is not None:
            self._refuted.add(self._shape(self._current))


# -- what a stalled group's threads say: blocked on a lock, or not --------------------------------

# Native frames that mean "this thread waits for somebody else".
_BLOCKED_FRAME = re.compile(
    r"futex|pthread_mutex_(?:clock|timed)?lock|__lll_lock_wait|pthread_cond_(?:timed|clock)?wait|sem_(?:timed|clock)?wait"
    r"|take_gil|PyThread_acquire_lock|PyCOND_WAIT|pthread_join|pthread_clockjoin|pthread_rwlock_\w*lock"
)
# A wait with a timeout ends by itself, so it blocks nothing forever; unless it is the GIL's:
# take_gil waits 5 ms at a time only to ask the holder to drop the GIL, and waits again.
# (No join here: glibc's plain pthread_join runs through __pthread_clockjoin_ex.)
_TIMED_FRAME = re.compile(r"pthread_cond_(?:timed|clock)wait|pthread_mutex_(?:timed|clock)lock|sem_(?:timed|clock)wait"
                          r"|pthread_rwlock_(?:timed|clock)")
_GIL_WAIT_FRAME = re.compile(r"\btake_gil\b")
_BLOCKED_WCHAN = re.compile(r"futex")
_NEUTRAL_WCHAN = re.compile(r"do_wait|wait4|pipe_read|pipe_wait")  # a parent waiting for its child


def _thread_blocked(thread: ThreadState) -> bool | None:
    """True: waits on a lock (the GIL included); None: waits for a child, or in a timed wait
    that no native stack explains; False: runs, sleeps, or waits with a timeout."""
    if thread.native_stack:
        top = " ".join(thread.native_stack[:8])
        if _GIL_WAIT_FRAME.search(top):
            return True
        if thread.timed_wait or _TIMED_FRAME.search(top):
            return False
        if _BLOCKED_FRAME.search(top):
            return True
    if _BLOCKED_WCHAN.search(thread.wchan) and thread.state in ("S", "D"):
        return None if thread.timed_wait else True
    if _NEUTRAL_WCHAN.search(thread.wchan):
        return None
    return False


def is_deadlock(threads: tuple[ThreadState, ...], *, certain: bool = False, bystander: str | None = None) -> bool:
    """Some thread waits on a lock and none runs or sleeps; ``certain``: every thread waits on a lock.

    The watchdog stops a run early only on a certain deadlock: a thread waiting for a child,
    or in a timed wait whose stack is unknown, might still move things along. Threads whose
    native stack names the ``bystander`` frame are a runtime's own, and are not counted.
    """
    if bystander:
        pattern = re.compile(bystander)
        threads = tuple(t for t in threads if not (t.native_stack and pattern.search(" ".join(t.native_stack))))
    judged = [_thread_blocked(t) for t in threads]
    if certain:
        return bool(judged) and all(j is True for j in judged)
    return any(j is True for j in judged) and all(j is not False for j in judged)
