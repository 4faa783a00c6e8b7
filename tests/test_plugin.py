"""The pytest plugin, run as a user runs it: pytest in a subprocess (pytester) on a small case folder."""

import json
from pathlib import Path

import pytest
from command_line import PROJECT, run_pytest
from small_catalog import UAF_C

from faultlab import Expect
from faultlab.lab import catalog


CATALOG = Path(__file__).parents[1] / "cases"

CASE_PY = '''
"""A use-after-free inside C, fixed in C."""
from faultlab import Expect
from faultlab.lab.catalog import Case
from faultlab.lab.native import Library

LIB = Library("lifetime/uaf")

uaf = Case(
    id="lifetime/demo-uaf", mode="lifetime", cwe="CWE-416", title="reads a freed block",
    explanation=__doc__, expect={{"asan": {expect!r}}}, fix_in="native", libraries=(LIB,),
)

@uaf.broken
def broken():
    LIB.ctypes().touch_freed()

@uaf.fixed
def fixed():
    LIB.ctypes().touch_freed()
'''


@pytest.fixture
def project(pytester, monkeypatch):
    """``project(expect)``: a one-case catalog in pytester's directory, built into its own cache."""
    monkeypatch.setenv("FAULTLAB_ROOT", str(pytester.path))
    monkeypatch.setenv("FAULTLAB_CACHE", str(pytester.path / "cache"))

    def make(expect="heap-use-after-free"):
        (pytester.path / "native" / "lifetime").mkdir(parents=True, exist_ok=True)
        (pytester.path / "native" / "lifetime" / "uaf.c").write_text(UAF_C)
        (pytester.path / "cases" / "lifetime").mkdir(parents=True, exist_ok=True)
        (pytester.path / "cases" / "lifetime" / "case_demo.py").write_text(CASE_PY.format(expect=expect))
        return pytester
    return make


def run_cases(pytester, *args):
    return pytester.runpytest_subprocess("cases/", "-p", "no:cacheprovider", *args, timeout=300)


def test_items_pass_when_observed_kind_matches_and_report_is_written(project):
    pytester = project()
    result = run_cases(pytester, "-v", "--faultlab-report", "results.json")
    result.stdout.fnmatch_lines(["*lifetime/demo-uaf?broken-asan? PASSED*", "*lifetime/demo-uaf?fixed-asan? PASSED*"])
    assert result.ret == 0
    data = json.loads((pytester.path / "results.json").read_text())
    observed = {(r["variant"], r["sanitizer"]): r["observed"] for r in data["results"]}
    assert observed == {("broken", "asan"): "heap-use-after-free", ("fixed", "asan"): "ok"}
    broken = next(r for r in data["results"] if r["variant"] == "broken")
    assert broken["verdict"]["native_stack"][0]["function"] == "touch_freed"
    assert len(broken["signature"]) == 16


def test_mismatch_fails_and_shows_the_whole_verdict(project):
    result = run_cases(project("double-free"))
    result.stdout.fnmatch_lines([
        "lifetime/demo-uaf: expected double-free, observed heap-use-after-free*",
        "*AddressSanitizer: heap-use-after-free*",
        "*touch_freed (uaf.c:*",
        "*1 failed, 1 passed*",
    ])
    assert result.ret == 1


def test_a_crash_in_another_function_fails_the_catalog_pin_it_imitates(project):
    """retained-buffer pins its use-after-free to rb_checksum; the same kind and access in touch_freed fails it."""
    with pytest.MonkeyPatch.context() as real:  # the real catalog, whatever the project fixture says
        real.setenv("FAULTLAB_ROOT", str(CATALOG.parent))
        pinned = catalog.find("lifetime/retained-buffer").expect["asan"]
    assert pinned == Expect("heap-use-after-free", frame="rb_checksum", access="READ")
    result = run_cases(project(pinned))
    result.stdout.fnmatch_lines([
        "lifetime/demo-uaf: expected heap-use-after-free in rb_checksum (READ), "
        "observed heap-use-after-free in touch_freed (READ): the frame differs",
        "*1 failed, 1 passed*",
    ])
    assert result.ret == 1


def test_repeat_runs_each_item_and_xdist_collects_every_result(project):
    pytester = project(Expect("heap-use-after-free", frame="touch_freed", access="READ"))  # the pin holds every run
    result = run_cases(pytester, "-n", "2", "--faultlab-repeat", "3", "--faultlab-report", "results.json")
    result.assert_outcomes(passed=2)
    data = json.loads((pytester.path / "results.json").read_text())
    assert sorted(r["variant"] for r in data["results"]) == ["broken", "fixed"]
    # The case's record travels from the worker that ran its items, once.
    assert data["faultlab_results"] == 2 and list(data["cases"]) == ["lifetime/demo-uaf"]
    assert data["cases"]["lifetime/demo-uaf"]["title"] == "reads a freed block"


def test_a_bad_declaration_is_a_collection_error(project):
    result = run_cases(project("not-a-kind"))
    result.stdout.fnmatch_lines(["*expected kind 'not-a-kind' is not a fault kind*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the session


def test_junit_carries_kind_signature_and_sanitizer(project):
    pytester = project()
    result = run_cases(pytester, "--junitxml", "junit.xml")
    assert result.ret == 0, result.stdout.str()
    xml = (pytester.path / "junit.xml").read_text()
    assert '<property name="faultlab.kind" value="heap-use-after-free"' in xml
    assert '<property name="faultlab.sanitizer" value="asan"' in xml
    assert 'name="faultlab.signature"' in xml


@pytest.mark.parametrize("expression, selects", [
    ("node", lambda case: case.runtime == "node"),
    ("cpython", lambda case: case.runtime == "cpython"),
    ("abi_drift and not cpython", lambda case: case.mode == "abi-drift" and case.runtime != "cpython"),
    ("threading and (jni or cgo)", lambda case: case.mode == "threading" and case.runtime in ("jni", "cgo")),
])
def test_markers_select_the_catalog_by_runtime_and_failure_mode(expression, selects):
    done = run_pytest(PROJECT, "-m", expression, "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    collected = {line.split("::", 1)[1].split("[")[0] for line in done.stdout.splitlines() if "::" in line}
    assert collected == {case.id for case in catalog.discover() if selects(case)}
