"""The results file: a real run's file follows the published schema, and it renders on its own.

The model (``faultlab.lab.results``) checks files itself, so ``faultlab report`` needs no
``jsonschema`` at run time; here ``jsonschema`` shows that the model and
``docs/results.schema.json`` accept and refuse the same documents.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from command_line import env_for, fail_message, faultlab, run_pytest
from small_catalog import line_of, write_project

from faultlab.lab.results import MAX_BYTES, CaseRun, Results, ResultsError, load, loads

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "results.schema.json").read_text())
FIXTURES = Path(__file__).with_name("fixtures") / "results"
# Both recorded before results had version 2, on the small catalog of small_catalog.py:
#   pytest cases/ --faultlab-report results.json                (v1-small-catalog.json)
#   faultlab run --json lifetime/retained-buffer > run.json     (v1-run-json.json)
V1_FILE = FIXTURES / "v1-small-catalog.json"
V1_LIST = FIXTURES / "v1-run-json.json"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A real run of the small catalog (one item fails on purpose) with its results file."""
    root = write_project(tmp_path_factory.mktemp("results"))
    proc = run_pytest(root, "--faultlab-report", "results.json")
    assert proc.returncode == 1 and "1 failed, 7 passed" in proc.stdout, fail_message(proc)
    return root, json.loads((root / "results.json").read_text())


def schema_errors(data) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def model_accepts(data) -> bool:
    try:
        Results.from_dict(data)
    except ResultsError:
        return False
    return True


def test_the_published_schema_is_a_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_a_real_results_file_follows_the_published_schema(recorded):
    _, data = recorded
    assert schema_errors(data) == []
    assert data["faultlab_results"] == 2 and data["configurations"] == ["none", "asan"]
    assert sorted(data["cases"]) == ["lifetime/demo-mislabelled", "lifetime/demo-uaf",
                                     "swallowed-error/demo-ignored-status"]


def test_the_model_reads_back_exactly_what_was_written(recorded):
    _, data = recorded
    results = Results.from_dict(data)
    assert json.loads(results.to_json()) == data
    assert all(isinstance(r, CaseRun) for r in results.results) and len(results.results) == 8


def test_each_case_is_recorded_as_its_source_read_when_it_ran(recorded):
    root, data = recorded
    uaf = Results.from_dict(data).cases["lifetime/demo-uaf"]
    assert (uaf.title, uaf.cwe, uaf.cwe_name, uaf.fix_in) == ("reads a freed block", "CWE-416", "Use After Free", "native")
    assert uaf.source == "cases/lifetime/case_demo_uaf.py"
    assert uaf.files == ("cases/lifetime/case_demo_uaf.py", "native/lifetime/uaf.c")
    assert [(m.path, m.line, m.code.strip(), m.note) for m in uaf.flaws] == [
        ("native/lifetime/uaf.c", line_of(root, "native/lifetime/uaf.c", "FLAW:"), "return p[0];", "read after free")]
    assert "+    return v;" in uaf.native_diffs[0][1].splitlines()
    status = Results.from_dict(data).cases["swallowed-error/demo-ignored-status"]
    assert status.expect == {"none": "swallowed-error", "asan": "swallowed-error"}
    assert "+    if LIB.ctypes().parse_port" in status.driver_diff


def kind_of(value) -> str:
    if value is None or isinstance(value, (bool, str, list, dict)):
        return type(value).__name__
    return "int" if isinstance(value, int) else "float"


def small_changes(value, path=()):
    """(path, change) for every document one change away: a field dropped or added, a value of another type."""
    if isinstance(value, dict):
        for key in value:
            yield path, ("drop", key)
        yield path, ("add", "unexpected")
        for key, item in value.items():
            yield from small_changes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            yield from small_changes(item, (*path, index))
    if path:
        # A float replaced by an int would still be a number: the model then finds the copies disagree.
        same = {"float": {"float", "int"}}.get(kind_of(value), {kind_of(value)})
        for other in (None, True, 3, 0.5, "text", [], {}):
            if kind_of(other) not in same:
                yield path, ("set", other)


def changed(data, path, change):
    data = copy.deepcopy(data)
    *parents, last = path if change[0] == "set" else (*path, None)
    target = data
    for key in parents:
        target = target[key]
    action, arg = change
    if action == "drop":
        del target[arg]
    elif action == "add":
        target[arg] = "x"
    else:
        target[last] = arg
    return data


def test_the_model_and_the_schema_refuse_the_same_changes(recorded):
    _, data = recorded
    small = copy.deepcopy(data)
    small["results"] = [r for r in small["results"] if r["sanitizer"] == "asan"][:3]
    for r in small["results"]:
        for stack in ("python_stack", "native_stack"):
            r["verdict"][stack] = r["verdict"][stack][:2]
    assert model_accepts(small) and schema_errors(small) == []
    disagreements, tried = [], 0
    for path, change in small_changes(small):
        candidate = changed(small, path, change)
        tried += 1
        if model_accepts(candidate) != (schema_errors(candidate) == []):
            disagreements.append(f"{'/'.join(map(str, path))} {change}: model {model_accepts(candidate)}")
    assert tried > 300
    assert disagreements == []


def test_version_1_files_still_read_without_case_records():
    old = load(V1_FILE)
    assert len(old.results) == 8 and old.cases == {}
    assert old.configurations == ("none", "asan")
    assert (old.created, old.faultlab_version, old.project_root) == (None, None, None)
    listed = load(V1_LIST)
    assert [(r.case_id, r.variant, r.observed) for r in listed.results] == [
        ("lifetime/retained-buffer", "broken", "heap-use-after-free"), ("lifetime/retained-buffer", "fixed", "ok")]
    assert Results.from_dict(old.to_dict()).results == old.results  # and a read one writes as version 2
    assert schema_errors(old.to_dict()) == []


def test_a_version_1_file_renders_its_verdicts(tmp_path):
    proc = faultlab(tmp_path, "report", str(V1_FILE), "--html", "old.html", "--sarif", "old.sarif")
    assert proc.returncode == 0, fail_message(proc)
    html = (tmp_path / "old.html").read_text()
    assert html.count('<details class="card') == 3 and "READ of size 1" in html
    sarif = json.loads((tmp_path / "old.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 4 and "originalUriBaseIds" not in sarif["runs"][0]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("text, message", [
    ("{", "is not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
          "write one with pytest cases/ --faultlab-report PATH"),
    (nested(100_000), "nests deeper than 64 levels; a results file nests 6"),
    ('{"faultlab_results": 3}', "is not a faultlab results file: faultlab_results is 3; "
                                "this faultlab reads versions 1 and 2"),
    ('{"results": []}', "is not a faultlab results file: neither a results object with 'faultlab_results' "
                        "nor a list of results"),
    ('[{"case": "x"}]', "is not a faultlab results file: [0]: missing variant, sanitizer, expected, observed, "
                        "passed, signature, duration_s, verdict"),
    ('{"faultlab_results": 1, "results": [], "cases": {}}', "is not a faultlab results file: unknown field 'cases'"),
    ('{"a": NaN}', "is not JSON (NaN is not a JSON number); write one with pytest cases/ --faultlab-report PATH"),
    (b"\xff", "is not UTF-8 text (invalid start byte at byte 0); write one with pytest cases/ --faultlab-report PATH"),
], ids=["not-json", "deep", "newer", "no-version", "short-entry", "v1-extra", "nan", "not-utf8"])
def test_a_bad_file_is_one_results_error(text, message):
    with pytest.raises(ResultsError) as caught:
        loads(text, "bad.json")
    assert str(caught.value) == f"bad.json {message}"


def test_a_mismatch_names_where_it_is(recorded):
    _, data = recorded
    data = copy.deepcopy(data)
    data["results"][3]["verdict"]["native_stack"] = [{"function": "f", "module": "m", "line": "12"}]
    with pytest.raises(ResultsError, match=r"^results\.json is not a faultlab results file: results\[3\]\.verdict"
                                           r"\.native_stack\[0\]\.line: expected an integer or null, found a string$"):
        loads(json.dumps(data), "results.json")
    data = copy.deepcopy(recorded[1])
    data["results"][3]["observed"] = "segv"
    with pytest.raises(ResultsError, match=r"results\[3\]\.observed: 'segv' disagrees with its verdict"):
        loads(json.dumps(data), "results.json")


def test_reading_stops_at_the_size_limit():
    # /dev/zero never ends: a reader without a bound would fill memory.
    with pytest.raises(ResultsError, match=r"^/dev/zero is larger than 64 MiB, more than a results file can be$"):
        load("/dev/zero")


def one_byte_too_many(path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: no 64 MiB written


@pytest.mark.parametrize("name, write, message", [
    ("deep.json", lambda p: p.write_text(nested(100_000)), "nests deeper than 64 levels"),
    ("huge.json", one_byte_too_many, "is larger than 64 MiB"),
    ("empty.json", lambda p: p.write_text(""), "is not JSON (Expecting value: line 1 column 1 (char 0))"),
    ("absent.json", lambda p: None, "cannot read absent.json: No such file or directory"),
], ids=["deep", "huge", "empty", "absent"])
def test_faultlab_report_says_what_is_wrong_in_one_line_and_exits_2(tmp_path, name, write, message):
    write(tmp_path / name)
    proc = faultlab(tmp_path, "report", name, "--html", "out.html")
    assert proc.returncode == 2, fail_message(proc)
    assert proc.stderr.startswith("faultlab: ") and proc.stderr.count("\n") == 1, fail_message(proc)
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.html").exists()


def test_a_report_shows_the_case_as_recorded_after_its_source_changed_or_went(tmp_path):
    """Record, then edit one case and delete the other; the report, made elsewhere, shows what was recorded."""
    root = write_project(tmp_path / "project")
    proc = run_pytest(root, "--faultlab-report", "results.json")
    assert proc.returncode == 1, fail_message(proc)
    status_file, uaf_c = "cases/swallowed_error/case_demo_status.py", "native/lifetime/uaf.c"
    status_flaw = line_of(root, status_file, "# FLAW:")
    uaf_flaw = line_of(root, uaf_c, "FLAW:")
    edited = (root / status_file).read_text()
    edited = edited.replace('title="the caller ignores a -1 status"', 'title="a title written after the run"')
    edited = edited.replace("# FLAW: the status is dropped", "# FLAW: a comment written after the run")
    (root / status_file).write_text('"""Moved down."""\n\n\n' + edited)
    shutil.rmtree(root / "cases" / "lifetime")
    (root / uaf_c).unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "faultlab", "report", str(root / "results.json"), "--html", "r.html", "--sarif", "r.sarif"],
        cwd=elsewhere, env=env_for(elsewhere), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, fail_message(proc)

    html = (elsewhere / "r.html").read_text()
    assert "the caller ignores a -1 status" in html and "a title written after the run" not in html
    assert "the status is dropped" in html and "a comment written after the run" not in html
    assert f"{status_file}:{status_flaw}</code>" in html
    assert "reads a freed block" in html and f"{uaf_c}:{uaf_flaw}</code>" in html and "read after free" in html
    assert "+    return v;" in html  # the native diff, from a file that is gone

    sarif = json.loads((elsewhere / "r.sarif").read_text())
    located = {(r["properties"]["case"], r["properties"]["sanitizer"]): r["locations"][0]["physicalLocation"]
               for r in sarif["runs"][0]["results"]}
    status = located[("swallowed-error/demo-ignored-status", "none")]
    assert status["artifactLocation"]["uri"] == status_file and status["region"]["startLine"] == status_flaw
    uaf = located[("lifetime/demo-uaf", "asan")]
    assert (uaf["artifactLocation"]["uri"], uaf["region"]["startLine"]) == (uaf_c, uaf_flaw)
    assert uaf["region"]["snippet"]["text"] == "return p[0];"
    assert sarif["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == root.resolve().as_uri() + "/"


def test_a_case_record_keeps_its_pins_and_says_them_as_the_case_does():
    from faultlab.lab import catalog, lessons
    from faultlab.lab.results import CaseRecord

    case = catalog.find("lifetime/retained-buffer")
    record = lessons.record(case)
    assert record.pins == {"asan": case.expect["asan"].pins()} and record.pins["asan"]["frame"]
    again = CaseRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again == record
    assert again.expectation("asan") == str(case.expect["asan"]) != case.expect["asan"].kind
    assert again.expectation("asan", "fixed") == "ok"
    with pytest.raises(ResultsError, match=r"case\.pins\.asan\.access: 'EXECUTE' is not READ or WRITE"):
        CaseRecord.from_dict({**record.to_dict(), "pins": {"asan": {"access": "EXECUTE"}}})


# -- what a results file can hold: bounded, and far above what a run writes ----------------------

SAMPLE = FIXTURES / "v2-catalog-sample.json"  # eight results of a whole catalog run (see test_report_fuzz.py)


def grown(where, build) -> dict:
    """The sample with ``build()`` put at ``where`` (keys and indices from the top)."""
    data = json.loads(SAMPLE.read_text())
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = build()
    return data


FRAME = {"function": "f", "module": "m.c", "line": 1}


@pytest.mark.parametrize("where, build, message", [
    (("results",), lambda: [json.loads(SAMPLE.read_text())["results"][5]] * 20_001,
     "results: 20,001 entries, more than the 20,000 a results file holds there"),
    (("results", 0, "verdict", "evidence"), lambda: ["e"] * 10_001,
     "results[0].verdict.evidence: 10,001 entries, more than the 10,000 a results file holds there"),
    (("results", 0, "verdict", "native_stack"), lambda: [FRAME] * 50_001,
     "results[0].verdict.native_stack: 50,001 entries, more than the 50,000 a results file holds there"),
    (("results", 0, "verdict", "threads"), lambda: ["t"] * 50_001,
     "results[0].verdict.threads: 50,001 entries, more than the 50,000 a results file holds there"),
    (("results", 0, "verdict", "report_stacks"), lambda: [{"title": "t", "frames": []}] * 1_001,
     "results[0].verdict.report_stacks: 1,001 entries, more than the 1,000 a results file holds there"),
    (("results", 0, "verdict", "lock_waits"),
     lambda: [{"thread": "T", "lock": "", "owner": "", "native": [], "python": []}] * 1_001,
     "results[0].verdict.lock_waits: 1,001 entries, more than the 1,000 a results file holds there"),
    (("results", 0, "verdict", "summary"), lambda: "\u202e" * ((1 << 20) + 1),
     "results[0].verdict.summary: a string of 1,048,577 characters, longer than the 1,048,576 a results file holds"),
    (("results", 0, "verdict", "evidence"), lambda: ["x" * ((1 << 20) + 1)],
     "results[0].verdict.evidence[0]: a string of 1,048,577 characters, longer than the 1,048,576"),
    (("cases", "threading/gil-lock-order-deadlock", "marks"), lambda: [
        {"tag": "FIX", "path": "p", "line": 1, "code": "", "note": "", "where": "native"}] * 1_001,
     "cases['threading/gil-lock-order-deadlock'].marks: 1,001 entries, more than the 1,000"),
    (("cases", "threading/gil-lock-order-deadlock", "expect"), lambda: {f"s{i}": "segv" for i in range(101)},
     "cases['threading/gil-lock-order-deadlock'].expect: 101 entries, more than the 100"),
    (("results", 0, "verdict", "duration_s"), lambda: 10 ** 400,
     "results[0].verdict.duration_s: expected a finite number, found a number"),
], ids=["results", "evidence", "frames", "threads", "report-stacks", "lock-waits", "string", "evidence-line", "marks",
        "expect", "huge-integer"])
def test_a_file_past_a_limit_is_refused_in_one_line_naming_the_field(where, build, message):
    with pytest.raises(ResultsError) as caught:
        loads(json.dumps(grown(where, build)), "r.json")
    assert str(caught.value).startswith(f"r.json is not a faultlab results file: {message}")
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 500


def test_a_file_of_more_entries_than_a_full_one_holds_is_refused_before_it_is_parsed():
    text = json.dumps(grown(("results", 0, "verdict", "evidence"), lambda: [""] * 4_000_001))
    assert len(text) < MAX_BYTES
    with pytest.raises(ResultsError, match=r"^r\.json holds more than 4,000,000 list entries and object fields; "
                                           r"a results file of 64 MiB holds about 1,800,000$"):
        loads(text, "r.json")


def test_a_file_at_every_limit_is_read_whole():
    data = grown(("results", 0, "verdict", "native_stack"), lambda: [FRAME] * 50_000)
    data["results"][0]["verdict"]["evidence"] = ["e"] * 10_000
    data["results"][0]["verdict"]["summary"] = "s" * (1 << 20)
    verdict = loads(json.dumps(data)).results[0].verdict
    assert (len(verdict.native_stack), len(verdict.evidence), len(verdict.summary)) == (50_000, 10_000, 1 << 20)


def test_an_error_that_quotes_a_huge_field_stays_one_short_line():
    data = grown(("results", 0, "verdict", "kind"), lambda: 1)
    data["results"][0]["verdict"].update({f"unknown-{i}": 0 for i in range(10_000)})
    with pytest.raises(ResultsError) as caught:
        loads(json.dumps(data), "r.json")
    assert "unknown field 'unknown-0'" in str(caught.value) and "characters]…" in str(caught.value)
    assert len(str(caught.value)) < 500


def test_the_limits_stand_far_above_a_real_run(recorded):
    """Each limit at least 50 times what the small catalog's real run holds, and the whole catalog's sample."""
    from faultlab.lab.results import LIMITS, MAX_STRING

    for data in (recorded[1], json.loads(SAMPLE.read_text())):
        verdicts = [r["verdict"] for r in data["results"]]
        held = {"results": len(data["results"]), "cases": len(data["cases"]),
                "evidence": max(len(v["evidence"]) for v in verdicts),
                "threads": max(len(v["threads"]) for v in verdicts),
                "native_stack": max(len(v["native_stack"]) for v in verdicts),
                "python_stack": max(len(v["python_stack"]) for v in verdicts),
                "report_stacks": max(len(v.get("report_stacks", ())) for v in verdicts),
                "lock_waits": max(len(v.get("lock_waits", ())) for v in verdicts),
                "marks": max(len(c["marks"]) for c in data["cases"].values())}
        assert {name: count for name, count in held.items() if count * 50 > LIMITS[name]} == {}
        longest = max(len(s) for s in json.dumps(data).split('"'))
        assert longest * 50 < MAX_STRING
