"""The diagnosis of one run: what went wrong, where, and how to recognise it again."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """One stack frame, as a person reads it; ``module`` is a file or a shared object."""

    function: str
    module: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.module}:{self.line}" if self.line else self.module
        return f"{self.function} ({where})" if where else self.function


@dataclass(frozen=True)
class ReportStack:
    """One stack of a sanitizer report under the line that introduces it.

    ASan's "freed by thread T0 here:" and "previously allocated by thread T0 here:", TSan's
    "Previous write of size 8 at 0x... by thread T1:" and "Mutex M1 acquired here while
    holding mutex M0 in thread T1:"; a line that relates without a stack (TSan's "Cycle in
    lock order graph: M0 (0x...) => M1 (0x...) => M0") has no frames.
    """

    title: str
    frames: tuple[Frame, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> "ReportStack":
        return cls(data["title"], tuple(Frame(**f) for f in data.get("frames", ())))


@dataclass(frozen=True)
class LockWait:
    """One thread of a stopped process as a wait-for graph needs it: the lock it waits for, and who holds that.

    ``thread`` and ``owner`` name threads as ``tid 1234``; ``lock`` is ``mutex 0x7f...``
    (the futex the thread sleeps on), ``the GIL``, or "" for a thread that waits for no
    lock but holds one. ``owner`` is "" when nothing could say.
    """

    thread: str
    lock: str = ""
    owner: str = ""
    native: tuple[Frame, ...] = ()  # the thread's top meaningful native frames
    python: tuple[Frame, ...] = ()  # its top Python frames, when faulthandler dumped them

    @classmethod
    def from_dict(cls, data: dict) -> "LockWait":
        data = dict(data)
        for name in ("native", "python"):
            data[name] = tuple(Frame(**f) for f in data.get(name, ()))
        return cls(**data)


@dataclass(frozen=True)
class Verdict:
    kind: str
    mode: str
    cwe: str | None
    security: bool
    summary: str
    evidence: tuple[str, ...] = ()
    python_stack: tuple[Frame, ...] = ()
    native_stack: tuple[Frame, ...] = ()
    threads: tuple[str, ...] = ()
    signal: str | None = None
    exit_code: int | None = None
    duration_s: float = 0.0
    signature: str = ""
    sanitizer: str = "none"
    isolation: str = "spawn"
    stalled_at_s: float | None = None  # as in ``Outcome``: when the stall began, since the child started
    called_at_s: float | None = None  # as in ``Outcome``: when the watchdog stopped the child
    report_stacks: tuple[ReportStack, ...] = ()  # every stack of a sanitizer report, each under its title
    lock_waits: tuple[LockWait, ...] = ()  # at a deadlock: who waits for which lock, held by whom
    severity: str = "none"  # kinds.severity(kind, access): high, medium, low or none, as ClusterFuzz grades it
    access: str | None = None  # READ or WRITE, where the report says which
    access_size: int | None = None  # bytes, where the report says how many

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        data = dict(data)
        for name in ("python_stack", "native_stack"):
            data[name] = tuple(Frame(**f) for f in data.get(name, ()))
        for name in ("evidence", "threads"):
            data[name] = tuple(data.get(name, ()))
        data["report_stacks"] = tuple(ReportStack.from_dict(s) for s in data.get("report_stacks", ()))
        data["lock_waits"] = tuple(LockWait.from_dict(w) for w in data.get("lock_waits", ()))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
