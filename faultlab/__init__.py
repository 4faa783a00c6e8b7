"""faultlab: reproduce FFI failure modes on purpose, and diagnose what happened."""

from .classify import classify
from .detected import Detected
from .outcome import Outcome
from .runner import run, run_callable
from .verdict import Frame, Verdict

__all__ = ["Detected", "Frame", "Outcome", "Verdict", "classify", "diagnose", "run", "run_callable"]


def diagnose(argv, **run_options) -> Verdict:
    """Run ``argv`` under the runner and classify what happened."""
    return classify(run(argv, **run_options))
