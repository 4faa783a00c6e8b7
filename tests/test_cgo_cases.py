"""The cgo cases: Go programs built offline into the cache, each broken variant diagnosed as declared, each fix ok.

Every case of ``runtime="cgo"`` is a Go program beside its C (in the cgo preamble, or a
library of ``native/``), built by ``faultlab.lab.go`` and run as the case's child. Where
Go is missing the tests skip with the line that says how to get it.
"""

from __future__ import annotations

import pytest

from faultlab.lab import catalog, go, lessons, requirements, toolchain
from faultlab.lab.execute import run_case

requires_go = pytest.mark.skipif(not toolchain.available("go"), reason=toolchain.how_to_get("go"))

# id -> (kind, the verdict's mode, the pinned frame or None): what each broken variant must come out as.
# A plain abort proves no rule, so its verdict keeps the kind's mode, as the CPython binding of the same library does.
DECLARED = {
    "lifetime/cgo-go-pointer-to-go-pointer": ("ffi-rule-violation", "lifetime", "main.gatherChecksum.func1"),
    "lifetime/cgo-c-keeps-go-pointer": ("ffi-rule-violation", "lifetime", "main.attachGoBuffer"),
    "threading/cgo-thread-affine-handle": ("abort", "unknown", "ta_use"),
    "swallowed-error/cgo-dropped-errno": ("swallowed-error", "swallowed-error", None),
}

# id -> (program, a piece of its FLAW line, a piece of its FIX line)
MARKED = {
    "lifetime/cgo-go-pointer-to-go-pointer": ("native/lifetime/cgo/gather_write.go", "C.gather_checksum(&iov[0]",
                                              "C.CBytes(b)"),
    "lifetime/cgo-c-keeps-go-pointer": ("native/lifetime/cgo/retained_sink.go", "unsafe.Pointer(&buf[0])",
                                        "C.malloc(capacity)"),
    "threading/cgo-thread-affine-handle": ("native/threading/cgo/affine_worker.go", "C.ta_use(h)",
                                           "runtime.LockOSThread()"),
    "swallowed-error/cgo-dropped-errno": ("native/swallowed_error/cgo/journal_append.go", "C.journal_append(r)",
                                          "rc, err := C.journal_append(r); rc < 0"),
}


def cgo_cases() -> list[catalog.Case]:
    return [c for c in catalog.discover() if c.runtime == "cgo"]


def test_the_catalog_has_at_least_three_cgo_cases_each_declared_here():
    assert sorted(c.id for c in cgo_cases()) == sorted(DECLARED)
    for case in cgo_cases():
        assert case.requires == ("go",) and case.expect["none"].kind == DECLARED[case.id][0], case


@requires_go
@pytest.mark.parametrize("case_id", sorted(DECLARED))
def test_a_cgo_case_breaks_as_declared_and_its_fix_is_ok(case_id):
    case = catalog.find(case_id)
    kind, mode, frame = DECLARED[case_id]
    broken = run_case(case, "broken", "none")
    assert (broken.verdict.kind, broken.verdict.mode, broken.passed) == (kind, mode, True), broken.verdict
    assert broken.expectation.frame == frame
    assert broken.verdict.exit_code != 0, broken.verdict
    fixed = run_case(case, "fixed", "none")
    assert (fixed.verdict.kind, fixed.passed, fixed.verdict.exit_code) == ("ok", True, 0), fixed.verdict


@pytest.mark.parametrize("case_id", sorted(MARKED))
def test_the_flaw_and_fix_lines_are_found_in_the_go_program(case_id):
    program, flaw, fix = MARKED[case_id]
    record = lessons.record(catalog.find(case_id))
    assert record.runtime == "cgo" and program in record.files
    assert any(m.path == program and flaw in m.code and m.where == "native" for m in record.flaws), record.flaws
    assert any(m.path == program and fix in m.code for m in record.fixes), record.fixes


def test_without_go_a_cgo_case_skips_naming_go_and_how_to_get_it(monkeypatch):
    monkeypatch.setattr(toolchain, "find_go", lambda: None)
    for case in cgo_cases():
        assert requirements.missing(case) == ["go not found; apt-get install golang-go (make setup does)"]


def test_without_go_a_build_is_an_error_for_a_person(monkeypatch):
    monkeypatch.setattr(toolchain, "find_go", lambda: None)
    with pytest.raises(toolchain.BuildError, match=r"^go not found; apt-get install golang-go"):
        go.program("lifetime/cgo/gather_write.go")


@requires_go
def test_the_store_check_is_asked_for_the_way_this_go_takes_it():
    argv = go.command("lifetime/cgo/retained_sink.go", "broken", store_check=True)
    if go.release() < go.CGOCHECK2_AT_BUILD:
        assert argv[:2] == ["/usr/bin/env", "GODEBUG=cgocheck=2"] and argv[-1] == "broken"
    else:  # built in: GODEBUG=cgocheck=2 is refused from Go 1.21 on
        assert argv[-1] == "broken" and not any(a.startswith("GODEBUG") for a in argv)
    assert go.command("lifetime/cgo/retained_sink.go", "broken")[-1] == "broken"


@requires_go
def test_a_build_is_cached_by_content():
    first = go.program("lifetime/cgo/gather_write.go")
    assert go.program("lifetime/cgo/gather_write.go") == first and first.is_file()
    assert go.program("lifetime/cgo/retained_sink.go") != first
