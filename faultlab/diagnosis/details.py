"""What a verdict keeps beyond its first stack, for the pictures drawn from it.

``details(outcome)`` is the verdict's ``report_stacks`` and ``lock_waits``, as keyword
arguments of ``Verdict``; ``with_details`` fills them into a verdict that lacks them.
"""

from __future__ import annotations

import dataclasses

from .lock_waits import lock_waits
from .outcome import Outcome
from .report_stacks import report_stacks
from .verdict import Verdict


def details(outcome: Outcome) -> dict:
    """``{"report_stacks": ..., "lock_waits": ...}`` of one run, each bounded."""
    return {"report_stacks": report_stacks(outcome.stderr) or report_stacks(outcome.stdout),
            "lock_waits": lock_waits(outcome)}


def with_details(verdict: Verdict, outcome: Outcome) -> Verdict:
    """``verdict`` with its details filled from ``outcome``; a verdict that has them is returned as it is.

    A clean run keeps none: its output is not a report.
    """
    if verdict.ok or verdict.report_stacks or verdict.lock_waits:
        return verdict
    return dataclasses.replace(verdict, **details(outcome))
