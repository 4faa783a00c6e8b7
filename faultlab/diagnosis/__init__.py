"""Diagnosis: run anything in a watched child (runner), and read what happened (classify -> Verdict).

Nothing here knows the catalog: a verdict is made from an ``Outcome`` and the report
sources alone, so ``faultlab diagnose`` reads anyone's crash the way it reads a case's.
"""
