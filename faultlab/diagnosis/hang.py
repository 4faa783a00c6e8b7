"""What the watchdog gathers from a process group that ran out of time, before killing it.

Order matters: thread states are read from /proc first (gdb's attach would turn every
thread into 't'), then Python children dump their stacks through faulthandler, then
gdb prints every thread's native stack, each step bounded in time.

A suspected deadlock is first checked with elfutils' ``eu-stack`` (``suspects``): it
unwinds every thread from the symbol tables alone in tens of milliseconds, where gdb
reads every library's debug information first (0.4 s for a plain interpreter, over a
second for atheris with libFuzzer). gdb's fuller view (the GIL's holder, pthread handles,
inlined frames) is taken only for the evidence of a confirmed one.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import time

from . import cache
from .containment import process_table
from .outcome import ThreadState

GDB_TIMEOUT_S = 20.0
EU_STACK_TIMEOUT_S = 5.0
TOOL_OUTPUT_CAP = 4 << 20  # bytes of gdb's or eu-stack's output: 40 frames of a few hundred threads
EU_STACK_FRAMES = 64
MAX_GDB_PROCESSES = 4
PYTHON_DUMP_WAIT_S = 0.3  # per process
DUMP_SETTLED_S = 0.02  # a dump is a burst of writes: this long without one ends it


def group_members(pgid: int) -> list[int]:
    """Pids whose process group is ``pgid`` (zombies aside), the leader first."""
    members = [pid for pid, process in process_table().items() if process.pgid == pgid and not process.zombie]
    return sorted(members, key=lambda p: (p != pgid, p))


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace").strip()
    except OSError:
        return ""


# x86_64 syscall numbers a blocked thread is usually sitting in.
_SYSCALLS = {"202": "futex_wait", "61": "do_wait", "230": "clock_nanosleep", "35": "nanosleep",
             "7": "poll", "271": "ppoll", "23": "select", "270": "pselect6", "232": "epoll_wait",
             "281": "epoll_pwait", "0": "read", "1": "write", "34": "pause", "128": "rt_sigtimedwait"}


# The futex system call by machine, and the operations that sleep (FUTEX_WAIT, FUTEX_LOCK_PI,
# FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2), the private and clock flags masked off.
_FUTEX = {"x86_64": "202", "aarch64": "98"}.get(platform.machine(), "202")
_FUTEX_WAITV = {"x86_64": "449", "aarch64": "449"}.get(platform.machine(), "449")
_FUTEX_CMD_MASK = 0x7F
_FUTEX_SLEEPS = {0, 6, 9, 11, 13}


def futex_wait(syscall: str) -> tuple[str, bool] | None:
    """(the futex's address, whether the wait has a timeout) from a /proc/<pid>/task/<tid>/syscall line.

    None when the thread is not sleeping in a futex. wchan says "futex" for both kinds; only
    the call's arguments tell ``pthread_cond_timedwait`` (a timeout pointer) from
    ``pthread_mutex_lock`` (NULL). futex(uaddr, op, val, timeout, ...) and
    futex_waitv(waiters, n, flags, timeout, clock) both keep the timeout fourth.
    """
    fields = syscall.split()
    if len(fields) < 5:
        return None
    try:
        if fields[0] == _FUTEX and int(fields[2], 16) & _FUTEX_CMD_MASK not in _FUTEX_SLEEPS:
            return None
        if fields[0] not in (_FUTEX, _FUTEX_WAITV):
            return None
        return fields[1], int(fields[4], 16) != 0
    except ValueError:
        return None


# glibc's pthread_mutex_t starts with its futex word (int __lock), then __count, then
# __owner: the tid of the thread that holds it, on every architecture glibc supports.
_MUTEX_OWNER_OFFSET = 8


def mutex_owner(pid: int, futex: str, tids: list[int]) -> int | None:
    """The tid a futex, read as a glibc mutex, names as its owner; None unless it is one of ``tids``.

    A futex that is no mutex (a condition variable, a semaphore) holds some other number
    there: only a thread of the same process counts as an answer.
    """
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            mem.seek(int(futex, 16) + _MUTEX_OWNER_OFFSET)
            raw = mem.read(4)
    except (OSError, ValueError, OverflowError):
        return None
    owner = int.from_bytes(raw, "little", signed=True) if len(raw) == 4 else None
    return owner if owner in tids else None


def thread_states(pid: int) -> list[ThreadState]:
    states = []
    try:
        tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return states
    for tid in tids:
        stat = _read(f"/proc/{pid}/task/{tid}/stat")
        state = stat[stat.rfind(")") + 2 :].split()[0] if ")" in stat else "?"
        wchan = _read(f"/proc/{pid}/task/{tid}/wchan")
        syscall = _read(f"/proc/{pid}/task/{tid}/syscall")
        if wchan in ("", "0"):
            # Many kernels hide wchan; the syscall a thread sleeps in says as much.
            wchan = _SYSCALLS.get(syscall.split(" ")[0], wchan or "0")
        futex = futex_wait(syscall)
        owner = mutex_owner(pid, futex[0], tids) if futex and not futex[1] else None
        states.append(ThreadState(pid=pid, tid=tid, state=state, wchan=wchan, timed_wait=bool(futex and futex[1]),
                                  futex=futex[0] if futex else "", futex_owner=owner))
    return states


def _dump_progress(pid: int) -> tuple[bool, int]:
    """(SIGUSR1 still pending, size of the file on the process's fd 2)."""
    mask = 0
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            mask |= int(line.split()[1], 16)
    try:
        size = os.stat(f"/proc/{pid}/fd/2").st_size
    except OSError:
        size = -1
    return bool(mask & (1 << (signal.SIGUSR1 - 1))), size


def _wait_for_dump(pid: int, limit: float) -> None:
    """Until ``pid`` took the signal and its stderr stopped growing for a moment, at most ``limit`` s."""
    deadline = time.monotonic() + limit
    last, settled_at = None, time.monotonic()
    while time.monotonic() < deadline:
        pending, size = _dump_progress(pid)
        if pending or size != last:
            last, settled_at = size, time.monotonic()
        elif time.monotonic() - settled_at >= DUMP_SETTLED_S:
            return
        time.sleep(0.005)


def dump_python_stacks(pids: list[int], dump_dir: str | None) -> None:
    """Ask every Python child that registered faulthandler on SIGUSR1 to dump all threads.

    One process at a time: processes of a group share one stderr, and dumps written at
    once interleave mid-line ("Current thread 0xCurrent thread 0x...") and cannot be read.
    """
    if not dump_dir:
        return
    for pid in pids:
        if os.path.exists(os.path.join(dump_dir, f"{pid}.python")):
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                continue
            _wait_for_dump(pid, PYTHON_DUMP_WAIT_S)


_GDB_THREAD = re.compile(r"^Thread \d+ \((?:Thread (0x[0-9a-f]+) )?.*?LWP (\d+)\)")
_GIL_HOLDER_MARK = "faultlab-gil-holder"
_GIL_HOLDER = re.compile(r"^\$\d+ = \"" + _GIL_HOLDER_MARK + r"\"\s*$\n^\$\d+ = (0x[0-9a-f]+)$", re.M)
# CPython 3.9 to 3.11 keep the GIL in _PyRuntime; a process without CPython's symbols
# makes gdb print "No symbol" and go on. The thread id is the holder's pthread_t.
_GIL_HOLDER_COMMANDS = ("-ex", f'print "{_GIL_HOLDER_MARK}"',
                        "-ex", "print/x _PyRuntime.ceval.gil.locked._value ? "
                               "((PyThreadState*)_PyRuntime.ceval.gil.last_holder._value)->thread_id : 0")


@dataclasses.dataclass(frozen=True)
class GdbView:
    """What one gdb attach read from a process: each thread's stack and pthread_t, and who holds the GIL."""

    stacks: dict[int, tuple[str, ...]]
    handles: dict[int, str]  # tid -> pthread_t ("0x7f...")
    gil_holder: str = ""  # the pthread_t of the thread holding CPython's GIL, if gdb could read it


def _gdb_startup() -> tuple[str, ...]:
    """gdb's start-up settings: no scripts auto-loaded from the child's libraries (a child's file is
    data, never code), and an index of each library's debug information kept in faultlab's cache,
    so that the next attach skips reading it again (a third of gdb's time on an interpreter)."""
    settings = ["-iex", "set auto-load off"]
    index = cache.root() / "gdb-index"
    try:
        index.mkdir(parents=True, exist_ok=True)
    except OSError:
        return tuple(settings)
    return (*settings, "-iex", f"set index-cache directory {index}", "-iex", "set index-cache enabled on")


def gdb_view(pid: int, timeout: float = GDB_TIMEOUT_S) -> GdbView:
    """Every thread's native stack by tid, from gdb in batch mode; empty without gdb."""
    gdb = shutil.which("gdb")
    if not gdb:
        return GdbView({}, {})
    cmd = [gdb, "-nx", "-batch", *_gdb_startup(), "-p", str(pid), "-ex", "set pagination off",
           "-ex", "set print frame-arguments none", "-ex", "thread apply all bt 40", *_GIL_HOLDER_COMMANDS]
    text = tool_output(cmd, timeout=timeout)
    stacks: dict[int, list[str]] = {}
    handles: dict[int, str] = {}
    current = None
    for line in text.splitlines():
        m = _GDB_THREAD.match(line)
        if m:
            current = stacks.setdefault(int(m.group(2)), [])
            if m.group(1):
                handles[int(m.group(2))] = m.group(1)
        elif current is not None and line.startswith("#"):
            current.append(line.strip())
    holder = _GIL_HOLDER.search(text)
    return GdbView({tid: tuple(frames) for tid, frames in stacks.items()}, handles,
                   holder.group(1) if holder and int(holder.group(1), 16) else "")


def native_stacks(pid: int, timeout: float = GDB_TIMEOUT_S) -> dict[int, tuple[str, ...]]:
    """Every thread's native stack by tid, from gdb in batch mode; empty without gdb."""
    return gdb_view(pid, timeout).stacks


def tool_output(argv: list[str], *, timeout: float, cap: int = TOOL_OUTPUT_CAP) -> str:
    """What a helper tool (gdb, eu-stack) printed about a child: at most ``cap`` bytes, within ``timeout``.

    Its output is made of the child's own files (symbol names, debug information), so it is
    read as hostile: bounded in size and time, the tool's group killed past either bound,
    decoded with escapes. "" when the tool cannot start.
    """
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError:
        return ""
    chunks, size = [], 0
    deadline = time.monotonic() + timeout
    with proc:
        while size < cap:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                break
            chunk = os.read(proc.stdout.fileno(), min(65536, cap - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return b"".join(chunks).decode("utf-8", "backslashreplace")


_EU_THREAD = re.compile(r"^TID (\d+):")
_EU_FRAME = re.compile(r"^#\d+\s+0x[0-9a-f]+(?:\s+(.*))?$")


def eu_stack_view(pid: int, timeout: float = EU_STACK_TIMEOUT_S) -> dict[int, tuple[str, ...]]:
    """Every thread's native stack by tid, function names only (``#0 0x... name``); empty without eu-stack.

    Its output is the child's symbol names: read bounded, decoded with escapes, never run.
    """
    tool = shutil.which("eu-stack")
    if not tool:
        return {}
    output = tool_output([tool, "-n", str(EU_STACK_FRAMES), "-p", str(pid)], timeout=timeout)
    stacks: dict[int, list[str]] = {}
    current = None
    for line in output.splitlines():
        thread = _EU_THREAD.match(line)
        if thread:
            current = stacks.setdefault(int(thread.group(1)), [])
        elif current is not None and _EU_FRAME.match(line.strip()):
            current.append(line.strip())
    return {tid: tuple(frames) for tid, frames in stacks.items()}


def quick_stacks() -> bool:
    """Whether ``suspects`` reads the stacks with eu-stack; else it reads gdb's view, the evidence's own."""
    return shutil.which("eu-stack") is not None


def suspects(pgid: int, *, use_gdb: bool = True) -> tuple[ThreadState, ...]:
    """Every thread's state and native stack, read quickly and writing nothing to the child's output:
    how the watchdog checks a suspected deadlock. The stacks come from eu-stack, or from gdb
    where eu-stack is missing and gdb may be used; without either, /proc's view alone."""
    if not quick_stacks():
        return collect(pgid, None, use_gdb=use_gdb)
    pids = group_members(pgid)
    states = [t for pid in pids for t in thread_states(pid)]
    views = {pid: eu_stack_view(pid) for pid in pids[:MAX_GDB_PROCESSES]}
    return tuple(dataclasses.replace(t, native_stack=views.get(t.pid, {}).get(t.tid, ())) for t in states)


def collect(pgid: int, dump_dir: str | None, *, use_gdb: bool = True) -> tuple[ThreadState, ...]:
    """Every thread's state and native stack; Python processes dump theirs to stderr (none without ``dump_dir``).

    Without ``dump_dir`` nothing is written to the child's output: that is how the watchdog
    checks a suspected deadlock and lets the child go on if it is not one.
    """
    pids = group_members(pgid)
    states = [t for pid in pids for t in thread_states(pid)]
    dump_python_stacks(pids, dump_dir)
    if not use_gdb:
        return tuple(states)
    views = {pid: gdb_view(pid) for pid in pids[:MAX_GDB_PROCESSES]}
    empty = GdbView({}, {})
    return tuple(dataclasses.replace(t, native_stack=view.stacks.get(t.tid, ()), handle=view.handles.get(t.tid, ""),
                                     holds_gil=bool(view.gil_holder) and view.handles.get(t.tid) == view.gil_holder)
                 for t in states for view in [views.get(t.pid, empty)])
