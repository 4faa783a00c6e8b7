"""SARIF 2.1.0 from a real run, validated against the official OASIS schema.

Set ``FAULTLAB_REPORT_RESULTS=results.json`` to validate the SARIF of your own run as well
(e.g. a full ``pytest cases/ --faultlab-report results.json``).
"""

import copy
import json
import os
from pathlib import Path

import jsonschema
import pytest
from command_line import fail_message, faultlab, run_pytest
from small_catalog import line_of, write_project

from faultlab.lab.results import load

# The official schema sits in shared/ beside the project, here and in CI; FAULTLAB_SARIF_SCHEMA
# names it for a clone elsewhere.
SCHEMA = Path(os.environ.get("FAULTLAB_SARIF_SCHEMA")
              or Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """pytest on the small catalog with --faultlab-report and --faultlab-sarif; one item fails on purpose."""
    root = write_project(tmp_path_factory.mktemp("sarif"))
    proc = run_pytest(root, "--faultlab-report", "results.json", "--faultlab-sarif", "out.sarif")
    assert proc.returncode == 1 and "1 failed, 7 passed" in proc.stdout, fail_message(proc)
    return root, load(root / "results.json").results, json.loads((root / "out.sarif").read_text())


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA.is_file():
        missing = f"the official SARIF schema is not at {SCHEMA} (shared/schemas beside the project, or FAULTLAB_SARIF_SCHEMA)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI always has shared/: there a missing schema is an error, never a skip
        pytest.skip(missing)
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def by_case(sarif):
    return {(r["properties"]["case"], r["properties"]["sanitizer"]): r for r in sarif["runs"][0]["results"]}


def test_the_plugin_output_validates_against_the_official_schema(run, validator):
    _, _, sarif = run
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(sarif)]
    assert errors == []
    assert sarif["version"] == "2.1.0"


def test_the_validator_would_catch_a_broken_log(run, validator):
    _, _, sarif = run
    broken = copy.deepcopy(sarif)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert len(list(validator.iter_errors(broken))) == 2


def test_one_result_per_broken_variant_verdict_and_none_for_a_clean_fix(run):
    _, results, sarif = run
    broken = {(r.case_id, r.sanitizer) for r in results if r.variant == "broken"}
    assert set(by_case(sarif)) == broken
    assert len(sarif["runs"][0]["results"]) == len(broken) == 4
    assert all(r["properties"]["variant"] == "broken" for r in sarif["runs"][0]["results"])


def test_one_rule_per_kind_with_its_cwe_and_severity(run):
    _, _, sarif = run
    driver = sarif["runs"][0]["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert sorted(rules) == ["heap-use-after-free", "swallowed-error"]
    uaf = rules["heap-use-after-free"]
    assert "external/cwe/cwe-416" in uaf["properties"]["tags"] and "security" in uaf["properties"]["tags"]
    assert float(uaf["properties"]["security-severity"]) >= 7.0
    assert uaf["relationships"] == [{"target": {"id": "416", "toolComponent": {"name": "CWE"}}, "kinds": ["superset"]}]
    assert "security-severity" not in rules["swallowed-error"]["properties"]
    taxa = {t["id"]: t["name"] for t in sarif["runs"][0]["taxonomies"][0]["taxa"]}
    assert taxa["416"] == "Use After Free" and taxa["252"] == "Unchecked Return Value"
    for result in sarif["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_each_result_points_at_the_decisive_flaw_line(run):
    root, _, sarif = run
    results = by_case(sarif)
    native = results[("lifetime/demo-uaf", "asan")]["locations"][0]["physicalLocation"]
    assert native["artifactLocation"] == {"uri": "native/lifetime/uaf.c", "uriBaseId": "SRCROOT"}
    assert native["region"]["startLine"] == line_of(root, "native/lifetime/uaf.c", "FLAW:")
    assert native["region"]["snippet"]["text"] == "return p[0];"
    binding = results[("swallowed-error/demo-ignored-status", "none")]["locations"][0]["physicalLocation"]
    assert binding["artifactLocation"]["uri"] == "cases/swallowed_error/case_demo_status.py"
    assert binding["region"]["startLine"] == line_of(root, "cases/swallowed_error/case_demo_status.py", "# FLAW:")
    base = sarif["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base == root.resolve().as_uri() + "/"


def test_signature_stacks_and_code_flow_travel_with_each_result(run):
    root, results, sarif = run
    signatures = {(r.case_id, r.sanitizer): r.signature for r in results if r.variant == "broken"}
    for key, result in by_case(sarif).items():
        assert result["partialFingerprints"] == {"faultlabSignature/v1": signatures[key]}
    uaf = by_case(sarif)[("lifetime/demo-uaf", "asan")]
    stacks = {s["message"]["text"]: s["frames"] for s in uaf["stacks"]}
    native = stacks["native stack, innermost first"]
    assert native[0]["location"]["logicalLocations"] == [{"name": "touch_freed", "kind": "function"}]
    assert native[0]["location"]["physicalLocation"]["artifactLocation"]["uri"] == "native/lifetime/uaf.c"
    steps = uaf["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["message"]["text"].split(" (")[0] for s in steps] == ["Python: broken", "native: touch_freed"]
    assert steps[-1]["location"]["physicalLocation"]["region"]["startLine"] == line_of(root, "native/lifetime/uaf.c", "FLAW:")


def test_an_unexpected_verdict_is_an_error_that_says_what_was_declared(run):
    _, _, sarif = run
    result = by_case(sarif)[("lifetime/demo-mislabelled", "asan")]
    assert result["level"] == "error" and result["properties"]["passed"] is False
    assert result["message"]["text"].endswith("(the catalog declares double-free)")
    assert result["taxa"] == [{"id": "415", "toolComponent": {"name": "CWE"}}]  # the case's CWE, not the kind's


def test_faultlab_report_writes_the_same_sarif_from_the_results_file(run, validator):
    root, _, sarif = run
    proc = faultlab(root, "report", "results.json", "--sarif", "again.sarif")
    assert proc.returncode == 0, fail_message(proc)
    again = json.loads((root / "again.sarif").read_text())
    assert list(validator.iter_errors(again)) == []
    assert again["runs"][0]["results"] == sarif["runs"][0]["results"]


@pytest.mark.skipif(not os.environ.get("FAULTLAB_REPORT_RESULTS"), reason="FAULTLAB_REPORT_RESULTS names no results file")
def test_the_sarif_of_your_own_run_validates(validator, tmp_path):
    results = Path(os.environ["FAULTLAB_REPORT_RESULTS"]).resolve()
    proc = faultlab(None, "report", str(results), "--sarif", str(tmp_path / "own.sarif"))
    assert proc.returncode == 0, fail_message(proc)
    sarif = json.loads((tmp_path / "own.sarif").read_text())
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(sarif)] == []
    wanted = [r for r in load(results).results if r.observed != "ok" or not r.passed]
    assert len(sarif["runs"][0]["results"]) == len(wanted)


def test_a_result_level_and_security_severity_follow_the_verdict_s_severity(run):
    _, results, sarif = run
    verdicts = {(r.case_id, r.sanitizer): r.verdict for r in results if r.variant == "broken"}
    for key, result in by_case(sarif).items():
        verdict = verdicts[key]
        assert result["properties"]["severity"] == verdict.severity
        if result["properties"]["passed"]:
            assert result["level"] == ("error" if verdict.severity in ("high", "medium") else "warning")
        if verdict.severity == "high":
            assert result["properties"]["security-severity"] == "8.1"
            assert result["properties"]["access"].startswith(verdict.access)
    assert {v.severity for v in verdicts.values()} >= {"high", "none"}


def test_a_deep_stack_is_cut_to_its_innermost_frames_and_says_so(tmp_path):
    """30,000 frames (a recursion, or a tampered results file) are 100 in SARIF: a dashboard takes 1,000 locations
    per result at most, and every frame would be one, twice (the stack and the code flow)."""
    from faultlab.reports.sarif import MAX_FRAMES

    data = json.loads((Path(__file__).with_name("fixtures") / "results" / "v1-small-catalog.json").read_text())
    verdict = data["results"][0]["verdict"]
    verdict["native_stack"] = [{"function": f"f{i}", "module": "m.c", "line": i + 1} for i in range(30_000)]
    (tmp_path / "r.json").write_text(json.dumps(data))
    proc = faultlab(tmp_path, "report", "r.json", "--sarif", "r.sarif")
    assert proc.returncode == 0, fail_message(proc)
    result = next(r for r in json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"]
                  if any(s["message"]["text"].startswith("native stack") for s in r.get("stacks", ())))
    native = next(s for s in result["stacks"] if s["message"]["text"].startswith("native stack"))
    assert native["message"]["text"] == f"native stack, innermost first (the innermost {MAX_FRAMES} of its 30,000 frames)"
    assert [f["location"]["logicalLocations"][0]["name"] for f in native["frames"]] == [f"f{i}" for i in range(MAX_FRAMES)]
    assert len(result["codeFlows"][0]["threadFlows"][0]["locations"]) <= 2 * MAX_FRAMES


def test_a_case_of_many_marked_lines_relates_a_bounded_number_of_them(tmp_path):
    from faultlab.reports.sarif import MAX_RELATED

    data = json.loads((Path(__file__).with_name("fixtures") / "results" / "v2-catalog-sample.json").read_text())
    case = data["cases"][data["results"][0]["case"]]
    case["marks"] = [{"tag": "FIX", "path": "native/x.c", "line": i + 1, "code": "c", "note": "n", "where": "native"}
                     for i in range(1_000)]
    (tmp_path / "r.json").write_text(json.dumps(data))
    proc = faultlab(tmp_path, "report", "r.json", "--sarif", "r.sarif")
    assert proc.returncode == 0, fail_message(proc)
    result = json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"][0]
    assert result["properties"]["case"] == data["results"][0]["case"]
    assert len(result["relatedLocations"]) == MAX_RELATED == 100


def test_a_forged_line_below_one_gives_no_region_and_the_log_stays_valid(tmp_path, validator):
    data = json.loads((Path(__file__).with_name("fixtures") / "results" / "v2-catalog-sample.json").read_text())
    result = next(r for r in data["results"] if r["variant"] == "broken" and r["verdict"]["kind"] != "ok")
    owned = Path(data["cases"][result["case"]]["files"][0]).name  # a frame in a file the case owns gets a place
    result["verdict"]["native_stack"] = [{"function": "f", "module": owned, "line": line} for line in (0, -3, 7)]
    (tmp_path / "r.json").write_text(json.dumps(data))
    proc = faultlab(tmp_path, "report", "r.json", "--sarif", "r.sarif")
    assert proc.returncode == 0, fail_message(proc)
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    placed = [frame["location"].get("physicalLocation", {}).get("region", {}).get("startLine")
              for run in sarif["runs"] for r in run["results"] for stack in r.get("stacks", ())
              if stack["message"]["text"].startswith("native stack") for frame in stack["frames"]]
    assert placed[:3] == [None, None, 7]
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(sarif)] == []
