"""faultlab: reproduce FFI failure modes on purpose, and diagnose what happened.

The public names are loaded on first use (PEP 562), so a case's child, which needs only
``Case`` and ``Library``, does not pay for the classifier it never runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diagnosis.classify import classify
    from .diagnosis.detected import Detected
    from .diagnosis.outcome import Outcome
    from .diagnosis.runner import run
    from .diagnosis.verdict import Frame, Verdict
    from .lab.catalog import Case
    from .lab.execute import run_callable
    from .lab.expect import Expect
    from .lab.native import Library

# Each public name and the module that defines it.
_HOMES = {
    "Case": ".lab.catalog", "Expect": ".lab.expect", "Library": ".lab.native", "Detected": ".diagnosis.detected",
    "Outcome": ".diagnosis.outcome", "Verdict": ".diagnosis.verdict", "Frame": ".diagnosis.verdict",
    "classify": ".diagnosis.classify", "run": ".diagnosis.runner", "run_callable": ".lab.execute",
}

__all__ = sorted([*_HOMES, "diagnose"])


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'faultlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def diagnose(argv, **run_options) -> "Verdict":
    """Run ``argv`` under the runner and classify what happened."""
    from .diagnosis.classify import classify as classify_outcome
    from .diagnosis.runner import run as run_child

    return classify_outcome(run_child(argv, **run_options))
