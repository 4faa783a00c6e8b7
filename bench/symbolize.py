"""What symbolizing an ASan report costs: crash to verdict, warm and cold, against the bare ASan crash.

The crash is a heap-use-after-free in a C library built with ASan, called through ctypes
from a case's broken driver; just before it the child prints a ``CLOCK_MONOTONIC`` stamp
(the clock of ``time.monotonic``), so every figure is measured from the crash itself.
Figures, each per crash, in rounds so that a drift in the machine's load hits all alike:

- the bare ASan crash: the same drive command run by plain ``subprocess.run`` with the
  ``asan`` configuration's environment and ASan symbolizing its own report (``symbolize=1``):
  crash to exit status (the baseline);
- crash to verdict in the fork server and spawned, each warm (the child prints its report
  unsymbolized, faultlab's warm llvm-symbolizer names the frames: ``report_symbols``) and
  cold (ASan symbolizes in the child, as before).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.diagnosis import classify, configurations, runner, symbolize
from faultlab.lab import catalog
from faultlab.lab.isolation.client import ForkServer

COMMAND = "faultlab bench symbolize"
CASE_ID = "lifetime/bench-read-after-free"
UAF_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void stamp(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("%ld.%09ld\n", (long)now.tv_sec, now.tv_nsec);
    fflush(stdout);
}

int read_freed(void) {
    int *counter = malloc(sizeof *counter);
    *counter = 1;
    free(counter);
    return *counter;  /* FLAW: read after free */
}
"""
CASE_PY = '''"""A heap-use-after-free in C, stamped just before it: the symbolize bench's crash."""

import ctypes

from faultlab import Case, Expect

crash = Case(id={case_id!r}, mode="lifetime", cwe="CWE-416", title="read after free", explanation=__doc__,
             expect={{"asan": Expect("heap-use-after-free", frame="read_freed")}})


@crash.broken
def read_after_free():
    library = ctypes.CDLL({library!r})
    library.stamp()
    library.read_freed()


@crash.fixed
def nothing():
    pass
'''
WARM = configurations.get("asan")
COLD = dataclasses.replace(WARM, parent_symbolizes=False)


def _build(where: Path) -> Path:
    (where / "uaf.c").write_text(UAF_C)
    subprocess.run(["gcc", "-g", "-O0", "-fPIC", "-shared", *WARM.cflags, "uaf.c", "-o", "libuaf.so"], cwd=where,
                   check=True, capture_output=True)
    case_file = where / "case_uaf.py"
    case_file.write_text(CASE_PY.format(case_id=CASE_ID, library=str(where / "libuaf.so")))
    return case_file


def _since_stamp(stdout: str) -> float:
    """Milliseconds from the crash (the stamp the child printed just before it) to now."""
    return (time.monotonic() - float(stdout.split()[0])) * 1e3


def _check(outcome) -> float:
    verdict = classify.classify(outcome)
    elapsed = _since_stamp(outcome.stdout)
    if verdict.kind != "heap-use-after-free" or "read_freed" not in verdict.summary:
        raise RuntimeError(f"unexpected verdict {verdict.kind}: {verdict.summary}")
    return elapsed


def _bare(argv: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
    elapsed = _since_stamp(done.stdout)
    if "in read_freed" not in done.stderr:
        raise RuntimeError(f"the bare crash printed no symbolized report: {done.stderr[-300:]}")
    return elapsed


def run(quick: bool = False) -> dict:
    repeat = 2 if quick else 15
    command = COMMAND + (" --quick" if quick else "")
    if shutil.which("gcc") is None:
        return {"bench": "symbolize", "command": command, "quick": quick, "figures": [], "targets": [],
                "notes": ["not measured: gcc is needed to build the crash"]}
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-symbolize-") as tmp:
        case_file = _build(Path(tmp))
        argv = catalog.case_command(str(case_file), CASE_ID, "broken")
        bare_env = runner.child_environment(COLD, env=None, dump_dir=tmp, memory_limit=None)
        servers = {"warm": ForkServer(WARM), "cold": ForkServer(COLD)}
        ways = {
            f"fork server, {name}": (lambda s=server: s.run(str(case_file), CASE_ID, "broken", use_gdb=False))
            for name, server in servers.items()
        } | {
            f"spawned, {name}": (lambda c=config: runner.run(argv, sanitizer=c, use_gdb=False))
            for name, config in (("warm", WARM), ("cold", COLD))
        }
        baseline = "bare ASan crash to exit status, ASan symbolizing (subprocess.run)"
        samples: dict[str, list[float]] = {baseline: [], **{f"crash to verdict, {w}": [] for w in ways}}
        try:
            for way in ways.values():
                _check(way())  # the first run starts the server and the symbolizer
            for _ in range(repeat):
                samples[baseline].append(_bare(argv, bare_env))
                for name, way in ways.items():
                    samples[f"crash to verdict, {name}"].append(_check(way()))
        finally:
            for server in servers.values():
                server.close()
    figures = benchstats.compare([Figure(name, "ms", tuple(values)) for name, values in samples.items()], baseline)
    warm_fork = next(f for f in figures if f.name == "crash to verdict, fork server, warm")
    return {
        "bench": "symbolize",
        "command": command,
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target("ASan heap-use-after-free crash to verdict, warm, fork server <= 50 ms",
                                      round(warm_fork.median, 2), "<=", 50.0, unit="ms")],
        "notes": [f"symbolizer: {symbolize.command() or 'none (ASan symbolizes in the child)'}",
                  f"python {sys.version.split()[0]}"],
    }
