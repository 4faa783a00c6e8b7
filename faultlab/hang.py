"""What the watchdog gathers from a process group that ran out of time, before killing it.

Order matters: thread states are read from /proc first (gdb's attach would turn every
thread into 't'), then Python children dump their stacks through faulthandler, then
gdb prints every thread's native stack, each step bounded in time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

from .outcome import ThreadState

GDB_TIMEOUT_S = 20.0
MAX_GDB_PROCESSES = 4
PYTHON_DUMP_WAIT_S = 0.3


def group_members(pgid: int) -> list[int]:
    """Pids whose process group is ``pgid``, the leader first."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
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
        if wchan in ("", "0"):
            # Many kernels hide wchan; the syscall a thread sleeps in says as much.
            number = _read(f"/proc/{pid}/task/{tid}/syscall").split(" ")[0]
            wchan = _SYSCALLS.get(number, wchan or "0")
        states.append(ThreadState(pid=pid, tid=tid, state=state, wchan=wchan))
    return states


def dump_python_stacks(pids: list[int], dump_dir: str | None) -> None:
    """Ask every Python child that registered faulthandler on SIGUSR1 to dump all threads."""
    if not dump_dir:
        return
    asked = False
    for pid in pids:
        if os.path.exists(os.path.join(dump_dir, f"{pid}.python")):
            try:
                os.kill(pid, signal.SIGUSR1)
                asked = True
            except ProcessLookupError:
                pass
    if asked:
        time.sleep(PYTHON_DUMP_WAIT_S)


_GDB_THREAD = re.compile(r"^Thread \d+ \(.*?LWP (\d+)\)")


def native_stacks(pid: int, timeout: float = GDB_TIMEOUT_S) -> dict[int, tuple[str, ...]]:
    """Every thread's native stack by tid, from gdb in batch mode; empty without gdb."""
    gdb = shutil.which("gdb")
    if not gdb:
        return {}
    cmd = [gdb, "-nx", "-batch", "-p", str(pid), "-ex", "set pagination off",
           "-ex", "set print frame-arguments none", "-ex", "thread apply all bt 40"]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              start_new_session=True)
    except subprocess.TimeoutExpired:
        return {}
    stacks: dict[int, list[str]] = {}
    current = None
    for line in proc.stdout.decode("utf-8", "backslashreplace").splitlines():
        m = _GDB_THREAD.match(line)
        if m:
            current = stacks.setdefault(int(m.group(1)), [])
        elif current is not None and line.startswith("#"):
            current.append(line.strip())
    return {tid: tuple(frames) for tid, frames in stacks.items()}


def collect(pgid: int, dump_dir: str | None, *, use_gdb: bool = True) -> tuple[ThreadState, ...]:
    pids = group_members(pgid)
    states = [t for pid in pids for t in thread_states(pid)]
    dump_python_stacks(pids, dump_dir)
    if not use_gdb:
        return tuple(states)
    stacks: dict[int, tuple[str, ...]] = {}
    for pid in pids[:MAX_GDB_PROCESSES]:
        stacks.update(native_stacks(pid))
    return tuple(
        ThreadState(t.pid, t.tid, t.state, t.wchan, stacks.get(t.tid, ())) for t in states
    )
