"""``faultlab bench``: every bench runs end to end on a tiny size and reports well-formed figures.

Never a timing: a benchmark informs, it does not pass or fail. These tests only check that
the command runs as a user runs it and that each figure has its samples, median, spread and
ratio against a baseline of the same run.
"""

import json
import math

import pytest
from command_line import faultlab

BENCHES = ("isolation", "suite", "fuzz", "boundary", "deadlock", "hostile", "crash")




@pytest.fixture(scope="module")
def report():
    proc = faultlab(None, "bench", "--json", "--quick", timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_report_names_its_machine_and_every_bench(report):
    assert report["faultlab_bench"] == 1
    assert report["machine"]["cpus"] >= 1
    assert [b["bench"] for b in report["benches"]] == list(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_each_figure_has_samples_median_spread_and_a_ratio_to_a_baseline_of_the_same_run(report, name):
    bench = next(b for b in report["benches"] if b["bench"] == name)
    assert bench["quick"] is True and bench["command"] == f"faultlab bench {name} --quick"
    if not bench["figures"]:  # only the fuzz bench may lack a piece (clang-16's libFuzzer, atheris)
        assert name == "fuzz" and bench["notes"][0].startswith("not measured: "), bench["notes"]
        pytest.skip(bench["notes"][0])
    names = {f["name"] for f in bench["figures"]}
    for figure in bench["figures"]:
        samples = figure["samples"]
        assert samples and all(isinstance(s, float) and math.isfinite(s) and s >= 0 for s in samples)
        assert figure["min"] <= figure["median"] <= figure["max"]
        assert figure["spread"] >= 0
        if figure["ratio"] is not None:
            assert figure["baseline"] in names
    baselines = {f["baseline"] for f in bench["figures"] if f["ratio"] is not None}
    assert baselines, "no figure is compared with a baseline"
    for figure in bench["figures"]:
        if figure["name"] in baselines:
            assert figure["baseline"] == figure["name"] and figure["ratio"] == 1.0


@pytest.mark.parametrize("name", BENCHES)
def test_each_target_says_what_was_measured_and_whether_it_was_met(report, name):
    bench = next(b for b in report["benches"] if b["bench"] == name)
    for target in bench["targets"]:
        assert target["op"] in ("<=", "<", ">=")
        assert target["met"] in (True, False, None)
        assert (target["met"] is None) == (target["measured"] is None)


def test_isolation_says_pytest_forked_was_not_measured_when_absent(report):
    bench = next(b for b in report["benches"] if b["bench"] == "isolation")
    names = {f["name"] for f in bench["figures"]}
    assert "faultlab fork server, quick exit" in names
    measured = "pytest-forked, added per test" in names
    assert measured or any("pytest-forked is not installed" in note for note in bench["notes"])


def test_the_boundary_bench_compares_every_binding_and_the_batched_call(report):
    bench = next(b for b in report["benches"] if b["bench"] == "boundary")
    names = " | ".join(f["name"] for f in bench["figures"])
    for binding in ("ctypes", "cffi ABI", "cffi API", "C-API extension", "batched, ctypes", "batched, cffi API"):
        assert binding in names


def test_text_output_is_a_table_per_bench():
    proc = faultlab(None, "bench", "boundary", "--quick")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("== boundary (faultlab bench boundary --quick)\nfigure")
    assert "ns/call" in proc.stdout and "x C-API extension (METH_O)" in proc.stdout


def test_an_unknown_bench_is_a_one_line_usage_error():
    proc = faultlab(None, "bench", "warp-speed")
    assert proc.returncode == 2
    assert proc.stderr == "faultlab: no bench 'warp-speed'; choose from isolation, suite, fuzz, boundary, deadlock, hostile, crash\n"
