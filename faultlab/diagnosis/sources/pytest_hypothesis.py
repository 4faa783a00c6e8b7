"""pytest and Hypothesis, installed in site-packages: the test machinery between a case and its property.

Neither writes a report the classifier reads; their frames (Hypothesis' engine, pytest's and
pluggy's hooks) are recognised by path and named ``test-runner/``.
"""

from __future__ import annotations

from ._schema import RuntimePath

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)site-packages/(?:hypothesis|_pytest|pluggy)/", "test-runner", precedence=60),
)
RUNTIME_MODULES = (r"test-runner/",)
