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
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
