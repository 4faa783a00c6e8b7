"""Run one case variant under one sanitizer configuration and classify it."""

from __future__ import annotations

from . import forkserver
from .catalog import Case
from .results import CaseRun
from ..diagnosis.classify import classify


# The name a run's result had before the results file had a model; kept for code that imports it.
CaseResult = CaseRun


def run_case(case: Case, variant: str, sanitizer: str, *, timeout: float | None = None,
             use_gdb: bool = True, isolation: str = "spawn") -> CaseRun:
    """Build what the case needs in this process (so a build error is reported as one), then run it in a child.

    ``isolation``: ``spawn`` starts a fresh interpreter; ``auto`` and ``fork`` fork the child
    from a warm server where that is sound (``faultlab.lab.forkserver``); the verdict says which.
    """
    case.build(sanitizer, variant)
    outcome = forkserver.run_case(case, variant, sanitizer, timeout=timeout or case.timeout, use_gdb=use_gdb,
                                  isolation=isolation)
    expected, verdict = case.expected(variant, sanitizer), classify(outcome)
    return CaseRun(case.id, variant, sanitizer, expected, verdict.kind == expected, verdict)
