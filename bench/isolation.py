"""What one case run costs in process isolation: faultlab's paths against bare fork and a fresh interpreter.

Baseline: ``os.fork()`` + ``os._exit(0)`` + ``waitpid`` from this process, the least any
per-case process can cost. Against it: ``python -c pass`` (the least a fresh interpreter
costs), faultlab's spawn path (``runner.run`` of ``python -m faultlab.lab.drive`` on a no-op
case), the fork server with its quick exit and with full interpreter finalisation, the
whole ``execute.run_case`` (build check and classification included), and pytest-forked
where it is installed. The issue's target: the fork server within 3x bare fork.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.lab import catalog, execute
from faultlab.lab.isolation import client
from faultlab.diagnosis import runner
from faultlab.benchstats import Figure

COMMAND = "faultlab bench isolation"
BASELINE = "bare fork+exit+wait"
FORK_FIGURE = "faultlab fork server, quick exit"
PROBES = Path(__file__).with_name("probes.py")


def _bare_fork() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _python_pass() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def _interleaved(plan: dict, repeat: int) -> dict[str, list[float]]:
    """Samples in rounds, every figure once per round, so a drift in machine load hits them all alike."""
    samples: dict[str, list[float]] = {name: [] for name in plan}
    for _ in range(repeat):
        for name, (fn, inner) in plan.items():
            samples[name] += benchstats.sample(fn, inner=inner, repeat=1)
    return samples


def _pytest_forked_overhead(tests: int, repeat: int) -> Figure | str:
    """Per-test cost pytest-forked adds, or why it was not measured."""
    if importlib.util.find_spec("pytest_forked") is None:
        return "pytest-forked is not installed in this environment: not measured (not installed on purpose)"
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-") as tmp:
        Path(tmp, "test_trivial.py").write_text(
            "import pytest\n\n@pytest.mark.parametrize('i', range(%d))\ndef test_nothing(i):\n    pass\n" % tests)
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:faultlab", tmp]

        def wall(extra):
            start = time.perf_counter()
            proc = subprocess.run(base + extra, capture_output=True, text=True)
            if not re.search(rf"\b{tests} passed", proc.stdout):
                raise RuntimeError(proc.stdout[-300:])
            return time.perf_counter() - start

        try:
            samples = tuple((wall(["--forked"]) - wall([])) / tests * 1e3 for _ in range(repeat))
        except RuntimeError as exc:
            return f"pytest-forked is installed but its run failed: {str(exc).strip().splitlines()[-1]}"
    return Figure("pytest-forked, added per test", "ms", samples)


def run(quick: bool = False) -> dict:
    repeat = 3 if quick else 7
    scale = 1 if quick else 10
    (noop,) = [c for c in catalog.cases_in(PROBES) if c.id == "lifetime/bench-noop"]
    notes = []
    server = client.ForkServer("none")
    start = time.perf_counter()
    server.start()
    startup = time.perf_counter() - start
    plan = {
        BASELINE: (_bare_fork, 20 * scale),
        "python -c pass": (_python_pass, 2 * scale),
        "faultlab spawn (runner.run)": (lambda: runner.run(noop.argv("fixed")), scale),
        FORK_FIGURE: (lambda: server.run(noop.source, noop.id, "fixed"), 10 * scale),
        "faultlab fork server, full finalisation": (
            lambda: server.run(noop.source, noop.id, "fixed", quick_exit=False), 5 * scale),
        "execute.run_case, isolation=spawn": (lambda: execute.run_case(noop, "fixed", "none", isolation="spawn"), scale),
        "execute.run_case, isolation=auto": (
            lambda: execute.run_case(noop, "fixed", "none", isolation="auto"), 10 * scale),
    }
    asan = None
    if not quick:
        asan = client.ForkServer("asan")
        asan.start()
        plan["faultlab spawn under ASan"] = (lambda: runner.run(noop.argv("fixed"), sanitizer="asan"), scale)
        plan["faultlab fork server under ASan, quick exit"] = (
            lambda: asan.run(noop.source, noop.id, "fixed"), 5 * scale)
    try:
        for fn, _ in plan.values():
            fn()  # warm every path once: caches, server preload
        samples = _interleaved(plan, repeat)
    finally:
        server.close()
        if asan:
            asan.close()
        client.shared_pool().close()
    figures = [Figure(name, "ms", tuple(values)) for name, values in samples.items()]
    forked = _pytest_forked_overhead(20 if quick else 100, 1 if quick else 3)
    if isinstance(forked, Figure):
        figures.append(forked)
    else:
        notes.append(forked)
    benchstats.compare(figures, BASELINE)
    figures.append(Figure("fork server start-up (once per configuration)", "ms", (startup * 1e3,),
                          note="paid once per sanitizer configuration and pytest worker"))
    notes.append("quick exit: the child joins threads, runs atexit and C exit handlers, then exits without "
                 "tearing down the modules it inherited; full finalisation runs Py_FinalizeEx as spawn does")
    fork = next(f for f in figures if f.name == FORK_FIGURE)
    return {
        "bench": "isolation",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target("per-case overhead of the fork server <= 3x bare fork", fork.ratio, "<=", 3.0,
                                      unit="x bare fork")],
        "notes": notes,
    }
