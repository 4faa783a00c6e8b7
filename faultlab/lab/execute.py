"""Run one case variant under one sanitizer configuration and classify it."""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnosis import configurations, stall
from ..diagnosis.classify import classify
from ..diagnosis.details import with_details
from ..diagnosis.outcome import Outcome
from ..diagnosis.runner import run
from ..diagnosis.configurations import Configuration
from ..diagnosis.verdict import Verdict
from .catalog import Case
from .drive import call_command
from .expect import Expect
from .isolation import policy


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    variant: str
    sanitizer: str
    expected: str  # the expected kind, as the results file and the reporters read it
    verdict: Verdict
    expect: Expect | None = None  # the whole expectation with its pins; None means Expect(expected)

    @property
    def expectation(self) -> Expect:
        return self.expect or Expect(self.expected)

    @property
    def passed(self) -> bool:
        """The kind matches and so does every field the case pins (frame, module, access)."""
        return not self.expectation.mismatches(self.verdict)

    @property
    def mismatch(self) -> str:
        """Why the result fails, naming the pin that did not hold; empty when it passed."""
        return self.expectation.mismatch(self.verdict)

    def to_dict(self) -> dict:
        return {
            "case": self.case_id, "variant": self.variant, "sanitizer": self.sanitizer,
            "expected": self.expected, "observed": self.verdict.kind, "passed": self.passed,
            "signature": self.verdict.signature, "duration_s": self.verdict.duration_s,
            "verdict": self.verdict.to_dict(),
        }


def run_case(case: Case, variant: str, configuration: str | Configuration, *, timeout: float | None = None,
             use_gdb: bool = True, isolation: str = policy.DEFAULT_ISOLATION,
             deadlock_after: float | None = stall.DEADLOCK_AFTER_S) -> CaseResult:
    """Build what the case needs in this process (so a build error is reported as one), then run it in a child.

    ``isolation``: ``auto`` (the default everywhere) forks the child from a warm server where
    that is sound and spawns it elsewhere; ``fork`` insists; ``spawn`` always starts a fresh
    interpreter (``faultlab.lab.isolation.policy``). The verdict says which it was.
    ``configuration`` is resolved here once, and passed down whole.
    """
    config = configurations.resolve(configuration)
    case.build(config, variant)
    outcome = policy.run_case(case, variant, config, timeout=timeout or case.timeout, use_gdb=use_gdb,
                              isolation=isolation, deadlock_after=deadlock_after)
    expect = case.expected(variant, config.name)
    # with_details: until classify fills report_stacks and lock_waits itself (it is idempotent).
    return CaseResult(case.id, variant, config.name, expect.kind, with_details(classify(outcome), outcome), expect)


def run_callable(target: str, **run_options) -> Outcome:
    """``runner.run`` of ``package.module:function``, called in a fresh interpreter by the drive."""
    return run(call_command(target), **run_options)
