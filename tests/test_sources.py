"""The report sources: one module per program that writes reports, found without a list, in a fixed order.

``TODAYS_ORDER`` is the marker table as it stood in one module (``faultlab/markers.py``)
before the sources were split out of it: the first match wins, so the split must keep
every marker where it was.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import faultlab
from faultlab.diagnosis import sources, stacks
from faultlab.diagnosis.classify import classify
from faultlab.diagnosis.outcome import Outcome

TODAYS_ORDER = [
    ('swallowed-error', 'faultlab', r"Detected: swallowed-error: .*"),
    ('silent-corruption', 'faultlab', r"Detected: silent-corruption: .*"),
    ('abi-mismatch', 'faultlab', r"Detected: abi-mismatch: .*"),
    ('sanitizer-setup-error', 'asan', r"ASan runtime does not come first in initial library list.*"),
    ('sanitizer-setup-error', 'tsan', r"^.*?cannot allocate memory in static TLS block.*"),
    ('sanitizer-setup-error', 'ld.so', r"undefined symbol: __(?:asan|tsan|ubsan|sanitizer)_\w+.*"),
    ('sanitizer-setup-error', 'tsan', r"FATAL: ThreadSanitizer: unexpected memory mapping.*"),
    ('null-deref', 'asan', r"ERROR: AddressSanitizer: SEGV on unknown address (?:0x0{0,13}[0-9a-f]{1,3}|\(nil\)|0x000000000[0-9a-f]{0,3})\b.*"),
    ('segv', 'asan', r"ERROR: AddressSanitizer: SEGV on unknown address.*"),
    ('bus-error', 'asan', r"ERROR: AddressSanitizer: BUS on unknown address.*"),
    ('fpe', 'asan', r"ERROR: AddressSanitizer: FPE on unknown address.*"),
    ('illegal-instruction', 'asan', r"ERROR: AddressSanitizer: ILL on unknown address.*"),
    ('heap-use-after-free', 'asan', r"ERROR: AddressSanitizer: heap-use-after-free.*"),
    ('heap-buffer-overflow', 'asan', r"ERROR: AddressSanitizer: heap-buffer-overflow.*"),
    ('heap-buffer-overflow', 'asan', r"ERROR: AddressSanitizer: unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ bytes to the (?:right|left) of \d+-byte region)"),
    ('global-buffer-overflow', 'asan', r"ERROR: AddressSanitizer: unknown-crash.*(?=(?:\n.*)*?\n0x[0-9a-f]+ is located \d+ bytes to the (?:right|left) of global variable)"),
    ('stack-buffer-overflow', 'asan', r"ERROR: AddressSanitizer: unknown-crash.*(?=(?:\n.*)*?\nAddress 0x[0-9a-f]+ is located in stack of thread)"),
    ('stack-buffer-overflow', 'asan', r"ERROR: AddressSanitizer: stack-buffer-(?:overflow|underflow).*"),
    ('global-buffer-overflow', 'asan', r"ERROR: AddressSanitizer: global-buffer-overflow.*"),
    ('stack-use-after-return', 'asan', r"ERROR: AddressSanitizer: stack-use-after-return.*"),
    ('stack-use-after-scope', 'asan', r"ERROR: AddressSanitizer: stack-use-after-scope.*"),
    ('use-after-poison', 'asan', r"ERROR: AddressSanitizer: use-after-poison.*"),
    ('double-free', 'asan', r"ERROR: AddressSanitizer: attempting double-free.*"),
    ('invalid-free', 'asan', r"ERROR: AddressSanitizer: attempting free on address which was not malloc\(\)-ed.*"),
    ('alloc-dealloc-mismatch', 'asan', r"ERROR: AddressSanitizer: alloc-dealloc-mismatch.*"),
    ('oom', 'asan', r"ERROR: AddressSanitizer: (?:out of memory|allocation-size-too-big|requested allocation size .* exceeds|malloc limit).*"),
    ('memory-leak', 'lsan', r"ERROR: LeakSanitizer: detected memory leaks.*"),
    ('data-race', 'tsan', r"WARNING: ThreadSanitizer: data race.*"),
    ('lock-order-inversion', 'tsan', r"WARNING: ThreadSanitizer: lock-order-inversion.*"),
    ('heap-use-after-free', 'tsan', r"WARNING: ThreadSanitizer: heap-use-after-free.*"),
    ('double-free', 'tsan', r"WARNING: ThreadSanitizer: double lock of a mutex.*"),
    ('oom', 'tsan', r"ERROR: ThreadSanitizer: (?:out of memory|requested allocation size .* exceeds).*"),
    ('null-deref', 'ubsan', r"runtime error: (?:member access within|load of|store to) null pointer.*"),
    ('undefined-behavior', 'ubsan', r"runtime error: .*"),
    ('double-free', 'glibc', r"free\(\): double free detected in tcache 2|double free or corruption.*"),
    ('invalid-free', 'glibc', r"munmap_chunk\(\): invalid pointer|free\(\): invalid pointer"),
    ('heap-corruption', 'glibc', r"free\(\): invalid (?:size|next size.*)|malloc\(\): (?:corrupted.*|memory corruption.*|unaligned tcache chunk.*)|corrupted size vs\. prev_size.*|corrupted double-linked list.*|realloc\(\): invalid .*"),
    ('abort', 'glibc', r"^.+?: Assertion `.+' failed\."),
    ('oom', 'glibc', r"^MemoryError\b.*|Cannot allocate memory|std::bad_alloc"),
    ('gil-violation', 'cpython', r"Fatal Python error: .*(?:GIL|thread state|PyGILState_Release|tstate).*|^.*?(?:must be called with the GIL held|without holding the GIL|the function must be called with the GIL).*"),
    ('swallowed-exception', 'ctypes', r"Exception ignored on calling ctypes callback function.*"),
    ('swallowed-exception', 'cffi', r"(?:Exception ignored from cffi callback|From cffi callback).*"),
    ('encoding-corruption', 'cpython', r"Unicode(?:Decode|Encode)Error: .*(?:can't decode bytes? (?:0xed|0xc0)|in position \d+(?:-\d+)?: (?:invalid continuation byte|invalid start byte).*0x(?:ed|c0)|surrogates not allowed).*|Unicode(?:Decode|Encode)Error: .*surrogates not allowed.*"),
    ('encoding-corruption', 'java', r"java\.nio\.charset\.MalformedInputException.*"),
    ('jni-wrong-thread', 'xcheck-jni', r"^FATAL ERROR in native method: Using JNIEnv in (?:the wrong|non-Java) thread.*"),
    ('jni-invalid-ref', 'xcheck-jni', r"^FATAL ERROR in native method: (?:Bad global or local ref passed to JNI|.*[Ii]nvalid (?:\w+ )*JNI handle).*"),
    ('jni-exception-pending', 'xcheck-jni', r"^WARNING in native method: JNI call made (?:with exception pending|without checking exceptions when required to).*"),
    ('jni-check-failure', 'xcheck-jni', r"^FATAL ERROR in native method: .*"),
    ('segv', 'jvm', r"^#\s+SIGSEGV \(0xb\) at pc=.*"),
    ('bus-error', 'jvm', r"^#\s+SIGBUS \(0x7\) at pc=.*"),
    ('fpe', 'jvm', r"^#\s+SIGFPE \(0x8\) at pc=.*"),
    ('illegal-instruction', 'jvm', r"^#\s+SIGILL \(0x4\) at pc=.*"),
    ('panic-across-ffi', 'rust', r"^(?:panic in a function that cannot unwind|thread caused non-unwinding panic\. aborting\.)$"),
    ('panic', 'rust', r"^thread '[^'\n]*'(?: \(\d+\))? panicked at .*"),
    ('segv', 'faulthandler', r"Fatal Python error: Segmentation fault"),
    ('bus-error', 'faulthandler', r"Fatal Python error: Bus error"),
    ('fpe', 'faulthandler', r"Fatal Python error: Floating point exception"),
    ('illegal-instruction', 'faulthandler', r"Fatal Python error: Illegal instruction"),
    ('abort', 'faulthandler', r"Fatal Python error: Aborted"),
    ('fatal-python-error', 'cpython', r"Fatal Python error: .*"),
    ('python-exception', 'cpython', r"^Traceback \(most recent call last\):"),
    ('deadlock', 'faultlab', None),
    ('hang', 'faultlab', None),
    ('killed', 'kernel', None),
    ('exit-nonzero', 'kernel', None),
    ('ok', 'kernel', None),
]


def declared(module) -> tuple:
    return getattr(module, "MARKERS", ())


def test_the_marker_table_keeps_todays_order():
    assert [(m.kind, m.source, m.pattern) for m in sources.MARKERS] == TODAYS_ORDER


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
    assert len(everywhere) == len(sources.MARKERS) == len(TODAYS_ORDER)


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
        assert stacks._module(str(path)).startswith("faultlab/") or path.name in UNDER_TEST, path


@pytest.mark.parametrize("plumbing", [
    "/work/main/.venv/lib/python3.11/site-packages/cffi/api.py",              # ffi.string between a case and C
    "/root/.pyenv/versions/3.11.7/lib/python3.11/concurrent/futures/thread.py",  # a pool worker between a task and C
])
def test_binding_and_thread_pool_plumbing_is_runtime(plumbing):
    verdict = classify(crash_under(plumbing))
    assert verdict.python_stack[2].module.split("/")[0] in ("cffi", "python-stdlib")
    assert verdict.signature == classify(crash_under("/work/main/faultlab/lab/forkserver.py", "main")).signature
    assert classify(crash_under("/src/app/api.py")).signature != verdict.signature
