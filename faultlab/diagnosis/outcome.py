"""The raw facts of one child run, before anyone interprets them."""

from __future__ import annotations

import dataclasses
import signal as _signal
from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadState:
    """One thread of a process the watchdog stopped: what /proc and gdb said about it."""

    pid: int
    tid: int
    state: str  # /proc/<pid>/task/<tid>/stat state letter: R, S, D, ...
    wchan: str  # kernel wait channel ("futex_wait_queue", "hrtimer_nanosleep", "0")
    native_stack: tuple[str, ...] = ()  # gdb's (or eu-stack's) frame lines, innermost first
    timed_wait: bool = False  # a futex wait with a timeout (/proc/<pid>/task/<tid>/syscall): it wakes by itself
    futex: str = ""  # the address of the futex it sleeps on ("0x7f..."), from the same syscall line
    futex_owner: int | None = None  # an untimed wait's futex read as a glibc mutex: the tid its __owner names
    handle: str = ""  # its pthread_t as gdb names it ("0x7f..."), which faulthandler's dumps name too
    holds_gil: bool = False  # gdb read CPython's GIL as locked, last taken by this thread


@dataclass(frozen=True)
class CrashFrame:
    """One frame of the thread a fatal signal stopped, as the preloaded crash handler saw it and the
    parent symbolized it: the module's path and the offset in it, always; the rest where known."""

    module: str  # the shared object or executable, as the child's loader named it
    offset: int  # the address in the module's own address space (a return address minus one)
    function: str = "??"
    file: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to a child: its exit, its output, and what the watchdog saw.

    stdout and stderr are decoded with ``backslashreplace`` and capped (head and tail
    kept), so bad bytes and floods never break a reader.
    """

    argv: tuple[str, ...]
    exit_code: int | None  # None when a signal ended the child
    signal: int | None  # the signal that ended the child, if any
    timed_out: bool
    duration_s: float
    stdout: str
    stderr: str
    sanitizer: str = "none"  # the report family of its configuration: none, asan, ubsan, tsan, ...
    configuration: str = "none"  # the run configuration's name (configurations.NAMES, or a fuzzer's)
    isolation: str = "spawn"
    threads: tuple[ThreadState, ...] = ()  # filled only when the watchdog fired
    stalled_at_s: float | None = None  # since the child started: when every thread was first seen blocked on a lock
    called_at_s: float | None = None  # since the child started: when the watchdog stopped it (early, or at the timeout)
    truncated: bool = False
    memory_limit: int | None = None
    crash_frames: tuple[CrashFrame, ...] = ()  # the crashing thread, innermost first, when a fatal signal ended it
    report_files: tuple[tuple[str, str], ...] = ()  # (name, text) of the report files a runtime left (``report_files``)
    raw_stderr: str | None = None  # stderr as the child wrote it, when faultlab symbolized its report (report_symbols)

    @property
    def signal_name(self) -> str | None:
        if self.signal is None:
            return None
        try:
            return _signal.Signals(self.signal).name
        except ValueError:
            return f"SIG{self.signal}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Outcome":
        data = dict(data)
        data["argv"] = tuple(data.get("argv", ()))
        data["threads"] = tuple(
            ThreadState(**{**t, "native_stack": tuple(t.get("native_stack", ()))})
            for t in data.get("threads", ())
        )
        data["crash_frames"] = tuple(CrashFrame(**f) for f in data.get("crash_frames", ()))
        data["report_files"] = tuple((str(name), str(text)) for name, text in data.get("report_files", ()))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
