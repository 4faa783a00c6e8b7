"""How long the classifier takes on hostile output, against an ordinary crash report.

A child that prints a very long line (a traceback frame padded with blanks, a native frame
line, thousands of ASan headlines) once made classification quadratic in the line's length:
26 s for a 100 KB line after a 0.05 s child. The figures classify recorded outcomes of that
shape in this process (no child is run), so they measure the classifier alone; baseline:
a faulthandler segfault report of ordinary size.
"""

from __future__ import annotations

import sys

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.diagnosis.classify import classify
from faultlab.diagnosis.outcome import Outcome

COMMAND = "faultlab bench hostile"
BASELINE = "an ordinary segfault report"


def _outcome(stderr: str, *, signal: int | None = None, exit_code: int | None = 1) -> Outcome:
    return Outcome(argv=("recorded",), exit_code=None if signal else exit_code, signal=signal, timed_out=False,
                   duration_s=0.05, stdout="", stderr=stderr)


def outcomes(size: int) -> dict[str, Outcome]:
    ordinary = ("Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f (most recent call first):\n"
                '  File "/usr/lib/python3.11/ctypes/__init__.py", line 519 in string_at\n'
                '  File "<string>", line 1 in <module>\n')
    return {
        BASELINE: _outcome(ordinary, signal=11),
        f"a traceback frame line padded with {size // 1000} KB of blanks": _outcome(
            "x" + " " * size + "y\nTraceback (most recent call last):\n"
            '  File "a.py", line 3, in f' + " " * size + "g\nValueError: after a long line\n"),
        f"a native frame line of {size // 1000} KB, then a segfault": _outcome(
            "    #0 0x1 in a" + " " * size + "b" + " " * size + "(\n" + ordinary, signal=11),
        f"{size // 10:,} ASan unknown-crash headlines": _outcome(
            "==1==ERROR: AddressSanitizer: unknown-crash on address 0x1\n" * (size // 10)),
    }


def run(quick: bool = False) -> dict:
    size = 20_000 if quick else 200_000
    repeat = 3 if quick else 7
    figures = [Figure(name, "ms", benchstats.sample(lambda o=o: classify(o), inner=1, repeat=repeat))
               for name, o in outcomes(size).items()]
    benchstats.compare(figures, BASELINE)
    worst = max(f.median for f in figures)
    return {
        "bench": "hostile",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target(f"classifying {size // 1000} KB of hostile output <= 1 s", worst / 1e3, "<=",
                                      1.0, unit="s")],
        "notes": [f"classify() in this process on recorded outcomes; python {sys.version.split()[0]}"],
    }
