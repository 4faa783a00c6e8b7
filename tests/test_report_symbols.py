"""Warm symbolization of sanitizer reports: the child prints its frames unsymbolized, faultlab names them.

The oracle is the runtime itself: every catalog case under ASan, TSan and UBSan is run twice
per variant, once with the runtime symbolizing its own report (``symbolize=1``, cold) and
once with ``symbolize=0`` and faultlab's warm llvm-symbolizer, and the two verdicts must say
the same thing. A C program per runtime (an inlined call, a library without debug
information, TSan's global and heap locations, mutex and thread sections, the frames it
strips under ``main``) checks the whole rewritten report against the runtime's own, line by line.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import textwrap

import pytest

from faultlab import run
from faultlab.diagnosis import configurations, report_symbols, symbolize
from faultlab.diagnosis.classify import classify
from faultlab.lab import catalog
from faultlab.lab.isolation import policy

requires_symbolizer = pytest.mark.skipif(symbolize.command() is None, reason="llvm-symbolizer not found")
requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the C programs")

PARENT_SYMBOLIZED = ("asan", "tsan", "ubsan", "lsan")
CATALOG = [(c, name) for c in catalog.discover() for name in c.expect if name in PARENT_SYMBOLIZED]
# What differs between two runs of one crash: addresses, pids and tids, and whether a thread had
# finished when TSan described it (the thread of the earlier access may be anywhere in its exit;
# recorded both ways in runs that symbolize and in runs that do not).
_RUN_FACTS = re.compile(r"0x[0-9a-f]+|==\d+==|\b(?:pid|tid)=\d+|\b(?:running|finished)\b")


def _same(value) -> str:
    """A verdict field with what differs between two runs of one crash blanked."""
    return _RUN_FACTS.sub("_", repr(value))


def _crash(case, variant, configuration, isolation):
    case.build(configuration, variant)
    outcome = policy.run_case(case, variant, configuration, timeout=case.timeout, isolation=isolation)
    return outcome, classify(outcome)


def _cold(configuration):
    return dataclasses.replace(configuration, parent_symbolizes=False)


@requires_symbolizer
@pytest.mark.parametrize("isolation", ["auto", "spawn"])
@pytest.mark.parametrize("variant", ["broken", "fixed"])
@pytest.mark.parametrize("case, sanitizer", CATALOG, ids=[f"{name}-{c.id}" for c, name in CATALOG])
def test_warm_symbolization_gives_the_verdict_the_runtime_gives_cold(case, sanitizer, variant, isolation):
    warm_config = configurations.get(sanitizer)
    cold_outcome, cold = _crash(case, variant, _cold(warm_config), isolation)
    warm_outcome, warm = _crash(case, variant, warm_config, isolation)
    for field in ("kind", "summary", "signature", "native_stack", "report_stacks", "lock_waits", "evidence",
                  "python_stack", "access", "access_size"):
        assert _same(getattr(warm, field)) == _same(getattr(cold, field)), (field, cold_outcome.stderr[-3000:])
    assert cold_outcome.raw_stderr is None
    if re.search(r"^ +#0 ", cold_outcome.stderr, re.M):  # a stack: the raw report is kept, its frames unnamed
        assert re.search(r"#0 0x[0-9a-f]+  \(/", warm_outcome.raw_stderr), warm_outcome.stderr[:2000]
        assert not re.search(r"#0 0x[0-9a-f]+  \(/", warm_outcome.stderr.split("SUMMARY:")[0])


def test_the_child_symbolizes_only_where_faultlab_cannot(monkeypatch):
    for name in PARENT_SYMBOLIZED:
        warm = configurations.get(name)
        variable = warm.options_variable
        env = warm.environment({})[variable]
        assert ("symbolize=0" if symbolize.command() else "symbolize=1") in env, name
        assert "symbolize=1" in _cold(warm).environment({})[variable]
        # Suppressions match by function name: only a child that symbolizes can apply them.
        with_suppressions = warm.environment({variable: "suppressions=/dev/null"})[variable]
        assert "symbolize=1" in with_suppressions and "stack_trace_format" not in with_suppressions
    # TSan's own frames keep a module's base name only: its child prints sanitizer_common's.
    assert ("stack_trace_format=DEFAULT" in configurations.get("tsan").environment({})["TSAN_OPTIONS"]) == bool(
        symbolize.command())
    monkeypatch.setattr(symbolize, "command", lambda: None)
    for name in PARENT_SYMBOLIZED:
        env = configurations.get(name).environment({})[configurations.get(name).options_variable]
        assert "symbolize=1" in env and "stack_trace_format" not in env


# --- whole reports against the runtime's own ---------------------------------------------------

# Built without -g: its frame is named from the symbol table alone, with no file.
NO_DEBUG_INFO_C = "void each(void (*fn)(void)) { fn(); }\n"
PROGRAM_C = """
    #include <pthread.h>
    #include <stdatomic.h>
    #include <stdlib.h>

    void each(void (*fn)(void));

    static long counter;
    static long *block;
    static atomic_int turn;
    static pthread_mutex_t guard = PTHREAD_MUTEX_INITIALIZER;

    static inline __attribute__((always_inline)) void bump(long *where) {
    #if defined(LEAK)
        *where = (long)malloc(24);  /* FLAW: the only pointer to it is overwritten */
    #elif defined(SHIFT)
        *where <<= (int)*where - 1;  /* FLAW: a shift by -1 */
    #else
        *where += 1;  /* FLAW: a read-modify-write from two threads, one of them unlocked */
    #endif
    }

    static void touch(void) {
    #ifdef HEAP
        bump(block);
    #else
        bump(&counter);
    #endif
    }

    static void *worker(void *arg) {
        (void)arg;
        each(touch);
        atomic_store_explicit(&turn, 1, memory_order_relaxed);  /* relaxed: it orders nothing for TSan */
        return NULL;
    }

    int main(void) {
        block = calloc(1, sizeof *block);
        pthread_t thread;
        pthread_create(&thread, NULL, worker, NULL);
        while (!atomic_load_explicit(&turn, memory_order_relaxed))
            ;
        pthread_mutex_lock(&guard);
        each(touch);
        pthread_mutex_unlock(&guard);
        pthread_join(thread, NULL);
        return 0;
    }
"""
# (configuration, -D flag, what the report must hold): a global and a heap block under TSan.
PROGRAMS = {
    "tsan-global": ("tsan", "GLOBAL", ("Location is global 'counter' of size 8", "Mutex M0 (", "#2 each <null> (libnodebug.so+")),
    "tsan-heap": ("tsan", "HEAP", ("Location is heap block of size 8", "allocated by main thread:", "#0 calloc ")),
    "ubsan": ("ubsan", "SHIFT", ("runtime error: shift exponent -1 is negative", " in each (/")),
    "lsan": ("lsan", "LEAK", ("Direct leak of 24 byte(s)", " in bump ", " in each (/")),
}


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """``program(name) -> path``: PROGRAM_C built for its configuration, calling through a library without debug information."""
    root = tmp_path_factory.mktemp("programs")
    (root / "program.c").write_text(textwrap.dedent(PROGRAM_C))
    (root / "nodebug.c").write_text(NO_DEBUG_INFO_C)

    def build(name: str) -> str:
        sanitizer, define, _ = PROGRAMS[name]
        flags = configurations.get(sanitizer).cflags
        where = root / name
        where.mkdir()
        subprocess.run(["gcc", "-O0", "-fPIC", "-shared", *flags, str(root / "nodebug.c"), "-o", str(where / "libnodebug.so")],
                       check=True, capture_output=True)
        subprocess.run(["gcc", "-g", "-O0", "-fno-omit-frame-pointer", "-pthread", *flags, f"-D{define}",
                        str(root / "program.c"), f"-L{where}", "-lnodebug", f"-Wl,-rpath,{where}", "-o", str(where / name)],
                       check=True, capture_output=True)
        return str(where / name)
    return build


@requires_symbolizer
@requires_gcc
@pytest.mark.parametrize("name", PROGRAMS)
def test_the_warm_report_is_the_runtimes_own_line_for_line(program, name):
    sanitizer, _, expected = PROGRAMS[name]
    path = program(name)
    warm_config = configurations.get(sanitizer)
    cold = run([path], sanitizer=_cold(warm_config))
    warm = run([path], sanitizer=warm_config)
    assert cold.raw_stderr is None and warm.raw_stderr is not None
    assert "  (/" in warm.raw_stderr  # the child's own frames, unnamed
    for words in expected:
        assert words in cold.stderr, cold.stderr
    assert _RUN_FACTS.sub("_", warm.stderr).splitlines() == _RUN_FACTS.sub("_", cold.stderr).splitlines()
    assert (warm.signal, warm.exit_code) == (cold.signal, cold.exit_code) == (6, None)
    assert _same(classify(warm).summary) == _same(classify(cold).summary)


@requires_symbolizer
@pytest.mark.skipif(shutil.which("nm") is None, reason="nm finds the interceptor in TSan's runtime")
def test_a_tsan_report_the_child_symbolized_is_left_as_it_is():
    # A summary naming only an object, in a report whose frames TSan named itself (a frame libbacktrace
    # could not name): no frame of it was printed unsymbolized, so nothing is rewritten, even where
    # llvm-symbolizer names the frame (TSan's pthread_create interceptor).
    libtsan = configurations.get("tsan").preload()[0]
    symbols = subprocess.run(["nm", "-D", "--defined-only", libtsan], capture_output=True, text=True).stdout
    offset = int(re.search(r"^([0-9a-f]+) [TW] pthread_create$", symbols, re.M).group(1), 16) + 4
    assert symbolize.shared().locate([(libtsan, offset)])[0], "the symbolizer names the frame"
    text = ("WARNING: ThreadSanitizer: data race (pid=1)\n"
            f"    #0 <null> <null> ({os.path.basename(libtsan)}+{offset:#x})\n\n"
            f"SUMMARY: ThreadSanitizer: data race ({libtsan}+{offset:#x}) \n")
    assert report_symbols.symbolized(text, report_symbols.Style("gcc", "tsan")) == text
    unsymbolized = text.replace(f"#0 <null> <null> ({os.path.basename(libtsan)}", f"#0 0x7f00  ({libtsan}")
    assert "data race ../../../../src/libsanitizer" in report_symbols.symbolized(unsymbolized, report_symbols.Style("gcc", "tsan"))


# --- the rewriting, with a symbolizer that answers from a table --------------------------------

# Unsymbolized, as gcc's libasan printed it under symbolize=0 (lifetime/retained-buffer, cut).
RAW = """\
==4147==ERROR: AddressSanitizer: heap-use-after-free on address 0x607000364a60 at pc 0x7f953451c1d7 bp 0x7ffd sp 0x7ffd
READ of size 1 at 0x607000364a60 thread T0
    #0 0x7f953451c1d6  (/lib/libretained_buffer.so+0x11d6)
    #1 0x7f95354508e3  (/lib/libpython3.11.so.1.0+0x2508e3)
    #2 0x7f9535045249  (/lib/libunknown.so+0x27249)
    #3 0x55e867868080  (/usr/bin/python3.11+0x1080) (BuildId: 7f32)

freed by thread T0 here:
    #0 0x7f95358b76a8  (/lib/libasan.so.8+0xb76a8)

SUMMARY: AddressSanitizer: heap-use-after-free (/lib/libretained_buffer.so+0x11d6) \
"""
P = symbolize.Place
TABLE = {
    ("/lib/libretained_buffer.so", 0x11d6): (P("rb_checksum", "/src/retained_buffer.c", 18, 5),),
    ("/lib/libpython3.11.so.1.0", 0x2508e3): (P("_PyEval_EvalFrame", "./Include/internal/pycore_ceval.h", 73),
                                              P("PyEval_EvalCode", "Python/ceval.c", 1148)),
    ("/usr/bin/python3.11", 0x1080): (P("_start"),),
    ("/lib/libasan.so.8", 0xb76a8): (P("__interceptor_free", "../src/libsanitizer/asan_malloc_linux.cpp", 52),),
}


def _table(queries, style):
    return [TABLE.get(q, ()) for q in queries]


def test_frames_are_named_numbered_on_and_the_summary_follows():
    text = report_symbols.symbolized(RAW, "gcc", symbolizer_names=_table)
    assert "    #0 0x7f953451c1d6 in rb_checksum /src/retained_buffer.c:18\n" in text
    assert "    #1 0x7f95354508e3 in _PyEval_EvalFrame Include/internal/pycore_ceval.h:73\n" in text
    assert "    #2 0x7f95354508e3 in PyEval_EvalCode Python/ceval.c:1148\n" in text  # an inlined call: a frame of its own
    assert "    #3 0x7f9535045249  (/lib/libunknown.so+0x27249)\n" in text  # nothing known: as printed, numbered on
    assert "    #4 0x55e867868080 in _start (/usr/bin/python3.11+0x1080)\n" in text  # gcc's runtime: no build id
    assert "    #0 0x7f95358b76a8 in __interceptor_free ../src/libsanitizer/asan_malloc_linux.cpp:52\n" in text
    assert text.endswith("SUMMARY: AddressSanitizer: heap-use-after-free /src/retained_buffer.c:18 in rb_checksum")


def test_clangs_runtime_prints_columns_and_build_ids():
    text = report_symbols.symbolized(RAW, "llvm", symbolizer_names=_table)
    assert "#0 0x7f953451c1d6 in rb_checksum /src/retained_buffer.c:18:5\n" in text
    assert "#4 0x55e867868080 in _start (/usr/bin/python3.11+0x1080) (BuildId: 7f32)\n" in text


def test_a_report_without_unsymbolized_frames_is_left_alone():
    symbolized = "    #0 0x7f in rb_checksum /src/retained_buffer.c:18\n"
    assert report_symbols.symbolized(symbolized, "gcc", symbolizer_names=_table) is symbolized


def test_hostile_frames_are_bounded_and_never_name_what_is_not_a_regular_file(tmp_path):
    asked = []

    def counting(queries, style):
        asked.extend(queries)
        return [() for _ in queries]

    flood = "".join(f"    #{i} 0x1  (/lib/x.so+0x{i:x})\n" for i in range(report_symbols.MAX_QUERIES * 3))
    assert report_symbols.symbolized(flood, "gcc", symbolizer_names=counting) == flood
    assert len(asked) == report_symbols.MAX_QUERIES
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    line = f"    #0 0x1  ({fifo}+0x10)\n"
    assert report_symbols.symbolized(line, "gcc") == line  # never opened: a FIFO would block the symbolizer


def test_itanium_names_are_demangled_as_gccs_runtime_does_and_rusts_v0_names_are_not():
    assert report_symbols.demangled("_ZN1AIN1BIiEEE1fEv") in ("A<B<int> >::f()", "A<B<int>>::f()")
    assert report_symbols.demangled("_RNvNtCs1234_3std2rt19lang_start_internal").startswith("_RNv")
    assert report_symbols.demangled("rb_checksum") == "rb_checksum"


def test_lines_that_only_look_numbered_are_left_as_the_child_wrote_them():
    text = "#5 items left\n" + RAW.split("\n\n")[1] + "\n#7 more\n"
    out = report_symbols.symbolized(text, "gcc", symbolizer_names=_table)
    assert out.startswith("#5 items left\n") and out.endswith("\n#7 more\n")
