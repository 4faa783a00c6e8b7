"""The pytest plugin, run as a user runs it: pytest in a subprocess on a small case folder."""

import json
import os
import subprocess
import sys

import pytest
from small_catalog import UAF_C

from faultlab import Expect
from faultlab.lab import catalog


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
def project(tmp_path):
    def make(expect="heap-use-after-free"):
        (tmp_path / "native" / "lifetime").mkdir(parents=True, exist_ok=True)
        (tmp_path / "native" / "lifetime" / "uaf.c").write_text(UAF_C)
        (tmp_path / "cases" / "lifetime").mkdir(parents=True, exist_ok=True)
        (tmp_path / "cases" / "lifetime" / "case_demo.py").write_text(CASE_PY.format(expect=expect))
        return tmp_path
    return make


def run_pytest(root, *args):
    env = dict(os.environ, FAULTLAB_ROOT=str(root), FAULTLAB_CACHE=str(root / "cache"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "cases/", "-p", "no:cacheprovider", *args],
                          cwd=root, env=env, capture_output=True, text=True, errors="backslashreplace", timeout=300)
    return proc


def test_items_pass_when_observed_kind_matches_and_report_is_written(project):
    root = project()
    proc = run_pytest(root, "-v", "--faultlab-report", "results.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "lifetime/demo-uaf[broken-asan] PASSED" in proc.stdout
    assert "lifetime/demo-uaf[fixed-asan] PASSED" in proc.stdout
    data = json.loads((root / "results.json").read_text())
    observed = {(r["variant"], r["sanitizer"]): r["observed"] for r in data["results"]}
    assert observed == {("broken", "asan"): "heap-use-after-free", ("fixed", "asan"): "ok"}
    broken = next(r for r in data["results"] if r["variant"] == "broken")
    assert broken["verdict"]["native_stack"][0]["function"] == "touch_freed"
    assert len(broken["signature"]) == 16


def test_mismatch_fails_and_shows_the_whole_verdict(project):
    root = project("double-free")
    proc = run_pytest(root)
    assert proc.returncode == 1
    out = proc.stdout
    assert "lifetime/demo-uaf: expected double-free, observed heap-use-after-free" in out
    assert "AddressSanitizer: heap-use-after-free" in out
    assert "touch_freed (uaf.c:" in out
    assert "1 failed, 1 passed" in out


def test_a_crash_in_another_function_fails_the_catalog_pin_it_imitates(project):
    """retained-buffer pins its use-after-free to rb_checksum; the same kind and access in touch_freed fails it."""
    pinned = catalog.find("lifetime/retained-buffer").expect["asan"]
    assert pinned == Expect("heap-use-after-free", frame="rb_checksum", access="READ")
    proc = run_pytest(project(pinned))
    assert proc.returncode == 1
    assert ("lifetime/demo-uaf: expected heap-use-after-free in rb_checksum (READ), "
            "observed heap-use-after-free in touch_freed (READ): the frame differs") in proc.stdout
    assert "1 failed, 1 passed" in proc.stdout


def test_repeat_runs_each_item_and_xdist_collects_every_result(project):
    root = project(Expect("heap-use-after-free", frame="touch_freed", access="READ"))  # the pin holds every run
    proc = run_pytest(root, "-n", "2", "--faultlab-repeat", "3", "--faultlab-report", "results.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((root / "results.json").read_text())
    assert sorted(r["variant"] for r in data["results"]) == ["broken", "fixed"]
    # The case's record travels from the worker that ran its items, once.
    assert data["faultlab_results"] == 2 and list(data["cases"]) == ["lifetime/demo-uaf"]
    assert data["cases"]["lifetime/demo-uaf"]["title"] == "reads a freed block"


def test_a_bad_declaration_is_a_collection_error(project):
    root = project("not-a-kind")
    proc = run_pytest(root)
    assert proc.returncode != 0
    assert "expected kind 'not-a-kind' is not a fault kind" in proc.stdout


def test_junit_carries_kind_signature_and_sanitizer(project):
    root = project()
    proc = run_pytest(root, "--junitxml", "junit.xml")
    assert proc.returncode == 0, proc.stdout
    xml = (root / "junit.xml").read_text()
    assert '<property name="faultlab.kind" value="heap-use-after-free"' in xml
    assert '<property name="faultlab.sanitizer" value="asan"' in xml
    assert 'name="faultlab.signature"' in xml
