"""Cases whose child is another runtime's program: the command makers, their skips, their lessons and their reports.

A case of runtime ``jni``, ``panama``, ``rust`` (and later ``cgo``, ``node``) has drivers
that make the child's argv in faultlab's process; the runner runs that argv, and the
verdict is classified like any other. The tests of real programs use the catalog's own
cases and skip, with the case's own reason, where a toolchain is missing.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from faultlab.lab import catalog, lessons, requirements
from faultlab.lab.execute import run_case
from faultlab.lab.results import CaseRecord, CaseRun, Results
from faultlab.reports import html
from faultlab.reports.sarif import to_sarif

# A command case that needs no toolchain: its "program" is the shell, its oracle line the marker.
SHELL_CASE_PY = '''
"""An oracle in another runtime's program says what it found."""
from faultlab import Case, Expect

shell = Case(
    id="abi-drift/shell-oracle", mode="abi-drift", cwe="CWE-687", title="the program's own check fails",
    explanation=__doc__, expect={"none": Expect("abi-mismatch")}, runtime="node", requires={requires!r},
)

@shell.broken
def wrong_answer(configuration):
    return ["/bin/sh", "-c", "echo 'faultlab.Detected: abi-mismatch: asked for 4, got 3' >&2; exit 1"]  # FLAW: the wrong answer

@shell.fixed
def right_answer(configuration):
    return ["/bin/sh", "-c", "echo 4"]  # FIX: the right one
'''


@pytest.fixture
def shell_case(tmp_path):
    def make(requires=()):
        path = tmp_path / "cases" / "abi_drift" / f"case_shell_{len(requires)}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SHELL_CASE_PY.replace("{requires!r}", repr(tuple(requires))))
        return path
    return make


def catalog_case(case_id: str) -> catalog.Case:
    case = catalog.find(case_id)
    missing = requirements.missing(case)
    if missing:
        pytest.skip("; ".join(missing))
    return case


def test_a_command_case_runs_its_argv_spawned_and_is_classified(shell_case):
    (case,) = catalog.cases_in(shell_case())
    assert case.runs_a_command and case.argv("fixed", "none") == ["/bin/sh", "-c", "echo 4"]
    broken = run_case(case, "broken", "none")
    assert broken.passed and broken.verdict.kind == "abi-mismatch", broken.verdict
    assert broken.verdict.isolation == "spawn", "the fork server forks Python; another runtime's child is spawned"
    fixed = run_case(case, "fixed", "none", isolation="fork")
    assert fixed.passed and fixed.verdict.kind == "ok" and fixed.verdict.isolation == "spawn", fixed.verdict


def test_a_runtime_outside_the_list_is_a_catalog_error():
    with pytest.raises(catalog.CatalogError, match="runtime 'jython' is not one of cpython, jni, panama"):
        catalog.Case(id="lifetime/x", mode="lifetime", cwe="CWE-416", title="t", explanation="",
                     expect={"none": "double-free"}, runtime="jython")


def test_a_command_maker_must_return_an_argv(shell_case):
    (case,) = catalog.cases_in(shell_case())
    returns_nothing = dataclasses.replace(case, drivers={**case.drivers, "broken": lambda configuration: None})
    with pytest.raises(catalog.CatalogError, match="command maker must return an argv"):
        returns_nothing.argv("broken", "none")


def test_a_missing_toolchain_skips_the_case_saying_what_and_how(shell_case, pytester, monkeypatch):
    path = shell_case(requires=("jdk99", "rustc-that-is-not-there"))
    pytester.makeconftest("")
    result = pytester.runpytest_subprocess(str(path), "-p", "no:cacheprovider", "-rs", timeout=120)
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*abi-drift/shell-oracle: no JDK >= 99 found (java.lang.foreign); install one*"
                                 "or set JAVA_HOME; rustc-that-is-not-there not found; install rustc-that-is-not-there or put it on PATH"])


def test_the_jdk_a_case_asks_for_is_at_least_its_version():
    from faultlab.lab import toolchain

    for minimum in (0, 17, toolchain.PANAMA_MIN_FEATURE):
        home = toolchain.find_jdk(minimum)
        if home is not None:
            assert toolchain.jdk_feature(home) >= minimum
    assert toolchain.find_jdk(999) is None
    assert not toolchain.available("jdk999") and "no JDK >= 999" in toolchain.how_to_get("jdk999")


@pytest.mark.parametrize("case_id, program, flaw", [
    ("lifetime/rust-cstring-temporary", "native/lifetime/rust/greet.rs", "CString::new(name).unwrap().as_ptr()"),
    ("lifetime/jni-local-ref-cached", "native/lifetime/jni/type_registry.c", "string_class = local;"),
    ("swallowed-error/panama-upcall-throws", "native/swallowed_error/panama/RecordSum.java", "Long.parseLong"),
])
def test_the_flaw_lines_of_a_program_case_are_found_in_its_sources(case_id, program, flaw):
    case = catalog.find(case_id)
    record = lessons.record(case)
    assert record.runtime == case.runtime != "cpython"
    assert program in record.files
    assert any(m.path == program and flaw in m.code and m.where == "native" for m in record.flaws), record.flaws
    assert record.fixes, "a FIX: line marks the repair"


def test_each_runtime_with_cases_covers_at_least_three_and_all_five_modes_together():
    cases = catalog.discover()
    by_runtime = {}
    for case in cases:
        by_runtime.setdefault(case.runtime, []).append(case)
    for runtime in ("jni", "panama", "cgo", "rust", "node"):
        assert len(by_runtime.get(runtime, [])) >= 3, f"{runtime}: {[c.id for c in by_runtime.get(runtime, [])]}"
    modes = {c.mode for c in cases if c.runtime != "cpython"}
    assert modes == {"lifetime", "abi-drift", "threading", "swallowed-error", "encoding"}


@pytest.mark.parametrize("case_id, variant, kind", [
    ("lifetime/jni-local-ref-cached", "broken", "ffi-rule-violation"),
    ("lifetime/jni-local-ref-cached", "fixed", "ok"),
    ("abi-drift/rust-struct-without-repr-c", "broken", "abi-mismatch"),
])
def test_a_real_program_case_comes_out_as_declared(case_id, variant, kind):
    case = catalog_case(case_id)
    result = run_case(case, variant, "none")
    assert (result.verdict.kind, result.passed) == (kind, True), result.verdict


def test_results_sarif_and_html_carry_the_runtime(shell_case):
    (case,) = catalog.cases_in(shell_case())
    record = lessons.record(case)
    runs = [CaseRun.from_dict(json.loads(json.dumps(run_case(case, variant, "none").to_dict()))) for variant in ("broken", "fixed")]
    results = Results.from_dict(json.loads(Results.recorded(runs, {case.id: record}, "/project").to_json()))
    assert results.cases[case.id].runtime == "node"
    sarif = to_sarif(results)
    assert {r["properties"]["runtime"] for r in sarif["runs"][0]["results"]} == {"node"}
    page = html.render(results)
    assert 'data-mode="abi-drift" data-runtime="node" data-sanitizer="none"' in page
    assert "abi-drift · node" in page and 'data-runtime="node"' in page
    assert html.matrix_counts(results.results, results.cases) == {("abi-drift", "node", "none"): {"broken": [1, 1], "fixed": [1, 1]}}


def test_a_case_record_without_a_runtime_reads_as_cpython():
    record = CaseRecord(id="lifetime/x", title="t", mode="lifetime", cwe="CWE-416", cwe_name="", rule="", explanation="",
                        expect={"none": "double-free"}, pins={}, fix_in="binding", source="cases/x.py")
    data = record.to_dict()
    del data["runtime"]
    assert CaseRecord.from_dict(data).runtime == "cpython"
    with pytest.raises(Exception, match="runtime: 'jython' is not one of"):
        CaseRecord.from_dict({**data, "runtime": "jython"})
