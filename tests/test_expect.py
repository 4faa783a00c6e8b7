"""A case's pins (kind, frame, access) matched against verdicts of real crashes.

The matching is read on outputs recorded from real runs (tests/fixtures/outputs/, each
file's first line is the command that produced it). The catalog's own pins are then shown
to bite: the same kind from another function, or with the other access, fails them; the
same through pytest is in tests/test_plugin.py.
"""

import pytest

from faultlab import Case, Expect, classify
from faultlab.diagnosis.outcome import Outcome
from faultlab.lab import catalog
from faultlab.lab.catalog import CatalogError
from faultlab.lab.expect import decisive_frame, observed_access


def recorded_verdict(recorded_output, name: str, sanitizer: str = "none"):
    _, text = recorded_output(name)
    return classify(Outcome(argv=("recorded",), exit_code=None, signal=6, timed_out=False, duration_s=0.0,
                            stdout="", stderr=text, sanitizer=sanitizer))


@pytest.fixture
def asan_uaf(recorded_output):
    """ASan: heap-use-after-free, READ of size 4, #0 read_freed (memory_bugs.c:5), then libffi and libpython."""
    return recorded_verdict(recorded_output, "asan-heap-use-after-free.txt", "asan")


@pytest.fixture
def tsan_race(recorded_output):
    """TSan: data race, "Read of size 8 ... by thread T1" then "Previous write of size 8", in bump_together."""
    return recorded_verdict(recorded_output, "tsan-data-race.txt", "tsan")


def test_a_pin_on_the_frame_and_the_access_under_the_bad_line_holds(asan_uaf):
    expect = Expect("heap-use-after-free", frame="read_freed", access="READ", module="memory_bugs.c")
    assert expect.mismatches(asan_uaf) == []
    assert expect.mismatch(asan_uaf) == ""


def test_the_native_frame_wins_over_the_python_one(asan_uaf):
    # The Python stack says "<module> (<string>:1)"; the library's own frame is the one a pin names.
    assert [f.function for f in asan_uaf.python_stack] == ["<module>"]
    assert decisive_frame(asan_uaf).function == "read_freed"
    assert Expect("heap-use-after-free", frame="<module>").mismatches(asan_uaf) == ["frame"]


def test_a_python_frame_speaks_when_no_native_frame_does(recorded_output):
    verdict = recorded_verdict(recorded_output, "threading-gil-violation.txt")
    assert verdict.native_stack == ()
    assert decisive_frame(verdict).function == "report_through_a_native_thread"
    assert Expect(verdict.kind, frame="report_through_a_native_thread").mismatches(verdict) == []
    assert Expect(verdict.kind, frame="upcall_without_the_gil").mismatches(verdict) == ["frame"]


def test_a_wrong_frame_is_named_with_what_was_observed(asan_uaf):
    expect = Expect("heap-use-after-free", frame="rb_checksum", access="READ")
    assert expect.mismatch(asan_uaf) == ("expected heap-use-after-free in rb_checksum (READ), "
                                         "observed heap-use-after-free in read_freed (READ): the frame differs")


def test_a_wrong_access_and_module_are_both_named(asan_uaf):
    expect = Expect("heap-use-after-free", frame="read_freed", access="WRITE", module="other.c")
    assert expect.mismatches(asan_uaf) == ["module", "access"]
    assert expect.mismatch(asan_uaf) == (
        "expected heap-use-after-free in read_freed (other.c, WRITE), observed heap-use-after-free in "
        "read_freed (memory_bugs.c, READ): the module and the access differ")


def test_a_wrong_kind_reads_as_before_when_nothing_is_pinned(asan_uaf):
    assert Expect("double-free").mismatch(asan_uaf) == "expected double-free, observed heap-use-after-free"


def test_tsan_access_is_the_racing_access_not_the_previous_one(tsan_race):
    assert observed_access(tsan_race) == "READ"
    assert Expect("data-race", frame="bump_together", access="READ").mismatches(tsan_race) == []
    assert Expect("data-race", access="WRITE").mismatches(tsan_race) == ["access"]


def test_a_verdict_without_a_frame_or_an_access_fails_those_pins(recorded_output):
    verdict = recorded_verdict(recorded_output, "glibc-tcache-double-free.txt")  # "<module> (<string>:1)" only
    assert observed_access(verdict) is None
    expect = Expect("heap-use-after-free", frame="free_twice", access="READ")
    assert expect.mismatch(verdict) == ("expected heap-use-after-free in free_twice (READ), "
                                        "observed double-free in <module> (no access): the frame and the access differ")


def test_a_bare_kind_means_expect_of_that_kind():
    case = Case(id="lifetime/x", mode="lifetime", cwe="CWE-416", title="t", explanation="e",
                expect={"asan": "heap-use-after-free", "none": Expect("double-free", frame="f")})
    assert case.expect == {"asan": Expect("heap-use-after-free"), "none": Expect("double-free", frame="f")}
    assert str(case.expect["asan"]) == "heap-use-after-free"
    assert str(Expect("heap-use-after-free", frame="rb_checksum", access="READ")) == "heap-use-after-free in rb_checksum (READ)"
    assert Expect("data-race", frame="ug_add").pins() == {"frame": "ug_add"}


@pytest.mark.parametrize("expect, message", [
    (Expect("heap-use-after-free", access="read"), r"access 'read' must be READ or WRITE"),
    (Expect("double-free", access="WRITE"), r"access cannot be pinned for double-free: its reports do not name one"),
    (Expect("use-after-free"), r"expected kind 'use-after-free' is not a fault kind"),
    (Expect("heap-use-after-free", module="rb.c"), r"module pins the frame's file; name the frame too"),
])
def test_declaration_errors_name_the_wrong_pin(expect, message):
    with pytest.raises(CatalogError, match=r"^case lifetime/x: " + message):
        Case(id="lifetime/x", mode="lifetime", cwe="CWE-416", title="t", explanation="e", expect={"asan": expect})


# --- the catalog's pins bite: the same kind from another place fails them --------------------------

OVERFLOWS_C = r"""
#include <stdlib.h>
/* Two 8-byte accesses just past a 16-byte heap block, as a v1-sized struct sensor_reading is. */
long fill_calibration(void) {
    long *block = malloc(16);
    block[2] = 1; /* WRITE past the end, outside the sensor library */
    return (long)block;
}
long sensor_read(void) {
    long *block = malloc(16);
    return block[2]; /* READ past the end, in a function of the pinned name */
}
"""


@pytest.fixture(scope="module")
def overflows(compile_c):
    return compile_c(OVERFLOWS_C, "overflows", sanitizer="asan")


def overflow_in(overflows, diagnose_code, function):
    d = diagnose_code(f"import ctypes\nctypes.CDLL({str(overflows)!r}).{function}()\n", sanitizer="asan")
    assert d.verdict.kind == "heap-buffer-overflow", d
    return d.verdict


def test_struct_field_inserted_fails_an_overflow_written_elsewhere(overflows, diagnose_code):
    pinned = catalog.find("abi-drift/struct-field-inserted").expect["asan"]
    verdict = overflow_in(overflows, diagnose_code, "fill_calibration")
    assert pinned.mismatch(verdict) == ("expected heap-buffer-overflow in sensor_read (WRITE), "
                                        "observed heap-buffer-overflow in fill_calibration (WRITE): the frame differs")


def test_struct_field_inserted_fails_a_read_past_the_end_in_sensor_read(overflows, diagnose_code):
    pinned = catalog.find("abi-drift/struct-field-inserted").expect["asan"]
    verdict = overflow_in(overflows, diagnose_code, "sensor_read")
    assert pinned.mismatch(verdict) == ("expected heap-buffer-overflow in sensor_read (WRITE), "
                                        "observed heap-buffer-overflow in sensor_read (READ): the access differs")


def test_unguarded_global_fails_a_race_in_another_function(tsan_race):
    pinned = catalog.find("threading/unguarded-global").expect["tsan"]
    assert pinned.mismatch(tsan_race) == ("expected data-race in ug_add (READ), "
                                          "observed data-race in bump_together (READ): the frame differs")
