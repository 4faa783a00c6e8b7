"""Nothing a run starts outlives its verdict, and nothing outlives faultlab when it is told to stop.

The group kill (``runner.kill_group``) misses a descendant that called ``setsid()`` or
double-forked. So the process that supervises runs is a child subreaper
(``PR_SET_CHILD_SUBREAPER``, Linux): an orphan of a run is reparented to it rather than to
init, and can still be found, killed and reaped. faultlab's own process is one only while
it supervises a spawned run (``Containment(work, adopts_orphans=True)``); a fork server,
whose only children are runs, is one for its whole life (``become_subreaper``,
``sweep_children``).

Which of faultlab's children belong to a run: those whose environment carries the run's
``FAULTLAB_DUMP_DIR`` (a fresh directory per run, inherited by every descendant that does
not clear its environment), those once seen below the run's leader, and those in its
process group or session; never a registered helper (a fork server) or another run's
leader, so concurrent runs and faultlab's own processes are left alone.

SIGTERM, SIGHUP and SIGINT, under ``stopping_runs_on_signals()`` (the command line's),
kill every registered run's tree and remove its work directory from the handler itself,
then raise ``Interrupted``, which unwinds the runs' ``finally`` blocks; a second signal
during that clean-up is ignored so it cannot cut it short.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import threading
import time
from typing import NamedTuple

PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
SWEEP_LIMIT_S = 5.0  # a SIGKILLed process ends at once unless it sleeps in the kernel; never wait longer
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class Interrupted(BaseException):
    """faultlab was told to stop by a signal; its runs were killed and their files removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 plus the signal's number, as a shell reports a process that a signal ended."""
        return 128 + self.signum

    def __str__(self) -> str:
        return f"stopped by {signal.Signals(self.signum).name}"


# -- the process table --------------------------------------------------------------------------

class Process(NamedTuple):
    ppid: int
    pgid: int
    sid: int
    zombie: bool


def process_table() -> dict[int, Process]:
    """Every process's parent, group, session and whether it is a zombie, in one pass over /proc."""
    table = {}
    try:
        entries = os.listdir("/proc")
    except FileNotFoundError:  # no procfs: nothing can be found, and nothing is killed by mistake
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) < 4:  # read while the process went away
            continue
        table[int(entry)] = Process(int(fields[1]), int(fields[2]), int(fields[3]), fields[0] == b"Z")
    return table


def descendants(table: dict[int, Process], roots) -> set[int]:
    """``roots`` that are in ``table``, and every process below them."""
    children: dict[int, list[int]] = {}
    for pid, process in table.items():
        children.setdefault(process.ppid, []).append(pid)
    found: set[int] = set()
    todo = [pid for pid in roots if pid in table]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, ())
    return found


def _environment_has(pid: int, entry: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return entry in f.read().split(b"\0")
    except OSError:
        return False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _has_children(ignoring: set[int] | frozenset = frozenset()) -> bool:
    """Whether this process has a child, live or zombie, other than those ``ignoring``: one system call
    when it has none, and nobody's status is taken."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    if not ignoring:
        return True
    children = _own_children()
    return children is None or bool(children - ignoring)


def _own_children() -> set[int] | None:
    """This process's children (any thread's, zombies too) from /proc; None where the kernel does not
    list them or a thread ended while they were read (its children moved to another thread)."""
    found: set[int] = set()
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children", "rb") as f:
                found.update(int(pid) for pid in f.read().split())
    except (OSError, ValueError):
        return None
    return found


def _reap(pid: int) -> bool:
    """Whether ``pid``, our child, is gone for good (reaped now, or by someone else before)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return True


# -- the subreaper --------------------------------------------------------------------------------

_libc = None


def _prctl(option: int, value) -> int:
    global _libc
    if not sys.platform.startswith("linux"):
        return -1
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        return _libc.prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        return -1


def become_subreaper() -> bool:
    """Orphaned descendants of this process are reparented to it from now on; False where impossible."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1) == 0


_adopting = 0  # spawned runs under supervision: the subreaper is on while there is one
_was_subreaper = False
_adopting_lock = threading.Lock()


def _adopt_orphans(on: bool) -> None:
    global _adopting, _was_subreaper
    with _adopting_lock:
        if on:
            _adopting += 1
            if _adopting == 1:
                flag = ctypes.c_int(0)
                _was_subreaper = _prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag)) == 0 and flag.value == 1
                become_subreaper()
        else:
            _adopting -= 1
            if _adopting == 0 and not _was_subreaper:
                _prctl(PR_SET_CHILD_SUBREAPER, 0)


def sweep_children(limit: float = SWEEP_LIMIT_S) -> None:
    """Kill every child of this process and everything below them, and reap them: for a fork server,
    whose children are all runs. Costs one system call when there is none."""
    if not _has_children():
        return
    me = os.getpid()
    deadline = time.monotonic() + limit
    while True:
        table = process_table()
        ours = [pid for pid, p in table.items() if p.ppid == me]
        if not ours:
            return
        for pid in descendants(table, ours):
            if not table[pid].zombie:
                _kill(pid)
        for pid in ours:
            _reap(pid)
        if time.monotonic() > deadline:
            return
        time.sleep(0.005)


# -- runs under containment -----------------------------------------------------------------------

_runs: dict[int, "Containment"] = {}  # by id(): what a stop signal kills
_helpers: set[int] = set()  # faultlab's own children that are not runs (fork servers)
_interrupted: int | None = None
_deferring = 0  # the main thread is starting a run: a signal waits until the run is registered
_pending: int | None = None


def register_helper(pid: int) -> None:
    """``pid`` is one of faultlab's own long-lived children, never a run's orphan."""
    _helpers.add(pid)


def forget_helper(pid: int) -> None:
    _helpers.discard(pid)


class Containment:
    """One run's processes: registered while it runs, so a stop signal can kill them; killed and
    reaped to the last one by ``sweep``, which the end of the block always runs.

    ``adopts_orphans``: this process is the run's parent and adopts its orphans (spawn). A fork
    server's run is swept by the server; here only its group is killed on a signal.
    """

    def __init__(self, work: str, *, adopts_orphans: bool):
        self.work = work
        self.adopts_orphans = adopts_orphans
        self.leader: int | None = None
        self.leaders_parent: int | None = None  # this process, or the fork server that forked the leader
        self.seen: set[int] = set()
        self._marker = b"FAULTLAB_DUMP_DIR=" + os.fsencode(work)
        self._swept = False

    def __enter__(self) -> "Containment":
        if _interrupted is not None:
            raise Interrupted(_interrupted)
        if self.adopts_orphans:
            _adopt_orphans(True)
        _runs[id(self)] = self
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.adopts_orphans and not self._swept:
                self.sweep()
        finally:
            _runs.pop(id(self), None)
            if self.adopts_orphans:
                _adopt_orphans(False)

    @contextlib.contextmanager
    def starting(self):
        """Start the leader inside this block and set ``leader`` and ``leaders_parent``: a stop signal
        that arrives meanwhile is handled once the block ends, when the run is there to be killed."""
        global _deferring, _pending
        main = threading.current_thread() is threading.main_thread()
        if main:
            _deferring += 1
        try:
            yield self
        finally:
            if main:
                _deferring -= 1
                if _pending is not None and not _deferring:
                    signum, _pending = _pending, None
                    _on_stop_signal(signum, None)

    def members(self, table: dict[int, Process]) -> set[int]:
        """The run's processes in ``table``: its leader's tree, its group and session, and the orphans it left us."""
        leader = self.leader
        roots = {pid for pid, p in table.items() if leader is not None and leader in (p.pgid, p.sid)}
        if leader in table and table[leader].ppid == self.leaders_parent:  # not a reused pid
            roots.add(leader)
        if self.adopts_orphans:
            me = os.getpid()
            others = _helpers | {run.leader for run in list(_runs.values()) if run is not self}
            roots |= {pid for pid, p in table.items()
                      if p.ppid == me and pid not in others and pid not in roots
                      and (pid in self.seen or _environment_has(pid, self._marker))}
        return descendants(table, roots)

    def sweep(self, limit: float = SWEEP_LIMIT_S) -> None:
        """SIGKILL every process of the run and reap those that are ours, but the leader (its starter
        reaps it); returns when none is left, or after ``limit`` seconds."""
        if self.leader is None:
            return
        self._swept = True
        if self.adopts_orphans and not _has_children(ignoring=_helpers):
            # No child but faultlab's own helpers (a warm symbolizer, a fork server): whatever of the
            # run outlived its group and its leader would be our child (this process adopts
            # orphans), or below one.
            return
        me = os.getpid()
        deadline = time.monotonic() + limit
        while True:
            table = process_table()
            members = self.members(table)
            self.seen |= members
            live = [pid for pid in members if not table[pid].zombie]
            for pid in live:
                _kill(pid)
            ours = [pid for pid in members if table[pid].ppid == me and pid != self.leader]
            reaped = all([_reap(pid) for pid in ours])
            if (not live and reaped) or time.monotonic() > deadline:
                break
            time.sleep(0.005)

    def abort(self) -> None:
        """What a stop signal does to a run: kill it, its orphans included, and remove its files."""
        if self.leader is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.leader, signal.SIGKILL)
            self.sweep(limit=1.0)
        shutil.rmtree(self.work, ignore_errors=True)


def _on_stop_signal(signum: int, frame) -> None:
    global _interrupted, _pending
    if _interrupted is not None:
        return  # the clean-up of the first signal runs: let it finish
    if _deferring:
        _pending = signum
        return
    _interrupted = signum
    for run in list(_runs.values()):
        run.abort()
    raise Interrupted(signum)


@contextlib.contextmanager
def stopping_runs_on_signals():
    """SIGTERM, SIGHUP and SIGINT kill the runs and raise ``Interrupted`` in this block (main thread only)."""
    global _interrupted, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_stop_signal) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _interrupted = _pending = None
