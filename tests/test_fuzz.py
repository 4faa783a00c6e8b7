"""Fuzzing: native coverage finds a planted bug, findings are classified, stored once, and replayable.

The shallow planted bug is the probe's (faultlab/fuzzing/probe.py): a heap overflow in C
behind the 4-byte magic "FUZZ", found in about a second with native coverage. Every run is
a real libFuzzer under atheris in a child process; the minute-long runs of the real
harnesses belong to the nightly job (.github/workflows/nightly-fuzz.yml).
"""

import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from command_line import fail_message, faultlab

from faultlab.lab.build import project_root
from faultlab.fuzzing import campaign, coverage, discover, find, triage
from faultlab.diagnosis.signature import meaningful

requires_fuzzing = [
    pytest.mark.skipif(shutil.which("clang-16") is None, reason="clang-16 builds the coverage-instrumented libraries"),
    pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                       reason="atheris is not installed (pip install '.[fuzz]')"),
]
pytestmark = requires_fuzzing

ROOT = project_root()
PROBE = str(ROOT / "faultlab" / "fuzzing" / "probe.py")


def faultlab_fuzz(*args: str) -> subprocess.CompletedProcess:
    """``faultlab fuzz ARGS`` in the project; ``.explain`` is what a failing assertion shows."""
    done = faultlab(None, "fuzz", *args, timeout=120)
    done.explain = fail_message(done)
    return done


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Two inputs that hit the probe's one bug, triaged into one artifacts folder."""
    work = tmp_path_factory.mktemp("triage")
    target = find(PROBE)
    results = []
    for name, data in (("first", b"FUZZ\x01"), ("second", b"FUZZ\x02 longer, other bytes"), ("harmless", b"FUZ!")):
        path = work / name
        path.write_bytes(data)
        results.append(triage.triage(target, path, variant="broken", native_coverage=True, root=work / "artifacts"))
    return work / "artifacts" / "probe", results


def test_a_short_run_finds_the_shallow_planted_bug(tmp_path):
    done = faultlab_fuzz(PROBE, "--time", "20", "--workdir", str(tmp_path / "work"),
                         "--artifacts", str(tmp_path / "artifacts"), "--json")
    assert done.returncode == 1, done.explain
    result = json.loads(done.stdout)["targets"][0]
    assert result["time_to_first_crash_s"] is not None and result["execs"] > 0, done.explain
    [crash] = result["unique_crashes"]
    assert (crash["kind"], crash["new"], crash["as_declared"]) == ("heap-buffer-overflow", True, True), done.explain
    artifact = Path(crash["artifact"])
    assert artifact == tmp_path / "artifacts" / "probe" / crash["signature"]
    assert sorted(p.name for p in artifact.iterdir()) == ["finding.json", "input", "reproduce.txt", "verdict.json"]
    assert artifact.joinpath("input").read_bytes().startswith(b"FUZZ")
    assert json.loads(artifact.joinpath("verdict.json").read_text())["signature"] == crash["signature"]
    [command] = artifact.joinpath("reproduce.txt").read_text().splitlines()
    assert command == f"faultlab fuzz --reproduce {artifact}"


def test_two_inputs_of_one_bug_are_stored_as_one_artifact(stored):
    folder, (first, second, harmless) = stored
    assert first.new and not second.new
    assert first.verdict.kind == second.verdict.kind == "heap-buffer-overflow"
    assert first.verdict.signature == second.verdict.signature
    assert [p.name for p in folder.iterdir()] == [first.verdict.signature]  # no second folder, no leftovers
    assert (folder / first.verdict.signature / "input").read_bytes() == b"FUZZ\x01"
    assert harmless.kind == "ok"  # an input that does not crash on replay is no finding
    # What the signature is made of: the library's frame and the harness's, not atheris's glue.
    assert [f.function for f in meaningful(first.verdict.native_stack)] == ["probe_check"]
    top = first.verdict.python_stack[0]
    assert (top.function, top.module) == ("TestOneInput", "probe.py")


def test_an_exception_in_a_harness_is_classified_with_its_python_stack(tmp_path):
    pair = tmp_path / "pair"
    pair.write_bytes(b"\xed\xa0\xbd\xed\xb8\x80")  # U+1F600 as modified UTF-8 spells it
    verdict = triage.replay(find("encoding_mutf8"), pair, variant="broken")
    assert verdict.kind == "encoding-corruption", verdict
    assert "can't decode byte 0xed in position 0" in verdict.summary
    assert verdict.python_stack[0].function == "TestOneInput"  # atheris prints the traceback to stdout
    assert triage.replay(find("encoding_mutf8"), pair, variant="fixed").kind == "ok"


def test_reproduce_gives_the_stored_signature_and_the_fix_survives_it(stored):
    folder, (first, _, _) = stored
    done = faultlab_fuzz("--reproduce", str(first.artifact), "--json")
    assert done.returncode == 1, done.explain
    report = json.loads(done.stdout)
    assert report["same_signature"] and report["verdict"]["signature"] == first.verdict.signature, done.explain
    assert report["verdict"]["native_stack"][0]["function"] == "probe_check"
    fixed = faultlab_fuzz("--reproduce", str(first.artifact), "--variant", "fixed")
    assert fixed.returncode == 0, fixed.explain
    assert "ok [unknown]" in fixed.stdout and "signature: DIFFERS" in fixed.stdout, fixed.explain


def test_minimize_shrinks_a_stored_input_and_keeps_the_original(tmp_path):
    long_input = tmp_path / "long"
    long_input.write_bytes(b"FUZZ" + b"\x02 and many more bytes than the bug needs" * 4)
    finding = triage.triage(find(PROBE), long_input, variant="broken", native_coverage=True, root=tmp_path / "artifacts")
    done = faultlab_fuzz("--reproduce", str(finding.artifact), "--minimize", "--time", "2", "--json")
    assert done.returncode == 1, done.explain
    report = json.loads(done.stdout)
    before, after = report["minimized"]
    assert before == len(long_input.read_bytes()) and after < before, done.explain
    assert (finding.artifact / "input.original").read_bytes() == long_input.read_bytes()
    assert len((finding.artifact / "input").read_bytes()) == after
    assert report["same_signature"], done.explain


def test_no_crash_exits_0_and_leaves_the_committed_seeds_alone(tmp_path):
    seeds = ROOT / "fuzz" / "corpus" / "lifetime_sessions"
    before = {p.name: p.read_bytes() for p in seeds.iterdir()}
    done = faultlab_fuzz("lifetime_sessions", "--variant", "fixed", "--runs", "3000", "--workdir", str(tmp_path),
                         "--artifacts", str(tmp_path / "artifacts"), "--json")
    assert done.returncode == 0, done.explain
    result = json.loads(done.stdout)["targets"][0]
    assert (result["execs"], result["unique_crashes"]) == (3000, []), done.explain
    assert {p.name: p.read_bytes() for p in seeds.iterdir()} == before
    assert list((tmp_path / "lifetime_sessions" / "fixed-coverage-asan" / "corpus").iterdir()), "the work corpus grew"


@pytest.mark.parametrize("args, message", [
    ((), "fuzz needs one of TARGET, --all, --reproduce ARTIFACT or --list"),
    (("no_such_target",), "no fuzz target 'no_such_target'; the targets are: "),
    (("lifetime_sessions", "--time", "0"), "argument --time: 0 must be more than 0 and at most 86400 seconds"),
    (("lifetime_sessions", "--time", "nan"), "argument --time: 'nan' is not a finite number"),
    (("lifetime_sessions", "--all"), "not TARGET and --all"),
    (("lifetime_sessions", "--minimize"), "--minimize works on a stored finding"),
    (("--reproduce", "fuzz"), "is not a fuzz artifact"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    done = faultlab_fuzz(*args)
    assert done.returncode == 2, done.explain
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.explain
    assert done.stderr.startswith("faultlab: ") and message in done.stderr, done.explain


def test_every_failure_mode_has_a_harness_with_seeds():
    targets = discover()
    assert {t.mode for t in targets} >= {"lifetime", "abi-drift", "threading", "swallowed-error", "encoding"}
    for t in targets:
        assert t.name and Path(t.path).parent == ROOT / "fuzz"
        if t.name != "encoding_roundtrip":  # its inputs are Hypothesis's choices, not a format
            assert list((ROOT / "fuzz" / "corpus" / t.name).iterdir()), f"{t.name} has no seed corpus"


def test_the_nightly_job_fuzzes_every_harness():
    workflow = (ROOT / ".github" / "workflows" / "nightly-fuzz.yml").read_text()
    matrix = re.search(r"^\s+target: \[(.*)\]$", workflow, re.MULTILINE)
    assert matrix, "nightly-fuzz.yml has no 'target: [...]' matrix"
    assert sorted(t.strip() for t in matrix.group(1).split(",")) == sorted(t.name for t in discover())


def test_clusterfuzzlite_build_steps_produce_runnable_targets(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, SRC=str(tmp_path), OUT=str(out), FAULTLAB_SRC=str(ROOT), PYTHON=sys.executable,
               CC="clang-16", CFLAGS="-fsanitize=fuzzer-no-link,address")
    built = subprocess.run(["bash", str(ROOT / ".clusterfuzzlite" / "build.sh")], env=env, capture_output=True,
                           text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    names = {t.name for t in discover()}
    assert names <= {p.name for p in out.iterdir() if os.access(p, os.X_OK) and p.is_file()}
    assert (out / "lifetime_sessions_seed_corpus.zip").is_file()
    assert (out / "faultlab-libs" / "variant").read_text().strip() == "fixed"
    # The launcher loads the library build.sh compiled, and the variant it was built as: no FAULTLAB_VARIANT.
    runtime = coverage.runtime("asan").configuration.environment(dict(os.environ))
    # libFuzzer writes what it finds into its first corpus folder: a copy, never the committed seeds.
    seeds = shutil.copytree(ROOT / "fuzz" / "corpus" / "lifetime_sessions", tmp_path / "corpus")
    ran = subprocess.run([str(out / "lifetime_sessions"), "-runs=500", str(seeds)], env=runtime, capture_output=True,
                         text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "Using preloaded libfuzzer" in ran.stderr and "INFO: Loaded 1 modules" in ran.stderr, ran.stderr[-3000:]


def test_merge_is_what_writes_the_committed_seeds(tmp_path):
    # A copy of the project's fuzz/ and native/fuzz/, so the real seeds stay as committed.
    shutil.copytree(ROOT / "fuzz", tmp_path / "fuzz", ignore=shutil.ignore_patterns("artifacts"))
    shutil.copytree(ROOT / "native" / "fuzz", tmp_path / "native" / "fuzz")
    seeds = tmp_path / "fuzz" / "corpus" / "encoding_mutf8"
    before = sorted(p.name for p in seeds.iterdir())
    env = dict(os.environ, FAULTLAB_ROOT=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "faultlab", "fuzz", "encoding_mutf8", "--variant", "fixed",
                           "--runs", "20000", "--merge", "--workdir", str(tmp_path / "work"), "--json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    added = json.loads(done.stdout)["targets"][0]["seeds_added"]
    after = sorted(p.name for p in seeds.iterdir())
    assert added > 0 and len(after) == len(before) + added and set(before) <= set(after), done.stdout


def test_a_deadlock_found_while_fuzzing_is_saved_when_the_watchdog_calls_it(tmp_path):
    """libFuzzer's own per-input timeout is set to ten minutes, so only the watchdog's early call
    (libFuzzer's RSS thread asleep beside the stall, then SIGABRT, on which libFuzzer writes
    the input) can save the deadlocking input within the one-minute run."""
    target = dataclasses.replace(find("threading_reentry"), timeout=600.0)
    build_tag = coverage.runtime(target.sanitizer, native_coverage=True).build_tag
    corpus = tmp_path / "work" / target.name / f"broken-{build_tag}" / "corpus"
    corpus.mkdir(parents=True)
    corpus.joinpath("deadlocks").write_bytes(b"EVQ1D\x02\x00\x02F\x00")  # a deferred event, then a flush
    result = campaign.fuzz(target, seconds=60, work=tmp_path / "work", artifacts=tmp_path / "artifacts")
    [finding] = result.unique()
    assert (finding.verdict.kind, finding.new) == ("deadlock", True), finding
    assert finding.verdict.stalled_at_s is not None, finding  # the replay was called early too
    assert "eq_pending" in finding.verdict.summary, finding
    assert finding.artifact.joinpath("input").read_bytes() == b"EVQ1D\x02\x00\x02F\x00"


NULL_READ_HARNESS = '''"""A harness whose input "NULL" makes C read address 8 (a field of a NULL pointer), with no ASan: libc's memmove."""

import ctypes

import atheris

from faultlab.fuzzing import FuzzTarget, harness

TARGET = FuzzTarget(mode="lifetime", cwe="CWE-476", expect="segv")


def TestOneInput(data: bytes) -> None:
    if data.startswith(b"NULL"):
        ctypes.string_at(8, 1)  # address 8: a field of a NULL struct pointer


def main() -> None:
    atheris.Setup(harness.argv(), TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
'''


def test_a_segfault_without_asan_while_fuzzing_is_saved_by_libfuzzer(tmp_path):
    """With faulthandler in the fuzzing job, the segfault printed a Python traceback and killed
    the job before libFuzzer could write the input: the crash was found and lost."""
    path = tmp_path / "null_read.py"
    path.write_text(NULL_READ_HARNESS)
    target = find(str(path))
    build_tag = coverage.runtime(target.sanitizer, native_coverage=False).build_tag
    corpus = tmp_path / "work" / target.name / f"broken-{build_tag}" / "corpus"
    corpus.mkdir(parents=True)
    corpus.joinpath("null").write_bytes(b"NULL")
    result = campaign.fuzz(target, seconds=30, native_coverage=False, work=tmp_path / "work",
                           artifacts=tmp_path / "artifacts")
    [finding] = result.unique()
    assert finding.verdict.kind == "segv", finding  # faulthandler (on in the replay) saw a SIGSEGV
    assert finding.artifact.joinpath("input").read_bytes() == b"NULL"
