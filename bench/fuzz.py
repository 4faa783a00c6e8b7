"""Executions per second: an atheris harness against a pure-C libFuzzer harness on the same native target.

Both fuzz ``ft_parse()`` of bench/native/fuzz_target.c, compiled by clang-16 with the same
flags and coverage instrumentation, from an empty corpus with the same seed. The C harness
is linked with ``-fsanitize=fuzzer``; the atheris one (bench/fuzz_harness.py, through
ctypes and through cffi) loads the target built with ``-fsanitize=fuzzer-no-link`` and
runs with a shared libFuzzer preloaded, the route of issue 4. Baseline: the C harness.
exec/s = executed units / (wall time - the harness's start-up, measured alone).
The issue's target: atheris at least 0.3x the C harness.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.lab import build
from faultlab.benchstats import Figure
from faultlab.fuzzing import coverage
from faultlab.fuzzing.coverage import FuzzSetupError

COMMAND = "faultlab bench fuzz"
CLANG = build.CLANG
NATIVE = Path(__file__).with_name("native")
HARNESS = Path(__file__).with_name("fuzz_harness.py")
BASELINE = "libFuzzer, pure C harness"
COMMON_FLAGS = ("-seed=1", "-max_len=64", "-print_final_stats=1")


def build_harnesses() -> tuple[Path, Path, Path]:
    """The pure-C fuzzer, the shared libFuzzer to preload (the one ``faultlab fuzz`` uses), and the target library."""
    target, main = NATIVE / "fuzz_target.c", NATIVE / "fuzz_main.c"
    key = hashlib.sha256(build.compiler_version(CLANG).encode() + target.read_bytes() + main.read_bytes())
    c_fuzzer = build.compile_once(
        build.cache_root() / f"bench-{key.hexdigest()[:20]}" / "fuzz-c",
        [CLANG, "-g", "-O0", "-fno-omit-frame-pointer", "-fsanitize=fuzzer", str(target), str(main), "-o", "{output}"],
        failure=f"fuzz-c: {CLANG} failed", error=FuzzSetupError)
    library = build.build_library("bench/fuzz_target", sources=("../bench/native/fuzz_target.c",),
                                  configuration=coverage.COVERAGE)
    return c_fuzzer, coverage.libfuzzer(), library


def _fuzz(cmd: list[str], env: dict[str, str], limit: list[str]) -> tuple[int, float]:
    """Executed units and wall seconds of one libFuzzer run."""
    start = time.perf_counter()
    proc = subprocess.run(cmd + [*COMMON_FLAGS, *limit], env=env, capture_output=True, text=True,
                          errors="backslashreplace")
    wall = time.perf_counter() - start
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
    if not m:
        raise FuzzSetupError(f"{Path(cmd[-1] if cmd[0] != sys.executable else cmd[1]).name}: no final stats "
                             f"(exit status {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
    return int(m.group(1)), wall


def run(quick: bool = False) -> dict:
    notes = []
    try:
        coverage.require_atheris()
        c_fuzzer, libfuzzer, library = build_harnesses()
    except (FuzzSetupError, build.BuildError) as exc:
        return {"bench": "fuzz", "command": COMMAND + (" --quick" if quick else ""), "quick": quick, "figures": [],
                "targets": [benchstats.target("atheris exec/s >= 0.3x libFuzzer's", None, ">=", 0.3)],
                "notes": [f"not measured: {exc}"]}
    plain = dict(os.environ)
    preloaded = dict(os.environ, LD_PRELOAD=str(libfuzzer))
    harnesses = {
        BASELINE: ([str(c_fuzzer)], plain),
        "atheris + ctypes, preloaded libFuzzer": ([sys.executable, str(HARNESS), "ctypes", str(library)], preloaded),
        "atheris + cffi ABI, preloaded libFuzzer": ([sys.executable, str(HARNESS), "cffi", str(library)], preloaded),
    }
    limit = ["-runs=20000"] if quick else ["-max_total_time=5"]
    repeat = 2 if quick else 3
    startup = {name: sorted(_fuzz(cmd, env, ["-runs=1"])[1] for _ in range(3))[1] for name, (cmd, env) in
               harnesses.items()}
    samples: dict[str, list[float]] = {name: [] for name in harnesses}
    units: dict[str, list[int]] = {name: [] for name in harnesses}
    for _ in range(repeat):
        for name, (cmd, env) in harnesses.items():
            executed, wall = _fuzz(cmd, env, limit)
            samples[name].append(executed / max(wall - startup[name], 1e-6))
            units[name].append(executed)
    figures = [Figure(name, "exec/s", tuple(values),
                      extra={"startup_s": round(startup[name], 4), "executed_units": units[name]})
               for name, values in samples.items()]
    benchstats.compare(figures, BASELINE)
    notes.append(f"target: {NATIVE / 'fuzz_target.c'}, clang-16 -O0 with coverage; "
                 f"{'-runs=20000' if quick else '-max_total_time=5'}, -seed=1, -max_len=64, empty corpus")
    by_name = {f.name: f for f in figures}
    return {
        "bench": "fuzz",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [benchstats.target(f"{name} exec/s >= 0.3x libFuzzer's", by_name[name].ratio, ">=", 0.3,
                                      unit="x libFuzzer")
                    for name in harnesses if name != BASELINE],
        "notes": notes,
    }
