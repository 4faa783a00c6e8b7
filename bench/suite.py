"""The whole catalog's wall time under pytest, and the time from a crash to its verdict.

Suite: ``pytest cases/`` serial and with ``-n 2`` (this machine's two cores), each with
``--faultlab-isolation spawn`` and with the default ``auto`` (the fork server where it is
sound); baseline: serial, spawn. Then the CPython items alone (``-m cpython -n 2``): wall
time and summed item time. Then ``pytest cases/ -n 2`` one run configuration at a time
(none, pymalloc-debug, asan, ubsan, tsan, ...), against ``none``.
The catalog is whatever ``cases/`` holds when the bench runs (its size is reported); as a
stand-in for the full catalog, 20 renamed copies of the example case (cffi, ASan) are timed
too. ``--quick`` times a one-case catalog in a temporary folder instead.

Crash to verdict: a driver prints its CLOCK_MONOTONIC time, then crashes at once (SIGSEGV,
or an ASan heap-use-after-free); the figure is the time from that stamp until ``classify``
has returned the verdict in this process: signal delivery, faulthandler or ASan's report,
process exit, the runner's wait and the classifier, without gdb (gdb only serves hangs).
Baseline: the same crash under a bare ``subprocess.run``, from the stamp to its exit status.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.lab import build, catalog
from faultlab.lab.isolation import client
from faultlab.diagnosis import configurations, runner
from faultlab.benchstats import Figure
from faultlab.diagnosis.classify import classify

from .probes import crash_stamp

COMMAND = "faultlab bench suite"
PROBES = Path(__file__).with_name("probes.py")
BASELINE = "serial, spawn"
CONFIGS = {
    BASELINE: ["--faultlab-isolation", "spawn"],
    "serial, fork server": ["--faultlab-isolation", "auto"],
    "-n 2, spawn": ["-n", "2", "--faultlab-isolation", "spawn"],
    "-n 2, fork server": ["-n", "2", "--faultlab-isolation", "auto"],
}
SYNTHETIC_COPIES = 20

TINY_CASE = '''
"""A one-case catalog for the quick suite bench: a crash and its fix, no native code."""
import ctypes
from faultlab.lab.catalog import Case

tiny = Case(id="lifetime/tiny-crash", mode="lifetime", cwe="CWE-416", title="reads address 0",
            explanation=__doc__, expect={"none": "segv"})

@tiny.broken
def read_address_zero():
    ctypes.string_at(0)  # FLAW: SIGSEGV

@tiny.fixed
def read_nothing():
    pass  # FIX: no read
'''


def _pytest_wall(root: Path, extra: list[str], env: dict[str, str]) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "pytest", "cases/", "-q", "-p", "no:cacheprovider", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, errors="backslashreplace")
    wall = time.perf_counter() - start
    summary = next((line.strip("= ") for line in reversed(proc.stdout.splitlines()) if re.search(r"\d+ \w+ in ", line)),
                   f"pytest exit status {proc.returncode}")
    return wall, summary


def time_catalog(label: str, root: Path, env: dict[str, str], repeat: int) -> list[Figure]:
    """``pytest cases/`` in ``root`` under every configuration, in rounds; baseline: serial with spawn."""
    subprocess.run([sys.executable, "-m", "faultlab", "build"], cwd=root, env=env, capture_output=True)
    samples: dict[str, list[float]] = {name: [] for name in CONFIGS}
    summaries: dict[str, str] = {}
    for _ in range(repeat):
        for name, extra in CONFIGS.items():
            wall, summaries[name] = _pytest_wall(root, extra, env)
            samples[name].append(wall)
    figures = [Figure(f"{label}: {name}", "s", tuple(values),
                      extra={"pytest": summaries[name], "command": " ".join(["pytest cases/", *CONFIGS[name]])})
               for name, values in samples.items()]
    return benchstats.compare(figures, f"{label}: {BASELINE}")


def configuration_figures(repeat: int) -> list[Figure]:
    """``pytest cases/ -n 2`` (fork server where sound) for each run configuration the catalog expects
    something of, one at a time (``--faultlab-sanitizer NAME``); baseline: ``none``."""
    names = [n for n in configurations.NAMES if any(n in c.expect for c in catalog.discover())]
    samples: dict[str, list[float]] = {name: [] for name in names}
    summaries: dict[str, str] = {}
    for _ in range(repeat):
        for name in names:
            wall, summaries[name] = _pytest_wall(build.project_root(), ["-n", "2", "--faultlab-sanitizer", name],
                                                 dict(os.environ))
            samples[name].append(wall)
    figures = [Figure(f"cases/ -n 2, only --faultlab-sanitizer {name}", "s", tuple(values),
                      extra={"pytest": summaries[name]}) for name, values in samples.items()]
    return benchstats.compare(figures, "cases/ -n 2, only --faultlab-sanitizer none")


CPYTHON_ITEMS = ["-m", "cpython", "-n", "2"]
CPYTHON_WALL = "cases/ -m cpython -n 2 (fork server): wall"
CPYTHON_ITEM_TIME = "cases/ -m cpython -n 2 (fork server): summed item time"


def cpython_item_figures(repeat: int) -> list[Figure]:
    """The catalog's CPython items alone (``-m cpython``: the items issue 13 measured, 58 then),
    ``-n 2`` with the default isolation: the wall time, and the item time summed from
    ``--faultlab-report`` (each item's own child, from its start to its verdict)."""
    wall, item_time = [], []
    summary = ""
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-items-") as tmp:
        report = Path(tmp) / "results.json"
        for _ in range(repeat):
            seconds, summary = _pytest_wall(build.project_root(), [*CPYTHON_ITEMS, "--faultlab-report", str(report)],
                                            dict(os.environ))
            wall.append(seconds)
            item_time.append(sum(r["duration_s"] for r in json.loads(report.read_text())["results"]))
    extra = {"pytest": summary, "command": " ".join(["pytest cases/", *CPYTHON_ITEMS])}
    return [Figure(CPYTHON_WALL, "s", tuple(wall), extra=extra), Figure(CPYTHON_ITEM_TIME, "s", tuple(item_time), extra=extra)]


def synthetic_catalog(root: Path, copies: int) -> bool:
    """``copies`` renamed copies of the catalog's example case (cffi, ASan) in ``root``; False if it changed shape."""
    source = build.project_root()
    case_file = source / "cases" / "lifetime" / "case_retained_buffer.py"
    native_file = source / "native" / "lifetime" / "retained_buffer.c"
    if not (case_file.exists() and native_file.exists()):
        return False
    template = case_file.read_text()
    if 'Library("lifetime/retained_buffer")' not in template or 'id="lifetime/retained-buffer"' not in template:
        return False
    (root / "native" / "synthetic").mkdir(parents=True)
    (root / "cases" / "lifetime").mkdir(parents=True)
    for i in range(copies):
        (root / "native" / "synthetic" / f"retained_buffer_{i}.c").write_text(native_file.read_text())
        (root / "cases" / "lifetime" / f"case_retained_buffer_{i}.py").write_text(
            template.replace('Library("lifetime/retained_buffer")', f'Library("synthetic/retained_buffer_{i}")')
                    .replace('id="lifetime/retained-buffer"', f'id="lifetime/retained-buffer-{i}"'))
    return True


def suite_figures(quick: bool) -> tuple[list[Figure], list[str]]:
    notes = []
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-suite-") as tmp:
        if quick:
            root = Path(tmp)
            (root / "cases" / "lifetime").mkdir(parents=True)
            (root / "cases" / "lifetime" / "case_tiny.py").write_text(TINY_CASE)
            notes.append("quick: the suite figures time a one-case catalog, not cases/")
            return time_catalog("tiny catalog", root, dict(os.environ, FAULTLAB_ROOT=str(root)), repeat), notes
        try:
            cases = catalog.discover()
            notes.append(f"cases/ at bench time: {len(cases)} cases, "
                         f"{sum(2 * len(c.expect) for c in cases)} (case, variant, sanitizer) items")
        except catalog.CatalogError as exc:
            notes.append(f"cases/ at bench time does not load: {exc}")
        figures = time_catalog("cases/", build.project_root(), dict(os.environ), repeat)
        figures += cpython_item_figures(repeat)
        figures += configuration_figures(repeat)
        synthetic = Path(tmp) / "synthetic"
        if synthetic_catalog(synthetic, SYNTHETIC_COPIES):
            env = dict(os.environ, FAULTLAB_ROOT=str(synthetic))
            figures += time_catalog(f"synthetic {SYNTHETIC_COPIES}-case catalog", synthetic, env, repeat)
            notes.append(f"synthetic catalog: {SYNTHETIC_COPIES} renamed copies of lifetime/retained-buffer "
                         f"(cffi ABI, ASan), {2 * SYNTHETIC_COPIES} items: a stand-in for the full catalog's size")
    return figures, notes


def _bare_crash(crash, sanitizer: str) -> float:
    """Stamp to exit status of the same crash run by a bare ``subprocess.run``: no runner, no verdict."""
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-") as tmp:
        env = runner.child_environment(configurations.get(sanitizer), env=None, dump_dir=tmp,
                                       memory_limit=None)
        proc = subprocess.run(crash.argv("broken"), env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
        return (time.monotonic() - crash_stamp(proc.stdout)) * 1e3


def crash_figures(quick: bool) -> list[Figure]:
    (crash,) = [c for c in catalog.cases_in(PROBES) if c.id == "lifetime/bench-crash"]
    repeat = 3 if quick else 9
    figures = []
    for sanitizer in ("none", "asan"):
        crash.build(sanitizer, "broken")
        server = client.ForkServer(sanitizer)
        paths = {"spawn": lambda: runner.run(crash.argv("broken"), sanitizer=sanitizer, use_gdb=False),
                 "fork": lambda: server.run(crash.source, crash.id, "broken", use_gdb=False)}
        baseline = f"crash to exit status, {sanitizer}, bare subprocess"
        try:
            group = [Figure(baseline, "ms", tuple(_bare_crash(crash, sanitizer) for _ in range(repeat)),
                            note="the crash alone, as a bare subprocess.run sees it: no runner, no classifier")]
            for isolation, run in paths.items():
                run()  # warm: builds, caches, the server's start-up
                samples, kinds = [], set()
                for _ in range(repeat):
                    outcome = run()
                    verdict = classify(outcome)
                    done = time.monotonic()
                    samples.append((done - crash_stamp(outcome.stdout)) * 1e3)
                    kinds.add(verdict.kind)
                group.append(Figure(f"crash to verdict, {sanitizer}, {isolation}", "ms", tuple(samples),
                                    extra={"kind": ", ".join(sorted(kinds))}))
        finally:
            server.close()
        figures += benchstats.compare(group, baseline)
    return figures


def run(quick: bool = False) -> dict:
    suite, notes = suite_figures(quick)
    crashes = crash_figures(quick)
    targets = [benchstats.target(f"whole {f.name} <= 20 s", f.median, "<=", 20.0, unit="s")
               for f in suite if "-n 2" in f.name]
    targets += [benchstats.target(f"{f.name} < 100 ms", f.median, "<", 100.0, unit="ms")
                for f in crashes if f.name.startswith("crash to verdict")]
    limits = {CPYTHON_WALL: 6.0, CPYTHON_ITEM_TIME: 7.0}
    targets += [benchstats.target(f"{f.name} <= {limits[f.name]:g} s", f.median, "<=", limits[f.name], unit="s")
                for f in suite if f.name in limits]
    return {
        "bench": "suite",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in suite + crashes],
        "targets": targets,
        "notes": notes,
    }
