"""How long the classifier takes on hostile output, and ``faultlab report`` on hostile results files.

A child that prints a very long line (a traceback frame padded with blanks, a native frame
line, thousands of ASan headlines) once made classification quadratic in the line's length:
26 s for a 100 KB line after a 0.05 s child. The first figures classify recorded outcomes of
that shape in this process (no child is run), so they measure the classifier alone;
baseline: a faulthandler segfault report of ordinary size.

A results file spent on tiny entries once cost ``faultlab report`` 14 s and 560 MB for 50 MB
(and its SARIF 2 GB), and a file of deadlocks a dot child per graph. The other figures run
``faultlab report`` as a user does, one child per file and output, on the worst files the
reader's limits let through (``bench.hostile_results``), each against a file of real verdicts
of the same size: wall time, and the child's peak RSS (its own, from wait4).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.diagnosis.classify import classify
from faultlab.diagnosis.outcome import Outcome

COMMAND = "faultlab bench hostile"
BASELINE = "an ordinary segfault report"
REAL = "real verdicts"  # the baseline of the results-file figures: the small catalog's, over and over
OUTPUTS = ("html", "sarif")
_RECORDED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "results" / "v1-small-catalog.json"


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


def real_results(size: int) -> str:
    """A results file of about ``size`` bytes of real verdicts: the small catalog's, each under a case id of its own."""
    from faultlab.lab.results import LIMITS

    recorded = json.loads(_RECORDED.read_text())["results"]
    one = len(json.dumps(recorded, indent=1))
    copies = min(max(1, size // one), LIMITS["results"] // len(recorded))
    entries = [{**entry, "case": f"{entry['case']}-{copy}"} for copy in range(copies) for entry in recorded]
    return json.dumps({"faultlab_results": 1, "results": entries}, indent=1)


# Spawns the command from a small process and prints its time, peak RSS and status: Linux keeps a process's
# peak RSS across exec, so a child spawned straight from this (large) process would report this one's peak.
_MEASURE = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]))
"""


def reported(path: Path, output: str, env: dict | None = None) -> tuple[float, float, int, str]:
    """``faultlab report PATH --OUTPUT ...`` in a child: (seconds, its peak RSS in MB, its exit status, its stderr)."""
    argv = [sys.executable, "-m", "faultlab", "report", str(path), f"--{output}", str(path.with_suffix(f".{output}"))]
    measured = subprocess.run([sys.executable, "-c", _MEASURE, *argv], env=env, capture_output=True, text=True,
                              errors="backslashreplace", check=True)
    seconds, peak, status = json.loads(measured.stdout)
    return seconds, peak, status, measured.stderr.strip()


def results_figures(size: int, repeat: int, shapes=None) -> tuple[list[Figure], list[Figure], list[str]]:
    """(seconds, peak MB, notes) of reporting each hostile file and the real one of about ``size`` bytes."""
    from bench.hostile_results import files

    seconds, memory, notes = [], [], []
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-") as tmp:
        texts = {REAL: real_results(size), **{name: text for name, text in files(size).items()
                                             if shapes is None or name in shapes}}
        for name, text in texts.items():
            path = Path(tmp) / "results.json"
            path.write_text(text, encoding="utf-8")
            megabytes = len(text.encode("utf-8")) / 1e6
            for output in OUTPUTS:
                runs = [reported(path, output) for _ in range(repeat)]
                label = f"{name} ({megabytes:.1f} MB) as {output}"
                seconds.append(Figure(label, "s", tuple(r[0] for r in runs)))
                memory.append(Figure(f"{label}, peak memory", "MB RSS", tuple(r[1] for r in runs)))
                if any(r[2] != 0 for r in runs):
                    failed = next(r for r in runs if r[2] != 0)
                    notes.append(f"{label}: faultlab report exited {failed[2]}: {failed[3][-300:]}")
    baseline = f"{REAL} ({len(texts[REAL].encode()) / 1e6:.1f} MB) as html"
    return (benchstats.compare(seconds, baseline), benchstats.compare(memory, f"{baseline}, peak memory"), notes)


def run(quick: bool = False) -> dict:
    size = 20_000 if quick else 200_000
    repeat = 3 if quick else 7
    figures = [Figure(name, "ms", benchstats.sample(lambda o=o: classify(o), inner=1, repeat=repeat))
               for name, o in outcomes(size).items()]
    benchstats.compare(figures, BASELINE)
    worst = max(f.median for f in figures)
    results_size = 200_000 if quick else 32_000_000  # real verdicts of this size are under LIMITS["results"]
    seconds, memory, refused = results_figures(results_size, 1 if quick else 2,
                                               ("frames of one stack", "deadlock verdicts") if quick else None)
    hostile_seconds = [f for f in seconds if not f.name.startswith(REAL)]
    hostile_memory = [f for f in memory if not f.name.startswith(REAL)]
    return {
        "bench": "hostile",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in (*figures, *seconds, *memory)],
        "targets": [benchstats.target(f"classifying {size // 1000} KB of hostile output <= 1 s", worst / 1e3, "<=",
                                      1.0, unit="s"),
                    benchstats.target("reporting a hostile results file (no larger) <= 4x the time of real verdicts'",
                                      max(f.ratio for f in hostile_seconds), "<=", 4.0, unit="x"),
                    benchstats.target("reporting a hostile results file (no larger) <= 4x the peak memory of real verdicts'",
                                      max(f.ratio for f in hostile_memory), "<=", 4.0, unit="x")],
        "notes": [f"classify() in this process on recorded outcomes; python {sys.version.split()[0]}",
                  f"faultlab report in a child per file and output, results files of about {results_size / 1e6:g} MB; "
                  f"the ratio of a hostile file is against the real verdicts' html figure", *refused],
    }
