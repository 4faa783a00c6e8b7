"""What a crash's native frames cost: crash to verdict without a sanitizer, against the bare crash.

The crash is a NULL write in a C function (``store_count``), as a program of its own and
through ctypes from a Python child; just before it the child prints a ``CLOCK_MONOTONIC``
stamp (the clock of ``time.monotonic``), so every figure is measured from the crash
itself, not from the child's start. Figures, each per crash, in rounds so that a drift in
the machine's load hits all alike:

- the bare crash: the same argv run by plain ``subprocess.run``, no faultlab: crash to exit
  status (the baseline);
- crash to verdict: ``faultlab.run`` then ``classify``, as ``faultlab diagnose`` does, with
  the preloaded crash handler and the warm symbolizer (the verdict names ``store_count``);
- the same without the handler (``crash_handler.preload`` switched off in this process),
  so the difference is what the native frames cost, apart from the runner's own work;
- symbolizing the crash's frames: warm (the shared llvm-symbolizer, as every crash after
  the first) and cold (a new llvm-symbolizer, as the first crash of a process).
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.diagnosis import classify, crash_frames, crash_handler, runner, symbolize

COMMAND = "faultlab bench crash"
CRASH_C = r"""
#include <stdio.h>
#include <time.h>

void store_count(int *counter) { *counter = 1; }

void stamp(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("%ld.%09ld\n", (long)now.tv_sec, now.tv_nsec);
    fflush(stdout);
}

int main(void) {
    stamp();
    store_count(0);
    return 0;
}
"""
FUNCTION = "store_count"


@contextlib.contextmanager
def _handler_off():
    """Runs started inside get no crash handler: the runner's work alone, for comparison."""
    preload = crash_handler.preload
    crash_handler.preload = lambda env, configuration: env
    try:
        yield
    finally:
        crash_handler.preload = preload


def _build(where: Path) -> tuple[list[str], list[str]]:
    (where / "crash.c").write_text(CRASH_C)
    for out, extra in (("libcrash.so", ["-fPIC", "-shared"]), ("crash", [])):
        subprocess.run(["gcc", "-g", "-O0", *extra, "crash.c", "-o", out], cwd=where, check=True, capture_output=True)
    program = [str(where / "crash")]
    python = [sys.executable, "-c", f"import ctypes\nlibrary = ctypes.CDLL({str(where / 'libcrash.so')!r})\n"
              "library.stamp()\nlibrary.store_count(None)"]
    return program, python


def _since_stamp(stdout: str) -> float:
    """Milliseconds from the crash (the stamp the child printed just before it) to now."""
    return (time.monotonic() - float(stdout.split()[0])) * 1e3


def _bare(argv: list[str]) -> float:
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = _since_stamp(done.stdout)
    if done.returncode != -signal.SIGSEGV:
        raise RuntimeError(f"{argv[0]} ended with {done.returncode}, not SIGSEGV")
    return elapsed


def _to_verdict(argv: list[str], *, named: bool) -> float:
    outcome = runner.run(argv, use_gdb=False)
    verdict = classify.classify(outcome)
    elapsed = _since_stamp(outcome.stdout)
    if verdict.kind != "segv" or (FUNCTION in verdict.summary) != named:
        raise RuntimeError(f"{argv[0]}: unexpected verdict {verdict.kind}: {verdict.summary}")
    return elapsed


def _symbolize_cost(argv: list[str], repeat: int) -> tuple[Figure, Figure]:
    outcome = runner.run(argv, use_gdb=False)
    raw = tuple(crash_frames.CrashFrame(f.module, f.offset) for f in outcome.crash_frames)
    warm, cold = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        crash_frames.symbolized(raw)
        warm.append((time.perf_counter() - start) * 1e3)
        fresh = symbolize.Symbolizer(symbolize.command())
        start = time.perf_counter()
        crash_frames.symbolized(raw, fresh)
        cold.append((time.perf_counter() - start) * 1e3)
        fresh.close()
    frames = len(raw)
    return (Figure("symbolize one crash's frames, warm llvm-symbolizer", "ms", tuple(warm), note=f"{frames} frames"),
            Figure("symbolize one crash's frames, new llvm-symbolizer", "ms", tuple(cold), note=f"{frames} frames"))


def run(quick: bool = False) -> dict:
    repeat = 2 if quick else 15
    notes = []
    if shutil.which("gcc") is None or crash_handler.library() is None:
        return {"bench": "crash", "command": COMMAND + (" --quick" if quick else ""), "quick": quick, "figures": [],
                "targets": [], "notes": ["not measured: gcc is needed to build the crash and the handler"]}
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-crash-") as tmp:
        program, python = _build(Path(tmp))
        figures: list[Figure] = []
        added = {}
        for form, argv in (("C program", program), ("ctypes from Python", python)):
            baseline = f"{form}: bare crash to exit status (subprocess.run)"
            samples: dict[str, list[float]] = {baseline: [], f"{form}: crash to verdict with native frames": [],
                                               f"{form}: crash to verdict, no crash handler": []}
            _to_verdict(argv, named=True)  # the first run builds nothing but starts the symbolizer
            for _ in range(repeat):
                samples[baseline].append(_bare(argv))
                samples[f"{form}: crash to verdict with native frames"].append(_to_verdict(argv, named=True))
                with _handler_off():
                    samples[f"{form}: crash to verdict, no crash handler"].append(_to_verdict(argv, named=False))
            group = benchstats.compare([Figure(name, "ms", tuple(values)) for name, values in samples.items()], baseline)
            figures += group
            added[form] = group[1].median - group[2].median
        figures += _symbolize_cost(program, repeat)
    symbolizer = symbolize.command() or "none (function names from dladdr only)"
    notes.append(f"mechanism: a preloaded handler (crash_handler) standing in for SIG_DFL; symbolizer: {symbolizer}")
    notes.append("native frames add " + ", ".join(f"{ms:.1f} ms to a {form}" for form, ms in added.items())
                 + " (median with, minus median without, the handler)")
    notes.append(f"python {sys.version.split()[0]}")
    return {
        "bench": "crash",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target("native frames add <= 50 ms to a crash's verdict (C program)",
                                      round(added["C program"], 2), "<=", 50.0, unit="ms")],
        "notes": notes,
    }
