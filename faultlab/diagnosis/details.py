"""What a verdict keeps beyond its first stack, for the pictures drawn from it.

``details(outcome)`` is the verdict's ``report_stacks`` and ``lock_waits``, as keyword
arguments of ``Verdict``, which ``classify`` fills for every verdict but ``ok``.
"""

from __future__ import annotations

from .lock_waits import lock_waits
from .outcome import Outcome
from .report_stacks import report_stacks


def details(outcome: Outcome) -> dict:
    """``{"report_stacks": ..., "lock_waits": ...}`` of one run, each bounded."""
    return {"report_stacks": report_stacks(outcome.stderr) or report_stacks(outcome.stdout),
            "lock_waits": lock_waits(outcome)}
