"""Spawn or fork: the one place that decides how a case run is isolated.

``auto`` (the default of ``pytest cases/``, ``faultlab run`` and ``faultlab demo``) forks
from the configuration's warm server where that is sound and spawns a fresh interpreter
where it is not; ``fork`` insists on the server; ``spawn`` always starts afresh.
"""

from __future__ import annotations

import warnings

from ...diagnosis import runner, stall
from ...diagnosis.configurations import Configuration
from ...diagnosis.outcome import Outcome
from .client import ForkServerError, shared_pool

ISOLATIONS = ("auto", "fork", "spawn")
DEFAULT_ISOLATION = "auto"


def spawn_reason(case) -> str | None:
    """Why a case's run must be spawned rather than forked (under any configuration), or None when forking it is sound."""
    if getattr(case, "runs_a_command", False):
        return f"{case.id} runs a {case.runtime} program, not Python; spawned"
    if getattr(case, "fresh_interpreter", False):
        return f"{case.id} declares fresh_interpreter=True; spawned"
    return None


def run_case(case, variant: str, configuration: str | Configuration, *, timeout: float, use_gdb: bool = True,
             isolation: str = DEFAULT_ISOLATION, deadlock_after: float | None = stall.DEADLOCK_AFTER_S) -> Outcome:
    """Run a case variant forked from the configuration's server, or spawned where that is unsound.

    ``auto`` also spawns (with a warning) when the server fails; ``fork`` raises
    ``ForkServerError`` instead; ``spawn`` always spawns. A case of another runtime than
    CPython is always spawned: its child is its command, and the server forks Python.
    """
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, not {isolation!r}")
    if isolation != "spawn" and not spawn_reason(case):
        try:
            return shared_pool().server(configuration).run(case.source, case.id, variant, timeout=timeout,
                                                       use_gdb=use_gdb, deadlock_after=deadlock_after)
        except ForkServerError as exc:
            if isolation == "fork":
                raise
            warnings.warn(f"faultlab: {exc}; spawning {case.id} instead", RuntimeWarning, stacklevel=2)
    return runner.run(case.argv(variant, configuration), sanitizer=configuration, timeout=timeout, use_gdb=use_gdb,
                      deadlock_after=deadlock_after)
