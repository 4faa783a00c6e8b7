"""The report sources: one module per program that writes reports, found without a list, in a fixed order.

The first match wins, so the order is data (each marker's precedence) and the tests say
what it must keep: a program's own report before the generic words printed after it.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import faultlab
from faultlab.diagnosis import sources
from faultlab.diagnosis.sources._frames import module_name
from faultlab.diagnosis.classify import classify
from faultlab.diagnosis.outcome import Outcome

# What the order must say, whichever sources there are: a program's own report beats the
# generic words of whoever printed after it, and a specific rule beats its checker's catch-all.
BEFORE = [
    ("faultlab", "faultlab.Detected: swallowed-error: 3 bytes lost", "asan",
     "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x7f bp 0x7f sp 0x7f"),
    ("sanitizer", "==1==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x7f bp 0x7f sp 0x7f T0)",
     "faulthandler", "Fatal Python error: Segmentation fault"),
    ("tsan", "WARNING: ThreadSanitizer: data race (pid=3)", "faulthandler", "Fatal Python error: Aborted"),
    ("glibc", "free(): double free detected in tcache 2", "faulthandler", "Fatal Python error: Aborted"),
    ("rust", "panic in a function that cannot unwind", "faulthandler", "Fatal Python error: Aborted"),
    ("xcheck-jni", "FATAL ERROR in native method: Using JNIEnv in non-Java thread", "xcheck-jni",
     "FATAL ERROR in native method: anything else"),
    ("cpython", "Fatal Python error: PyThreadState_Get: the function must be called with the GIL held", "cpython",
     "Fatal Python error: anything else"),
]


def first_marker(source: str, line: str):
    return next(m for m in sources.MARKERS if m.source == source and m.regex and m.regex.search(line))


@pytest.mark.parametrize("earlier_source, earlier, later_source, later", BEFORE)
def test_a_specific_report_comes_before_the_generic_one(earlier_source, earlier, later_source, later):
    assert first_marker(earlier_source, earlier).precedence < first_marker(later_source, later).precedence


def test_the_exit_status_decides_last():
    decided_by_text = [m.precedence for m in sources.MARKERS if m.pattern]
    assert all(m.precedence > max(decided_by_text) for m in sources.MARKERS if not m.pattern)


def declared(module) -> tuple:
    return getattr(module, "MARKERS", ())


def test_precedence_is_a_total_order():
    markers = [m.precedence for m in sources.MARKERS]
    paths = [r.precedence for r in sources.RUNTIME_PATHS]
    assert len(set(markers)) == len(markers), "two markers share a precedence: their order would be import order"
    assert len(set(paths)) == len(paths), "two runtime paths share a precedence"


def test_the_order_is_data_not_the_order_modules_are_found_in():
    assert sources.marker_table(tuple(reversed(sources.SOURCES))) == sources.MARKERS
    assert sources.runtime_paths(tuple(reversed(sources.SOURCES))) == sources.RUNTIME_PATHS


@pytest.mark.parametrize("module", sources.SOURCES, ids=lambda m: m.__name__.rpartition(".")[2])
def test_each_source_declares_markers_with_examples_or_runtime_frames(module):
    assert module.__doc__, f"{module.__name__} needs a docstring: which program writes these reports"
    assert declared(module) or getattr(module, "RUNTIME_MODULES", ()) or getattr(module, "RUNTIME_PATHS", ())
    for marker in declared(module):
        assert marker.example.strip()
        if marker.pattern:
            assert marker.regex.search(marker.example), f"{marker.example!r} does not match {marker.pattern!r}"
        else:
            assert marker.condition, "a marker without a pattern needs its condition"


def test_every_marker_is_declared_by_exactly_one_source():
    everywhere = [m for module in sources.SOURCES for m in declared(module)]
    assert len(everywhere) == len(sources.MARKERS) == len(set(everywhere))


NEW_SOURCE = '''
    """rustc: a panic, between the JVM's report and faulthandler's."""
    from faultlab.diagnosis.sources._schema import Marker

    MARKERS = (
        Marker("abort", "rust", r"thread '.*' panicked at .*", "thread 'main' panicked at src/lib.rs:3:5:", precedence=455),
    )
    RUNTIME_MODULES = (r"libstd-[0-9a-f]+\\.so",)
    RUNTIME_FUNCTIONS = (r"rust_panic",)
'''


def test_a_module_dropped_into_the_package_is_a_source(tmp_path, monkeypatch):
    (tmp_path / "rustc_panic_for_test.py").write_text(textwrap.dedent(NEW_SOURCE))
    monkeypatch.setattr(sources, "__path__", [*sources.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, f"{sources.__name__}.rustc_panic_for_test", raising=False)
    try:
        found = sources.source_modules()
        assert f"{sources.__name__}.rustc_panic_for_test" in [m.__name__ for m in found]
        table = [(m.source, m.kind) for m in sources.marker_table(found)]
        assert table.index(("rust", "abort")) == table.index(("jvm", "segv")) + 1
        assert sources.runtime_modules(found).match("libstd-8f3a.so")
        assert sources.runtime_functions(found).match("rust_panic")
        assert not sources.runtime_modules(sources.SOURCES).match("libstd-8f3a.so")
    finally:
        sys.modules.pop(f"{sources.__name__}.rustc_panic_for_test", None)


# faulthandler's report of a case that crashed in its own code, two frames deep, under
# faultlab's plumbing: a third meaningful frame, if there were one, would enter the signature.
FATAL = """\
Fatal Python error: Segmentation fault

Current thread 0x00007f3a2c1b8e51 (most recent call first):
  File "/src/cases/crash/case_null_read.py", line 12 in read_through_null
  File "/src/cases/crash/case_null_read.py", line 20 in main
  File "{plumbing}", line 30 in {function}
  File "<frozen runpy>", line 88 in _run_code
"""
PACKAGE = Path(faultlab.__file__).parent
UNDER_TEST = ("mutf8.py", "strategies.py", "probe.py")  # faultlab's files whose frames are meaningful


def crash_under(plumbing: str, function: str = "serve") -> Outcome:
    return Outcome(argv=("recorded",), exit_code=None, signal=11, timed_out=False, duration_s=0.0,
                   stdout="", stderr=FATAL.format(plumbing=plumbing, function=function))


@pytest.mark.parametrize("plumbing", [
    "/work/main/faultlab/drive.py",                          # the flat layout of tests/fixtures/outputs
    "/work/main/faultlab/lab/forkserver.py",
    "/srv/checkout/faultlab/lab/isolation/server.py",        # the same code, split and renamed
    str(PACKAGE / "lab" / "isolation" / "client.py"),        # the installed package, wherever it is
    str(PACKAGE / "diagnosis" / "_inject" / "sitecustomize.py"),
])
def test_faultlab_frames_are_known_by_where_they_lie_not_by_their_name(plumbing):
    verdict = classify(crash_under(plumbing))
    reference = classify(crash_under("/work/main/faultlab/lab/forkserver.py", "main"))
    assert verdict.signature == reference.signature
    assert verdict.summary == reference.summary
    assert verdict.python_stack[2].module.startswith("faultlab/")


def test_a_frame_outside_faultlab_with_a_faultlab_name_is_meaningful():
    plumbing = classify(crash_under("/work/main/faultlab/lab/forkserver.py"))
    assert classify(crash_under("/src/cases/crash/forkserver.py")).signature != plumbing.signature


@pytest.mark.parametrize("library", ["mutf8.py", "strategies.py"])
def test_the_modules_cases_call_as_a_library_keep_their_frames(library):
    flat = classify(crash_under(f"/work/main/faultlab/{library}", "encode"))
    layered = classify(crash_under(str(PACKAGE / "lab" / library), "encode"))
    assert flat.python_stack[2].module == layered.python_stack[2].module == library
    assert flat.signature == layered.signature != classify(crash_under("/work/main/faultlab/drive.py")).signature


def test_the_fuzz_harness_faultlab_ships_keeps_its_frames():
    probe = classify(crash_under(str(PACKAGE / "fuzzing" / "probe.py"), "TestOneInput"))
    assert probe.python_stack[2].module == "probe.py"
    assert probe.signature != classify(crash_under("/work/main/faultlab/drive.py")).signature


def test_the_runtime_filter_names_no_file_of_faultlab():
    for path in PACKAGE.rglob("*.py"):
        assert not sources.RUNTIME_MODULES.match(path.name), f"the runtime filter names faultlab's {path.name}"
        assert module_name(str(path)).startswith("faultlab/") or path.name in UNDER_TEST, path


@pytest.mark.parametrize("plumbing", [
    "/work/main/.venv/lib/python3.11/site-packages/cffi/api.py",              # ffi.string between a case and C
    "/root/.pyenv/versions/3.11.7/lib/python3.11/concurrent/futures/thread.py",  # a pool worker between a task and C
])
def test_binding_and_thread_pool_plumbing_is_runtime(plumbing):
    verdict = classify(crash_under(plumbing))
    assert verdict.python_stack[2].module.split("/")[0] in ("cffi", "python-stdlib")
    assert verdict.signature == classify(crash_under("/work/main/faultlab/lab/forkserver.py", "main")).signature
    assert classify(crash_under("/src/app/api.py")).signature != verdict.signature


# The FFM API's verdict on an exception that escaped an upcall, as Temurin 25 prints it
# (java --enable-native-access=ALL-UNNAMED RecordSum librecord_walk.so broken; exit status 1).
ESCAPED_UPCALL = (
    'java.lang.NumberFormatException: For input string: "n/a"\n'
    "\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)\n"
    "\tat java.base/java.lang.Long.parseLong(Long.java:709)\n"
    "\tat RecordSum.addRecord(RecordSum.java:11)\n"
    "\tat RecordSum.main(RecordSum.java:44)\n"
    "Unrecoverable uncaught exception encountered. The VM will now exit\n"
)


def test_an_exception_escaping_a_panama_upcall_is_a_swallowed_error_with_its_java_stack():
    verdict = classify(Outcome(argv=("recorded",), exit_code=1, signal=None, timed_out=False, duration_s=0.0,
                               stdout="", stderr=ESCAPED_UPCALL, sanitizer="none"))
    assert (verdict.kind, verdict.mode) == ("ffi-rule-violation", "swallowed-error"), verdict
    assert verdict.summary == ('a Java exception escaped an upcall into C: java.lang.NumberFormatException: '
                               'For input string: "n/a" in RecordSum.addRecord (RecordSum.java:11)'), verdict.summary
