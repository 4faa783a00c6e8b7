"""faultlab: reproduce FFI failure modes on purpose, and diagnose what happened."""

from .diagnosis.classify import classify
from .diagnosis.detected import Detected
from .diagnosis.outcome import Outcome
from .diagnosis.runner import run
from .diagnosis.verdict import Frame, Verdict
from .lab.catalog import Case
from .lab.drive import run_callable
from .lab.expect import Expect
from .lab.native import Library

__all__ = ["Case", "Detected", "Expect", "Frame", "Library", "Outcome", "Verdict", "classify", "diagnose", "run", "run_callable"]


def diagnose(argv, **run_options) -> Verdict:
    """Run ``argv`` under the runner and classify what happened."""
    return classify(run(argv, **run_options))
