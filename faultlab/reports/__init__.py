"""The faces of a verdict: a terminal, one HTML page, SARIF, and the taxonomy page.

Reporters render what was recorded (a ``Verdict``, a results file) and never run or
import a case, so an old results file renders as it was recorded.
"""
