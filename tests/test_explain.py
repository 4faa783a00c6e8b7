"""``faultlab explain``: the rule, the decisive lines and the fix, read from a case's own source."""

import json
import re

import pytest
from command_line import fail_message, faultlab
from small_catalog import line_of, write_project

from faultlab.lab import catalog
from faultlab.lab.lessons import explain, variant_view
from faultlab.reports.terminal import fit, format_explanation


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("explain"))


def test_a_fix_in_c_shows_the_flaw_the_fix_and_the_native_diff(project):
    proc = faultlab(project, "explain", "lifetime/demo-uaf")
    assert proc.returncode == 0, fail_message(proc)
    out = proc.stdout
    flaw = line_of(project, "native/lifetime/uaf.c", "FLAW: read after free")
    fix = line_of(project, "native/lifetime/uaf.c", "FIX: read before free")
    assert out.startswith("lifetime/demo-uaf  [lifetime, CWE-416: Use After Free]\nreads a freed block\n")
    assert re.search(r"^  asan\s+-> heap-use-after-free$", out, re.M)
    assert f"  native/lifetime/uaf.c:{flaw} (native)\n      return p[0];\n      FLAW: read after free\n" in out
    assert f"  native/lifetime/uaf.c:{fix} (native)\n      int v = p[0];\n      FIX: read before free\n" in out
    native = out.split("Broken -> fixed native code (native/lifetime/uaf.c):\n", 1)[1]
    assert "  --- native/lifetime/uaf.c (broken build)\n  +++ native/lifetime/uaf.c (built with -DFAULTLAB_FIXED)\n" in native
    assert "  +    int v = p[0]; /* FIX: read before free */\n       free(p);\n" in native
    assert "  -    return p[0]; /* FLAW: read after free */\n  +    return v;\n" in native
    assert "#ifdef" not in native and "#else" not in native


def test_a_fix_in_the_binding_is_a_driver_diff_that_fits_80_columns(project):
    proc = faultlab(project, "explain", "swallowed-error/demo-ignored-status")
    assert proc.returncode == 0, fail_message(proc)
    out = proc.stdout
    assert max(len(line) for line in out.splitlines()) <= 80, out
    flaw = line_of(project, "cases/swallowed_error/case_demo_status.py", "# FLAW:")
    assert f"  cases/swallowed_error/case_demo_status.py:{flaw} (broken driver)\n" in out
    assert "The rule broken (swallowed-error):\n  Every error must reach someone" in out
    # The 105-column FIX line is folded the way a person would write it: comment above the code.
    assert ("  +    # FIX: a failed parse takes the default\n"
            '  +    if LIB.ctypes().parse_port(b"80a", ctypes.byref(port)) != 0:\n') in out
    assert "  -    # FLAW: the status is dropped\n" in out
    assert "asan            -> swallowed-error" in out and "none            -> swallowed-error" in out


def test_json_is_for_tools(project):
    proc = faultlab(project, "explain", "--json", "lifetime/demo-uaf")
    assert proc.returncode == 0, fail_message(proc)
    data = json.loads(proc.stdout)
    assert data["id"] == "lifetime/demo-uaf" and data["cwe"] == "CWE-416" and data["fix_in"] == "native"
    assert data["expect"] == {"asan": "heap-use-after-free"}
    assert data["pins"] == {}
    assert [(m["path"], m["line"], m["where"]) for m in data["flaws"]] == [
        ("native/lifetime/uaf.c", line_of(project, "native/lifetime/uaf.c", "FLAW:"), "native")]
    assert data["native_diffs"][0]["path"] == "native/lifetime/uaf.c"
    assert "+    return v;" in data["native_diffs"][0]["diff"].splitlines()
    # Unfolded: the JSON keeps each source line whole.
    assert data["source"] == "cases/lifetime/case_demo_uaf.py"


def test_a_pinned_case_shows_its_frame_and_access_where_it_shows_the_kind():
    explanation = explain(catalog.find("lifetime/retained-buffer"))
    assert "Caught by:\n  asan            -> heap-use-after-free in rb_checksum (READ)\n" in format_explanation(explanation)
    data = explanation.to_dict()
    assert (data["expect"], data["pins"]) == ({"asan": "heap-use-after-free"},
                                              {"asan": {"frame": "rb_checksum", "access": "READ"}})


def test_an_unknown_case_is_one_line_and_exit_2(project):
    proc = faultlab(project, "explain", "lifetime/no-such-case")
    assert proc.returncode == 2
    assert proc.stderr == "faultlab: no case 'lifetime/no-such-case'; 'faultlab list' shows the catalog\n"
    assert proc.stdout == ""


def test_every_case_of_the_catalog_marks_its_flaw_and_explains_in_80_columns():
    cases = catalog.discover()
    assert cases, "the catalog is empty"
    for case in cases:
        explanation = explain(case)
        assert explanation.flaws, f"{case.id}: no FLAW: comment in its drivers or native sources"
        text = format_explanation(explanation)
        too_wide = [line for line in text.splitlines() if len(line) > 80]
        assert not too_wide, f"{case.id}: lines wider than 80 columns: {too_wide}"


def test_variant_view_resolves_only_faultlab_fixed():
    source = """\
#if defined(__linux__)
int linux_only;
#endif
#ifndef FAULTLAB_FIXED
  #ifdef DEBUG
  int debug_in_broken;
  #endif
int broken_only; /* FLAW: */
#else
int fixed_only; /* FIX: */
#endif
#if defined(FAULTLAB_FIXED)
int fixed_again;
#endif
""".splitlines()
    assert variant_view(source, fixed=False) == [
        "#if defined(__linux__)", "int linux_only;", "#endif",
        "  #ifdef DEBUG", "  int debug_in_broken;", "  #endif", "int broken_only; /* FLAW: */"]
    assert variant_view(source, fixed=True) == [
        "#if defined(__linux__)", "int linux_only;", "#endif", "int fixed_only; /* FIX: */", "int fixed_again;"]


def test_fit_moves_a_trailing_comment_above_and_never_splits_inside_quotes():
    line = '    lib.call(ffi.new("char[]", b"a # not a comment"), n)  # FLAW: the cdata dies with this line'
    assert fit(line, 80, "-") == ["-    # FLAW: the cdata dies with this line",
                                  '-    lib.call(ffi.new("char[]", b"a # not a comment"), n)']
    wrapped = fit("    x = " + " + ".join(["value"] * 30), 60, "  ")
    assert all(len(piece) <= 60 for piece in wrapped) and len(wrapped) > 1
