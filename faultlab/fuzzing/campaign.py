"""Run one harness time-boxed, in parallel jobs, and turn what it found into findings.

The growing corpus lives in a work directory (``~/.cache/faultlab/fuzz/<target>/<variant>-<build>/``),
never in ``fuzz/corpus/<target>/``: the committed seeds are read, and rewritten only by
``merge`` (libFuzzer's ``-merge=1``, which adds the inputs that bring new coverage). Each
job is one libFuzzer process run through ``faultlab.diagnosis.runner``; it stops at its first crash
(libFuzzer's own rule) or, with ``keep_going``, starts again on the grown corpus until the
time is up.

A deadlock is called by the runner's watchdog as in a case, not at libFuzzer's per-input
timeout: the watch lets libFuzzer's RSS thread sleep beside the stalled ones
(``stall.LIBFUZZER_BYSTANDER``), and once eu-stack's stacks confirm it the job is sent
SIGABRT, on which libFuzzer writes the input it was running to a crash file (the harness
leaves the fatal signals to libFuzzer in a job: ``harness.FUZZ_JOB_ENV``). That file is
then triaged like any other.
"""

from __future__ import annotations

import itertools
import re
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..lab import build
from ..diagnosis import runner, stall
from ..diagnosis.outcome import Outcome
from ..diagnosis.verdict import Verdict
from . import harness
from .coverage import FuzzRuntime, FuzzSetupError, runtime
from .target import FuzzTarget, fuzz_root
from .triage import Finding, triage

CRASH_PREFIXES = ("crash-", "timeout-", "oom-", "leak-")
WATCHDOG_SLACK_S = 30.0  # libFuzzer stops itself at -max_total_time; the runner's watchdog is the backstop
NO_TIME_LIMIT_S = 24 * 3600.0
_STAT = re.compile(r"^stat::(number_of_executed_units|average_exec_per_sec|new_units_added):\s+(\d+)", re.M)


def work_root() -> Path:
    return build.cache_root().parent / "fuzz"


def seeds_dir(target: FuzzTarget) -> Path:
    return fuzz_root() / "corpus" / target.name


@dataclass
class CampaignResult:
    target: FuzzTarget
    variant: str
    native_coverage: bool
    build_tag: str
    jobs: int
    duration_s: float = 0.0  # wall time, triage included
    fuzz_s: float = 0.0  # libFuzzer processes' time, summed over jobs
    execs: int = 0
    new_units: int = 0
    time_to_first_crash_s: float | None = None
    findings: list[Finding] = field(default_factory=list)
    unreproduced: list[str] = field(default_factory=list)  # saved by libFuzzer, but the replay came out ok
    seeds_added: int = 0

    @property
    def exec_per_s(self) -> float:
        return round(self.execs * self.jobs / self.fuzz_s) if self.fuzz_s else 0.0

    @property
    def new_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.new]

    def unique(self) -> list[Finding]:
        """One finding per signature, the first one found."""
        seen: dict[str, Finding] = {}
        for f in self.findings:
            seen.setdefault(f.verdict.signature, f)
        return list(seen.values())

    def to_dict(self) -> dict:
        return {
            "target": self.target.name, "mode": self.target.mode, "variant": self.variant,
            "native_coverage": self.native_coverage, "build": self.build_tag, "sanitizer": self.target.sanitizer,
            "expected": self.target.expect if self.variant == "broken" else "ok", "jobs": self.jobs,
            "duration_s": round(self.duration_s, 2), "execs": self.execs, "exec_per_s": self.exec_per_s,
            "new_units": self.new_units,
            "time_to_first_crash_s": (None if self.time_to_first_crash_s is None
                                      else round(self.time_to_first_crash_s, 2)),
            "crashes": len(self.findings), "unique_crashes": [f.to_dict() for f in self.unique()],
            "unreproduced": self.unreproduced, "seeds_added": self.seeds_added,
        }


def _stats(outcome: Outcome) -> tuple[int, int]:
    found = {name: int(value) for name, value in _STAT.findall(outcome.stderr)}
    return found.get("number_of_executed_units", 0), found.get("new_units_added", 0)


def preflight(target: FuzzTarget, rt: FuzzRuntime, variant: str, native_coverage: bool) -> None:
    """Start the harness once on no input: builds its library, and proves the runtime loads.

    A library that cannot be built, a harness that does not import, a libFuzzer that was
    not picked up: each is a setup error with the child's own last line, before any time is spent.
    """
    outcome = runner.run([sys.executable, target.path, "-runs=0"], timeout=300, sanitizer=rt.configuration, env=rt.child_env(variant),
                         use_gdb=False)
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    if outcome.exit_code != 0:
        last = next((line for line in reversed(lines) if not line.startswith(" ")), "no output")
        raise FuzzSetupError(f"{target.name}: the harness did not start ({last.strip()[:300]})")
    if "Using preloaded libfuzzer" not in outcome.stderr:
        raise FuzzSetupError(f"{target.name}: atheris did not pick up the preloaded libFuzzer; "
                             "is another libFuzzer already preloaded?")
    if native_coverage and not re.search(r"INFO: Loaded \d+ modules", outcome.stderr):
        raise FuzzSetupError(f"{target.name}: no instrumented native code was loaded (build {rt.build_tag})")


def _crash_files(folder: Path, prefix: str) -> set[Path]:
    return {p for p in folder.glob(f"{prefix}*") if p.name[len(prefix):].startswith(CRASH_PREFIXES)}


def fuzz(target: FuzzTarget, *, variant: str = "broken", seconds: float | None = 60.0, runs: int | None = None,
         jobs: int = 1, native_coverage: bool = True, keep_going: bool = False, fresh: bool = False,
         merge: bool = False, work: Path | None = None, artifacts: Path | None = None) -> CampaignResult:
    """Fuzz ``target`` for ``seconds`` (and/or ``runs`` inputs per job), triage every crash."""
    rt = runtime(target.sanitizer, native_coverage=native_coverage)
    workdir = (work or work_root()) / target.name / f"{variant}-{rt.build_tag}"
    corpus, crashes = workdir / "corpus", workdir / "crashes"
    if fresh:
        shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(crashes, ignore_errors=True)
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True)
    preflight(target, rt, variant, native_coverage)

    result = CampaignResult(target, variant, native_coverage, rt.build_tag, jobs)
    lock = threading.Lock()
    seeds = seeds_dir(target)
    start = time.monotonic()
    deadline = start + seconds if seconds else None

    def job(index: int) -> None:
        for round_ in itertools.count():
            # A fresh prefix per process: libFuzzer names a crash file by its input's sha1, so
            # the same input found again would overwrite, not add, a file.
            prefix = f"job{index}.{round_}-"
            remaining = deadline - time.monotonic() if deadline else None
            if remaining is not None and remaining < 1:
                return
            argv = [sys.executable, target.path, "-print_final_stats=1", f"-timeout={max(1, int(target.timeout))}",
                    f"-max_len={target.max_len}", f"-artifact_prefix={crashes}/{prefix}", *target.options]
            if remaining is not None:
                argv.append(f"-max_total_time={int(remaining)}")
            if runs:
                argv.append(f"-runs={runs}")
            argv += [str(corpus)] + ([str(seeds)] if seeds.is_dir() else [])
            outcome = runner.run(argv, timeout=(remaining or NO_TIME_LIMIT_S) + WATCHDOG_SLACK_S,
                                 sanitizer=rt.configuration, env={**rt.child_env(variant), harness.FUZZ_JOB_ENV: "1"},
                                 use_gdb=False, bystander=stall.LIBFUZZER_BYSTANDER, deadlock_signal=signal.SIGABRT)
            ended = time.monotonic() - start
            execs, units = _stats(outcome)
            new = sorted(_crash_files(crashes, prefix), key=lambda p: p.stat().st_mtime)
            with lock:
                result.execs += execs
                result.fuzz_s += outcome.duration_s
                result.new_units += units
                if new and (result.time_to_first_crash_s is None or ended < result.time_to_first_crash_s):
                    result.time_to_first_crash_s = ended
            for crash in new:
                found = triage(target, crash, variant=variant, native_coverage=native_coverage, root=artifacts)
                with lock:
                    if isinstance(found, Verdict):
                        result.unreproduced.append(str(crash))
                    else:
                        result.findings.append(found)
            if not new or not keep_going or runs:
                return

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(job, i) for i in range(jobs)]:
            future.result()
    result.duration_s = time.monotonic() - start
    if merge:
        result.seeds_added = merge_into_seeds(target, rt, variant, corpus)
    return result


def merge_into_seeds(target: FuzzTarget, rt: FuzzRuntime, variant: str, corpus: Path) -> int:
    """Add to ``fuzz/corpus/<target>/`` the work-corpus inputs that bring new coverage (libFuzzer -merge=1)."""
    seeds = seeds_dir(target)
    seeds.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in seeds.iterdir()}
    outcome = runner.run([sys.executable, target.path, "-merge=1", f"-timeout={int(target.timeout)}",
                          f"-max_len={target.max_len}", str(seeds), str(corpus)],
                         timeout=600, sanitizer=rt.configuration, env=rt.child_env(variant), use_gdb=False)
    if outcome.exit_code != 0:
        raise FuzzSetupError(f"{target.name}: merging into {seeds} failed (exit status {outcome.exit_code})")
    return len({p.name for p in seeds.iterdir()} - before)
