"""Fuzzing with native coverage: atheris harnesses over clang-instrumented libraries, and their crashes triaged."""

from .campaign import CampaignResult, fuzz
from .coverage import FuzzSetupError, runtime
from .target import FuzzTarget, TargetError, discover, find
from .triage import Artifact, Finding, minimize, reproduce

__all__ = ["Artifact", "CampaignResult", "Finding", "FuzzSetupError", "FuzzTarget", "TargetError", "discover",
           "find", "fuzz", "minimize", "reproduce", "runtime"]
