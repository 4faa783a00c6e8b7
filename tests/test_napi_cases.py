"""The Node-API cases: real addons built with gcc into the cache, run by a real node, classified as declared.

Each broken variant must come out as its case declares under every configuration it names
(kind, the mode the verdict gives, and the pinned frame), each fixed variant ``ok``; the
FLAW and FIX lines are found in the C and JS sources. Without node or its headers every
case skips, saying which is missing and how to get it.
"""

from __future__ import annotations

import pytest

from faultlab.diagnosis import configurations
from faultlab.lab import catalog, lessons, node, requirements, toolchain
from faultlab.lab.build import BuildError
from faultlab.lab.execute import run_case

NAPI_CASES = {
    "threading/napi-js-from-own-thread": ("native/threading/napi/progress.c", "napi_open_handle_scope(scan->env"),
    "swallowed-error/napi-status-ignored": ("native/swallowed_error/napi/limiter.c", "napi_get_value_int32(env, value, &limit)"),
    "lifetime/napi-external-buffer-finalizer": ("native/lifetime/napi/camera.c", "free(frame);"),
    "encoding/napi-utf8-sized-in-utf16-units": ("native/encoding/napi/labels.c", "napi_get_value_string_utf16"),
    "abi-drift/napi-buffer-layout-drift": ("native/abi_drift/napi/average.js", "new Float32Array"),
}


def napi_case(case_id: str) -> catalog.Case:
    """The catalog's case, or a skip naming what this machine lacks (node, node_api.h) and how to get it."""
    case = catalog.find(case_id)
    missing = requirements.missing(case)
    if missing:
        pytest.skip("; ".join(missing))
    return case


def declared_runs():
    for case in catalog.discover():
        if case.id in NAPI_CASES:
            for configuration in case.expect:
                yield pytest.param(case.id, configuration, id=f"{case.id}-{configuration}")


def test_the_node_api_cases_cover_every_mode():
    cases = [c for c in catalog.discover() if c.runtime == "node"]
    assert {c.id for c in cases} == set(NAPI_CASES)
    assert {c.mode for c in cases} == {"lifetime", "abi-drift", "threading", "swallowed-error", "encoding"}
    assert all(set(c.requires) == {"node", "node-headers"} for c in cases)


@pytest.mark.parametrize("case_id, configuration", list(declared_runs()))
def test_a_broken_napi_case_comes_out_as_declared_with_its_mode(case_id, configuration):
    case = napi_case(case_id)
    result = run_case(case, "broken", configuration)
    assert result.passed, (case.expect[configuration], result.verdict)
    assert result.verdict.kind == case.expect[configuration].kind, result.verdict
    assert result.verdict.mode == case.mode, result.verdict


@pytest.mark.parametrize("case_id", sorted(NAPI_CASES))
def test_a_fixed_napi_case_is_ok(case_id):
    result = run_case(napi_case(case_id), "fixed", "none")
    assert (result.verdict.kind, result.verdict.exit_code) == ("ok", 0), result.verdict


@pytest.mark.parametrize("case_id", sorted(NAPI_CASES))
def test_the_flaw_line_of_a_napi_case_is_found_in_its_c_or_js(case_id):
    path, code = NAPI_CASES[case_id]
    record = lessons.record(catalog.find(case_id))
    assert record.runtime == "node"
    assert any(m.path == path and code in m.code for m in record.flaws), record.flaws
    assert record.fixes, "a FIX: line marks the repair"


def test_an_addon_is_built_once_per_configuration_and_variant():
    napi_case("lifetime/napi-external-buffer-finalizer")
    none = configurations.get("none")
    broken = node.addon("lifetime/napi/camera.c", none, "broken")
    assert broken.name == "camera.node" and broken == node.addon("lifetime/napi/camera.c", none, "broken")
    assert node.addon("lifetime/napi/camera.c", none, "fixed") != broken
    assert node.addon("lifetime/napi/camera.c", configurations.get("asan"), "broken") != broken


def test_without_node_a_napi_case_skips_naming_node_and_how_to_get_it(monkeypatch):
    monkeypatch.setattr(toolchain, "find_node", lambda: None)
    case = catalog.find("threading/napi-js-from-own-thread")
    assert requirements.missing(case)[0].startswith("node not found; apt-get install nodejs")
    with pytest.raises(BuildError, match="^node not found; apt-get install nodejs"):
        case.argv("broken", "none")


def test_without_node_api_h_a_napi_case_skips_saying_how_to_get_the_headers(monkeypatch):
    monkeypatch.setattr(toolchain, "node_headers", lambda node=None: None)
    case = catalog.find("encoding/napi-utf8-sized-in-utf16-units")
    assert "node_api.h not found; apt-get install libnode-dev, or a Node whose prefix has include/node" in requirements.missing(case)
