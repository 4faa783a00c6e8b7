"""JUnit XML (pytest's own ``--junitxml``) carries each verdict as test-case properties for CI dashboards."""

import json
import xml.etree.ElementTree as ET

import pytest
from small_catalog import write_project

PROPERTIES = ("kind", "expected", "signature", "sanitizer", "variant", "mode", "cwe")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_every_testcase_carries_its_verdict_as_properties(pytester, monkeypatch, workers):
    root = write_project(pytester.path)
    monkeypatch.setenv("FAULTLAB_ROOT", str(root))
    monkeypatch.setenv("FAULTLAB_CACHE", str(root / "cache"))
    result = pytester.runpytest_subprocess("cases/", "-p", "no:cacheprovider", *workers, "--junitxml", "junit.xml",
                                           "--faultlab-report", "results.json", timeout=300)
    result.assert_outcomes(passed=7, failed=1)  # the mislabelled case fails on purpose
    results = {f"{r['case']}[{r['variant']}-{r['sanitizer']}]": r
               for r in json.loads((root / "results.json").read_text())["results"]}
    testcases = ET.parse(root / "junit.xml").getroot().findall(".//testcase")
    assert sorted(tc.get("name") for tc in testcases) == sorted(results)
    for testcase in testcases:
        result = results[testcase.get("name")]
        props = {p.get("name"): p.get("value") for p in testcase.findall("./properties/property")}
        expected = {"kind": result["observed"], "expected": result["expected"], "signature": result["signature"],
                    "sanitizer": result["sanitizer"], "variant": result["variant"],
                    "mode": result["case"].split("/")[0], "cwe": {"lifetime/demo-uaf": "CWE-416",
                    "lifetime/demo-mislabelled": "CWE-415"}.get(result["case"], "CWE-252")}
        assert {name: props.get(f"faultlab.{name}") for name in PROPERTIES} == expected, testcase.get("name")
        assert len(props["faultlab.signature"]) == 16
        failed = testcase.find("failure") is not None
        assert failed == (not result["passed"]), testcase.get("name")
    mislabelled = next(tc for tc in testcases if tc.get("name") == "lifetime/demo-mislabelled[broken-asan]")
    assert "expected double-free, observed heap-use-after-free" in mislabelled.find("failure").get("message", "") + (
        mislabelled.find("failure").text or "")
