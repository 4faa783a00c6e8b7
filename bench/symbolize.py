"""What symbolizing a sanitizer's report costs: crash to verdict, warm and cold, against the bare crash.

Two crashes, each in a C library built for its sanitizer, called through ctypes from a
case's broken driver: an ASan heap-use-after-free, and a TSan data race (a thread writes a
global, the caller writes it again with nothing ordering the two). Just before the crash the
child prints a ``CLOCK_MONOTONIC`` stamp (the clock of ``time.monotonic``), so every figure
is measured from the crash itself. Figures, each per crash, in rounds so that a drift in the
machine's load hits all alike, and each crash's against its own baseline:

- the bare crash: the same drive command run by plain ``subprocess.run`` with the
  configuration's environment and the runtime symbolizing its own report (``symbolize=1``):
  crash to exit status (the baseline);
- crash to verdict in the fork server and spawned, each warm (the child prints its report
  unsymbolized, faultlab's warm llvm-symbolizer names the frames: ``report_symbols``) and
  cold (the runtime symbolizes in the child, as before).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.diagnosis import classify, configurations, runner, symbolize
from faultlab.lab import catalog
from faultlab.lab.isolation.client import ForkServer

COMMAND = "faultlab bench symbolize"
CASE_ID = "lifetime/bench-read-after-free"
RACE_CASE_ID = "threading/bench-unordered-write"
STAMP_C = r"""
#include <stdio.h>
#include <time.h>

void stamp(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("%ld.%09ld\n", (long)now.tv_sec, now.tv_nsec);
    fflush(stdout);
}
"""
UAF_C = STAMP_C + r"""
#include <stdlib.h>

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
RACE_C = STAMP_C + r"""
#include <pthread.h>
#include <stdatomic.h>

static long total;
static atomic_int written;

static void *write_first(void *arg) {
    (void)arg;
    total = 1;
    atomic_store_explicit(&written, 1, memory_order_relaxed);  /* relaxed: it orders nothing for TSan */
    return NULL;
}

void write_twice(void) {
    pthread_t thread;
    pthread_create(&thread, NULL, write_first, NULL);
    while (!atomic_load_explicit(&written, memory_order_relaxed))
        ;
    stamp();
    total = 2;  /* FLAW: a second write, unordered with the thread's */
    pthread_join(thread, NULL);
}
"""
RACE_CASE_PY = '''"""A data race in C, stamped just before the second write: the symbolize bench's TSan crash."""

import ctypes

from faultlab import Case, Expect

crash = Case(id={case_id!r}, mode="threading", cwe="CWE-362", title="unordered writes", explanation=__doc__,
             expect={{"tsan": Expect("data-race", frame="write_twice")}})


@crash.broken
def write_twice():
    ctypes.CDLL({library!r}).write_twice()


@crash.fixed
def nothing():
    pass
'''
WARM = configurations.get("asan")
COLD = dataclasses.replace(WARM, parent_symbolizes=False)
TSAN_WARM = configurations.get("tsan")
TSAN_COLD = dataclasses.replace(TSAN_WARM, parent_symbolizes=False)


class Crash(NamedTuple):
    """One crash of the bench: its case, its configurations and the verdict it must get."""

    label: str  # how its figures are named: ASan's as before, TSan's after it
    runtime: str  # as its baseline names it
    case_id: str
    warm: configurations.Configuration
    cold: configurations.Configuration
    kind: str
    frame: str  # the function the verdict's summary, and the bare report, name


CRASHES = (
    Crash("", "ASan", CASE_ID, WARM, COLD, "heap-use-after-free", "read_freed"),
    Crash("TSan data race: ", "TSan", RACE_CASE_ID, TSAN_WARM, TSAN_COLD, "data-race", "write_twice"),
)


def _build(where: Path) -> dict[str, Path]:
    """Each crash's case file, by case id, its library built for its configuration."""
    built = {}
    for name, source, template, crash in (("uaf", UAF_C, CASE_PY, CRASHES[0]), ("race", RACE_C, RACE_CASE_PY, CRASHES[1])):
        (where / f"{name}.c").write_text(source)
        subprocess.run(["gcc", "-g", "-O0", "-fPIC", "-shared", *crash.warm.cflags, f"{name}.c", "-o", f"lib{name}.so"],
                       cwd=where, check=True, capture_output=True)
        case_file = where / f"case_{name}.py"
        case_file.write_text(template.format(case_id=crash.case_id, library=str(where / f"lib{name}.so")))
        built[crash.case_id] = case_file
    return built


def _since_stamp(stdout: str) -> float:
    """Milliseconds from the crash (the stamp the child printed just before it) to now."""
    return (time.monotonic() - float(stdout.split()[0])) * 1e3


def _check(outcome, crash: Crash) -> float:
    verdict = classify.classify(outcome)
    elapsed = _since_stamp(outcome.stdout)
    if verdict.kind != crash.kind or crash.frame not in verdict.summary:
        raise RuntimeError(f"unexpected verdict {verdict.kind}: {verdict.summary}")
    return elapsed


def _bare(argv: list[str], env: dict[str, str], crash: Crash) -> float:
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
    elapsed = _since_stamp(done.stdout)
    if not re.search(rf"(?: in |#\d+ ){crash.frame} ", done.stderr):
        raise RuntimeError(f"the bare crash printed no symbolized report: {done.stderr[-300:]}")
    return elapsed


def run(quick: bool = False) -> dict:
    repeat = 2 if quick else 15
    command = COMMAND + (" --quick" if quick else "")
    if shutil.which("gcc") is None:
        return {"bench": "symbolize", "command": command, "quick": quick, "figures": [], "targets": [],
                "notes": ["not measured: gcc is needed to build the crashes"]}
    with tempfile.TemporaryDirectory(prefix="faultlab-bench-symbolize-") as tmp:
        case_files = _build(Path(tmp))
        figures = []
        for crash in CRASHES:
            figures += _measure(crash, case_files[crash.case_id], tmp, repeat)
    warm_fork = next(f for f in figures if f.name == "crash to verdict, fork server, warm")
    return {
        "bench": "symbolize",
        "command": command,
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target("ASan heap-use-after-free crash to verdict, warm, fork server <= 50 ms",
                                      round(warm_fork.median, 2), "<=", 50.0, unit="ms")],
        "notes": [f"symbolizer: {symbolize.command() or 'none (the runtime symbolizes in the child)'}",
                  f"python {sys.version.split()[0]}"],
    }


def _measure(crash: Crash, case_file: Path, tmp: str, repeat: int) -> list[Figure]:
    """One crash's figures, each against its bare crash measured in the same rounds."""
    argv = catalog.case_command(str(case_file), crash.case_id, "broken")
    bare_env = runner.child_environment(crash.cold, env=None, dump_dir=tmp, memory_limit=None)
    servers = {"warm": ForkServer(crash.warm), "cold": ForkServer(crash.cold)}
    ways = {
        f"fork server, {name}": (lambda s=server: s.run(str(case_file), crash.case_id, "broken", use_gdb=False))
        for name, server in servers.items()
    } | {
        f"spawned, {name}": (lambda c=config: runner.run(argv, sanitizer=c, use_gdb=False))
        for name, config in (("warm", crash.warm), ("cold", crash.cold))
    }
    baseline = f"{crash.label}bare {crash.runtime} crash to exit status, {crash.runtime} symbolizing (subprocess.run)"
    samples: dict[str, list[float]] = {baseline: [], **{f"{crash.label}crash to verdict, {w}": [] for w in ways}}
    try:
        for way in ways.values():
            _check(way(), crash)  # the first run starts the server and the symbolizer
        for _ in range(repeat):
            samples[baseline].append(_bare(argv, bare_env, crash))
            for name, way in ways.items():
                samples[f"{crash.label}crash to verdict, {name}"].append(_check(way(), crash))
    finally:
        for server in servers.values():
            server.close()
    return benchstats.compare([Figure(name, "ms", tuple(values)) for name, values in samples.items()], baseline)
