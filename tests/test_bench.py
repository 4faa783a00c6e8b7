"""``faultlab bench``: every bench runs end to end on a tiny size and reports well-formed figures.

Never a timing: a benchmark informs, it does not pass or fail. These tests only check that
the command runs as a user runs it and that each figure has its samples, median, spread and
ratio against a baseline of the same run.
"""

import importlib.util
import json
import math
import os
import sys
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from command_line import fail_message, faultlab

from faultlab.cli.bench import bench_module
from faultlab.lab import toolchain

BENCHES = ("isolation", "suite", "fuzz", "boundary", "deadlock", "hostile", "crash", "symbolize")




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


RUNTIMES = ("c", "ctypes", "cffi-abi", "cffi-api", "c-api", "jni", "jni-panama-jdk", "panama", "cgo", "napi", "rust")
# The toolchain each foreign runtime's child needs: present, the runtime must be measured, not skipped.
NEEDS = {"jni": toolchain.find_jdk, "jni-panama-jdk": toolchain.find_panama_jdk, "panama": toolchain.find_panama_jdk,
         "cgo": toolchain.find_go, "napi": toolchain.find_node, "rust": toolchain.find_rustc}


def boundary_of(report) -> dict:
    return next(b for b in report["benches"] if b["bench"] == "boundary")


def test_the_boundary_bench_reports_every_runtime_measured_or_skipped_with_a_reason(report):
    bench = boundary_of(report)
    assert [r["runtime"] for r in bench["runtimes"]] == list(RUNTIMES)
    figures = {f["name"]: f for f in bench["figures"]}
    for record in bench["runtimes"]:
        if record["status"] == "measured":
            assert record["per_call"] == figures[record["name"]] and record["version"], record["name"]
            assert record["per_call"]["baseline"] == "C, direct call through a pointer"
            assert [b["size"] for b in record["batch"]] == bench["batch_sizes"]
            assert all(b["min"] <= b["median"] <= b["max"] for b in record["batch"])
            assert record["crossover"] is None or record["crossover"] in bench["batch_sizes"]
        else:
            assert record["status"] in ("skipped", "failed") and record["reason"], record
            assert f"{record['name']}: {record['status']}: {record['reason']}" in bench["notes"]
    assert bench["runtimes"][0]["status"] == "measured", "the C baseline is always measured"


@pytest.mark.parametrize("runtime", NEEDS)
def test_a_runtime_whose_toolchain_is_here_is_measured(report, runtime):
    record = next(r for r in boundary_of(report)["runtimes"] if r["runtime"] == runtime)
    if NEEDS[runtime]() is None:
        assert record["status"] == "skipped" and "install" in record["reason"], record
        pytest.skip(f"{runtime}: {record['reason']}")
    assert record["status"] == "measured", record["reason"]


@pytest.mark.parametrize(("per_item", "crossover"), [
    ({1: 100.0, 2: 50.0, 4: 25.0, 8: 12.5, 16: 6.25, 32: 3.1, 64: 1.9}, 64),  # 2 x 1.0 is met at 64 first
    ({1: 2.0, 2: 1.5, 4: 1.2}, 1),  # already within 2x in one call
    ({1: 100.0, 2: 50.0, 4: 25.0}, None),  # never within the sizes measured
    ({1: 300.0, 2: 1.9, 4: 2.5, 8: 1.5, 16: 1.2}, 8),  # a noisy size above the line: from 8 on, not from 2
    ({1: 2.0, 2: 2.0}, 1),  # exactly 2x counts ("at most")
])
def test_the_crossover_is_the_smallest_batch_from_which_on_a_call_costs_at_most_twice_the_c_loop(per_item, crossover):
    assert bench_module("boundary").crossover(per_item, native_per_item=1.0) == crossover


def test_a_child_that_skips_work_is_caught_by_its_checksum():
    """The protocol's checksum: a child that prints figures without making every call is a failure, not a figure."""
    runtimes = bench_module("boundary").runtimes
    plan = runtimes.Plan(calls=10, rounds=1, warmup=1, max_batch=4, items=8)
    lying = 'print(\'{"per_call": [1.0], "per_item": {"1": [1.0], "2": [1.0], "4": [1.0]}, "check": 7}\')'
    with pytest.raises(runtimes.Failed, match=r"skipped work: checksum 7, expected \d+"):
        runtimes.measure(runtimes.Child((sys.executable, "-c", lying), version="a liar"), plan)


def test_a_missing_runtime_is_a_skip_that_says_how_to_get_it(tmp_path, monkeypatch):
    runtimes = bench_module("boundary").runtimes
    monkeypatch.setenv("PATH", str(tmp_path))
    toolchain.find_node.cache_clear()
    try:
        with pytest.raises(runtimes.Skipped, match="^node not found: apt-get install nodejs"):
            runtimes.napi(tmp_path / "libboundary.so")
    finally:
        toolchain.find_node.cache_clear()


@pytest.mark.skipif(toolchain.find_node() is None, reason=f"node not found: {toolchain.NODE_HINT}")
def test_the_bench_reports_a_runtime_it_cannot_find_as_skipped_and_measures_the_rest(tmp_path):
    """PATH as the user's, less node: the N-API row is a skip with its reason, the run still exits 0."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for program in Path(folder).glob("*") if Path(folder).is_dir() else ():
            if program.name not in ("node", "nodejs") and not (bin_dir / program.name).exists():
                (bin_dir / program.name).symlink_to(program)
    proc = faultlab(None, "bench", "boundary", "--quick", "--json", PATH=str(bin_dir))
    assert proc.returncode == 0, fail_message(proc)
    records = {r["runtime"]: r for r in json.loads(proc.stdout)["benches"][0]["runtimes"]}
    assert (records["napi"]["status"], records["napi"]["reason"]) == ("skipped", f"node not found: {toolchain.NODE_HINT}")
    assert records["ctypes"]["status"] == records["c"]["status"] == "measured"


@pytest.mark.parametrize(("chart", "message"), [
    ("chart.txt", "faultlab: argument --chart: {path}: a chart is written as .svg or .png; name the file so\n"),
    ("a-directory.svg", "faultlab: argument --chart: {path} is a directory, not a file\n"),
])
def test_a_bad_chart_path_is_a_one_line_error_before_any_work(tmp_path, chart, message):
    (tmp_path / "a-directory.svg").mkdir()
    path = tmp_path / chart
    proc = faultlab(None, "bench", "boundary", "--chart", str(path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", message.format(path=path)), fail_message(proc)


def test_the_chart_is_only_drawn_by_the_boundary_bench(tmp_path):
    proc = faultlab(None, "bench", "fuzz", "--chart", str(tmp_path / "chart.svg"))
    assert (proc.returncode, proc.stdout) == (2, ""), fail_message(proc)
    assert proc.stderr == f"faultlab: --chart draws the boundary bench; add it: faultlab bench boundary --chart {tmp_path / 'chart.svg'}\n"
    assert not (tmp_path / "chart.svg").exists()


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib not installed: pip install -e '.[bench]'")
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_the_chart_has_a_line_per_measured_runtime(tmp_path, suffix):
    chart = tmp_path / "figures" / f"boundary{suffix}"
    proc = faultlab(None, "bench", "boundary", "--quick", "--json", "--chart", str(chart))
    assert proc.returncode == 0, fail_message(proc)
    measured = [r for r in json.loads(proc.stdout)["benches"][0]["runtimes"] if r["status"] == "measured"]
    data = chart.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        return
    svg = data.decode()
    assert svg.lstrip().startswith("<?xml") and svg.rstrip().endswith("</svg>")
    assert "ns per item (median)" in svg and "batch size (items passed in one call)" in svg
    for record in measured:  # the legend names each line, as text (svg.fonttype none)
        assert f"{xml_escape(record['name'])} (crossover" in svg, record["name"]
    assert not [p.name for p in chart.parent.iterdir() if p != chart], "a temporary file was left beside the chart"


def test_text_output_is_a_table_per_bench():
    proc = faultlab(None, "bench", "boundary", "--quick")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("== boundary (faultlab bench boundary --quick)\nfigure")
    assert "ns/call" in proc.stdout and "x C, direct call through a pointer" in proc.stdout
    assert "note: batch crossover (one batched call costs at most 2x the C loop's" in proc.stdout


def test_an_unknown_bench_is_a_one_line_usage_error():
    proc = faultlab(None, "bench", "warp-speed")
    assert proc.returncode == 2
    assert proc.stderr == "faultlab: no bench 'warp-speed'; choose from isolation, suite, fuzz, boundary, deadlock, hostile, crash, symbolize\n"
