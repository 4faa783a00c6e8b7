"""The classifier on real crashes: each test breaks a runtime rule for real and checks the verdict.

Each crash is a dedented Python string run by the venv's interpreter, calling a small C
snippet compiled here (with the sanitizer's flags where one is named). Expectations are
regexes of what a person reads, and every test also checks how the child ended. The last
section reads outputs recorded from real runs (tests/fixtures/outputs/), for the parser's
edge cases.
"""

import os
import re
import shutil
import subprocess
import textwrap

import pytest
from conftest import build_jni_program, recorded_run

from faultlab.lab import toolchain
from faultlab.diagnosis.classify import classify, is_deadlock
from faultlab.diagnosis.outcome import Outcome, ThreadState
from faultlab.diagnosis.sources.asan import stack as sanitizer_stack
from faultlab.diagnosis.stacks import faulthandler_threads, gdb_stack, python_stack

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the crashing C snippets")
requires_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb prints the native stacks of a hung child")


def line(source: str, text: str) -> int:
    """The line of ``source`` (as compiled: dedented, leading newline dropped) that contains ``text``."""
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    return next(i for i, source_line in enumerate(lines, 1) if text in source_line)


# One library of memory bugs; each function breaks one rule of C's heap or stack.
MEMORY_BUGS_C = r"""
#include <assert.h>
#include <stdlib.h>

int read_null(int *p) { return *p; }                      /* called with NULL */
int read_freed(void) { int *p = malloc(16); p[0] = 7; free(p); return p[0]; }
int read_past_end(void) { int *p = malloc(16); int v = p[4]; free(p); return v; }
void free_twice(void) { char *p = malloc(24); free(p); free(p); }
static int *escape_local(void) { int local[4] = {1, 2, 3, 4}; int *volatile p = local; return p; }
int read_returned_stack(void) { return escape_local()[1]; }
int add_one(int x) { return x + 1; }                      /* called with INT_MAX */
void check_count(int count) { assert(count >= 0); }
void free_inside(void) { char *p = malloc(40); free(p + 1); }  /* not a pointer malloc returned */
struct wide { long a, b, c; };
long copy_wide(void) { struct wide *p = calloc(1, 16); struct wide w = *p; free(p); return w.a; }  /* 24 of 16 bytes */
long table[2];
long copy_wide_global(void) { struct wide w = *(struct wide *)table; return w.a; }  /* 24 of 16 bytes */
long copy_wide_stack(void) { long local[2] = {1, 2}; struct wide w = *(struct wide *)local; return w.a; }
"""

# glibc keeps up to 7 freed blocks per size in its per-thread cache; taking 7 out first makes
# sure the first free() lands there, where the second one is recognised.
TCACHE_DOUBLE_FREE_C = r"""
#include <stdlib.h>
static void *drained[7];
void free_twice(void) {
    for (int i = 0; i < 7; i++)
        drained[i] = malloc(40);
    char *block = malloc(40);
    free(block);
    free(block);
}
"""

# Both threads enter C (ctypes releases the GIL) and meet at a relaxed spin barrier, which
# orders nothing for TSan; then they touch the counter in turn (in time, still unordered for
# TSan, which can miss two accesses made at the very same instant): a race on every run.
RACE_C = r"""
static int arrived, turns_taken;
static long counter;
void bump_together(void) {
    int ticket = __atomic_fetch_add(&arrived, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&arrived, __ATOMIC_RELAXED) < 2)
        ;
    while (__atomic_load_n(&turns_taken, __ATOMIC_RELAXED) < ticket)
        ;
    counter++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __atomic_fetch_add(&turns_taken, 1, __ATOMIC_RELAXED);
}
"""

# A native lock and the GIL taken in opposite orders, with gates so the order is certain:
# the visitor holds the lock and calls back into Python (needs the GIL); the updater holds
# the GIL (PyDLL keeps it) and waits for the lock.
LOCK_ORDER_C = r"""
#include <pthread.h>
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static int lock_held, gil_holder_waiting;
void visit_locked(void (*callback)(void)) {
    pthread_mutex_lock(&table_lock);
    __atomic_store_n(&lock_held, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&gil_holder_waiting, __ATOMIC_SEQ_CST))
        ;
    callback();  /* waits for the GIL, holding the lock */
    pthread_mutex_unlock(&table_lock);
}
void wait_until_locked(void) {
    while (!__atomic_load_n(&lock_held, __ATOMIC_SEQ_CST))
        ;
}
void update_locked(void) {
    __atomic_store_n(&gil_holder_waiting, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&table_lock);  /* waits for the lock, holding the GIL */
    pthread_mutex_unlock(&table_lock);
}
"""
LOCK_ORDER_PY = """
    import ctypes, threading
    released, holding = ctypes.CDLL({path!r}), ctypes.PyDLL({path!r})
    on_visit = ctypes.CFUNCTYPE(None)(lambda: None)
    visitor = threading.Thread(target=released.visit_locked, args=(on_visit,))
    visitor.start()
    released.wait_until_locked()
    holding.update_locked()
"""

# A C library's own thread calling the C-API without PyGILState_Ensure(); the symbols
# resolve against the interpreter that loads the library.
NATIVE_THREAD_C = r"""
#include <pthread.h>
#include <stddef.h>
void *PyThreadState_Get(void);
void *PyMem_Malloc(size_t size);
static void *report_progress(void *arg) { (void)arg; PyThreadState_Get(); return NULL; }
static void *allocate_buffer(void *arg) { (void)arg; PyMem_Malloc(32); return NULL; }
void start_worker(int allocate) {
    pthread_t worker;
    pthread_create(&worker, NULL, allocate ? allocate_buffer : report_progress, NULL);
    pthread_join(worker, NULL);
}
"""

# Java's "modified UTF-8" (what JNI's GetStringUTFChars returns): U+1F600 as two encoded
# surrogates (ED A0 BD ED B8 80) and NUL as C0 80.
MODIFIED_UTF8_C = r"""
const char *title(void) { return "caf\xc3\xa9 \xed\xa0\xbd\xed\xb8\x80"; }
const char *with_nul(void) { return "a\xc0\x80z"; }
"""

@pytest.fixture(scope="module")
def memory_bugs(compile_c):
    return {s: compile_c(MEMORY_BUGS_C, "memory_bugs", sanitizer=s) for s in ("none", "asan", "ubsan")}


def call(path, function, *args):
    """The Python code that loads ``path`` with ctypes and calls one function."""
    return f"import ctypes\nlib = ctypes.CDLL({str(path)!r})\nlib.{function}({', '.join(map(repr, args))})\n"


# --- signals: decided by faulthandler's report and the signal ------------------------------------

def test_reading_address_zero_is_a_segv_with_the_python_stack(diagnose_code):
    d = diagnose_code("import ctypes; ctypes.string_at(0)")
    assert d.verdict.kind in ("segv", "null-deref"), d
    d.expect(d.verdict.kind, summary=r"Segmentation fault in string_at \(__init__\.py:\d+\)", signal="SIGSEGV",
             stderr=r"^Fatal Python error: Segmentation fault\n\nCurrent thread 0x[0-9a-f]+ \(most recent call first\):")
    assert [f.function for f in d.verdict.python_stack] == ["string_at", "<module>"]


def test_a_c_program_killed_by_sigsegv_is_a_segv(compile_c, diagnose_command):
    program = compile_c("int main(void) { *(volatile int *)0x7e57dead0000 = 1; return 0; }", "wild_write", shared=False)
    diagnose_command([program]).expect("segv", summary=r"^killed by SIGSEGV in main \(wild_write\.c:1\)$", signal="SIGSEGV")


def test_assertion_failure_is_an_abort(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["none"], "check_count", -1))
    d.expect("abort", signal="SIGABRT", stderr=r"^Fatal Python error: Aborted\n",
             summary=rf"^python\S*: \S+/memory_bugs\.c:{line(MEMORY_BUGS_C, 'void check_count')}: check_count: "
                     r"Assertion `count >= 0' failed\. in check_count \(memory_bugs\.c:\d+\)$")


# --- AddressSanitizer ----------------------------------------------------------------------------

def test_asan_segv_on_address_zero_is_a_null_deref(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["asan"], "read_null", None), sanitizer="asan")
    d.expect("null-deref", summary=r"SEGV on unknown address 0x0+ in read_null \(memory_bugs\.c:\d+\)",
             signal="SIGABRT", stderr=r"Hint: address points to the zero page")
    assert d.verdict.native_stack[0].function == "read_null"


def test_asan_reports_string_at_zero_as_a_null_deref(diagnose_code):
    # Without allow_user_segv_handler=0 faulthandler re-raises SIGSEGV first, and ASan
    # reports the pid as the faulting address.
    d = diagnose_code("import ctypes; ctypes.string_at(0)", sanitizer="asan")
    d.expect("null-deref", summary=r"SEGV on unknown address 0x0+ in string_at", signal="SIGABRT")


def test_asan_heap_use_after_free(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["asan"], "read_freed"), sanitizer="asan")
    d.expect("heap-use-after-free", summary=rf"^ERROR: AddressSanitizer: heap-use-after-free in read_freed \(memory_bugs\.c:{line(MEMORY_BUGS_C, 'int read_freed')}\)$",
             signal="SIGABRT", stderr=r"freed by thread T0 here:")
    assert "READ of size 4 at 0x[0-9a-f]+ thread T0" in " ".join(re.sub(r"0x[0-9a-f]+", "0x[0-9a-f]+", e) for e in d.verdict.evidence)
    assert (d.verdict.mode, d.verdict.cwe, d.verdict.security) == ("lifetime", "CWE-416", True)
    assert [f.function for f in d.verdict.python_stack] == ["<module>"]


def test_asan_heap_buffer_overflow(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["asan"], "read_past_end"), sanitizer="asan")
    d.expect("heap-buffer-overflow", summary=rf"heap-buffer-overflow in read_past_end \(memory_bugs\.c:{line(MEMORY_BUGS_C, 'int read_past_end')}\)",
             signal="SIGABRT", stderr=r"0 bytes to the right of 16-byte region")
    assert any(e.startswith("READ of size 4") for e in d.verdict.evidence), d


@pytest.mark.parametrize("function, kind, located", [
    ("copy_wide", "heap-buffer-overflow", "0 bytes to the right of 16-byte region"),
    ("copy_wide_global", "global-buffer-overflow", "0 bytes to the right of global variable 'table'"),
    ("copy_wide_stack", "stack-buffer-overflow", "in stack of thread T0"),
])
def test_asan_unknown_crash_past_a_block_is_decided_by_where_the_address_is(memory_bugs, diagnose_code, function, kind, located):
    # A 24-byte struct copy out of a 16-byte block starts in bounds: ASan's headline says
    # unknown-crash, and only its description of the address says where the access went.
    d = diagnose_code(call(memory_bugs["asan"], function), sanitizer="asan")
    d.expect(kind, summary=rf"^ERROR: AddressSanitizer: unknown-crash in {function} \(memory_bugs\.c:\d+\)$",
             signal="SIGABRT", stderr=r"READ of size 24 at")
    assert any(re.match(rf"(?:Address )?0x[0-9a-f]+ is located {located}", e) for e in d.verdict.evidence), d


def test_asan_double_free(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["asan"], "free_twice"), sanitizer="asan")
    d.expect("double-free", summary=rf"attempting double-free .* in free_twice \(memory_bugs\.c:{line(MEMORY_BUGS_C, 'void free_twice')}\)", signal="SIGABRT")
    assert d.verdict.cwe == "CWE-415"


def test_glibc_double_free_in_tcache(compile_c, diagnose_code):
    path = compile_c(TCACHE_DOUBLE_FREE_C, "tcache_double_free")
    d = diagnose_code(call(path, "free_twice"))
    d.expect("double-free", summary=r"^free\(\): double free detected in tcache 2 in free_twice \(tcache_double_free\.c:\d+\)$", signal="SIGABRT",
             stderr=r"^free\(\): double free detected in tcache 2\nFatal Python error: Aborted")


@pytest.mark.parametrize("sanitizer, headline", [
    ("none", r"^free\(\): invalid pointer"),
    ("asan", r"^ERROR: AddressSanitizer: attempting free on address which was not malloc\(\)-ed"),
])
def test_free_inside_a_block_is_an_invalid_free_with_or_without_asan(memory_bugs, diagnose_code, sanitizer, headline):
    d = diagnose_code(call(memory_bugs[sanitizer], "free_inside"), sanitizer=sanitizer)
    d.expect("invalid-free", summary=headline, signal="SIGABRT")


def test_asan_stack_use_after_return(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["asan"], "read_returned_stack"), sanitizer="asan")
    d.expect("stack-use-after-return", summary=r"stack-use-after-return in read_returned_stack", signal="SIGABRT",
             stderr=r"is located in stack of thread T0 at offset \d+ in frame\s+#0 0x[0-9a-f]+ in escape_local")


def test_asan_library_without_its_runtime_is_a_setup_error(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["asan"], "read_freed"))  # sanitizer "none": nothing preloaded
    d.expect("sanitizer-setup-error", exit_code=1,
             summary=r"^ASan runtime does not come first in initial library list; hint: the library is built with asan: "
                     r"run it with --sanitizer asan, so faultlab preloads the runtime first")
    assert d.verdict.evidence[-1].startswith("hint: "), d


def test_tsan_library_without_its_runtime_is_a_setup_error(compile_c, diagnose_code):
    path = compile_c("int answer(void) { return 42; }", "tsan_built", sanitizer="tsan")
    d = diagnose_code(call(path, "answer"))  # sanitizer "none": libtsan comes in by dlopen, too late for its TLS
    d.expect("sanitizer-setup-error", exit_code=1,
             summary=r"^OSError: \S*libtsan\.so\.\d+: cannot allocate memory in static TLS block; hint: the library is "
                     r"built with tsan: run it with --sanitizer tsan")


# --- UBSan and TSan ------------------------------------------------------------------------------

def test_ubsan_signed_overflow(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["ubsan"], "add_one", 2**31 - 1), sanitizer="ubsan")
    d.expect("undefined-behavior", signal="SIGABRT",
             summary=r"^runtime error: signed integer overflow: 2147483647 \+ 1 cannot be represented in type 'int' "
                     rf"in add_one \(memory_bugs\.c:{line(MEMORY_BUGS_C, 'int add_one')}\)$",
             stderr=rf"memory_bugs\.c:{line(MEMORY_BUGS_C, 'int add_one')}:\d+: runtime error: signed integer overflow")


def test_ubsan_null_load_is_a_null_deref(memory_bugs, diagnose_code):
    d = diagnose_code(call(memory_bugs["ubsan"], "read_null", None), sanitizer="ubsan")
    d.expect("null-deref", summary=r"runtime error: load of null pointer of type 'int' in read_null", signal="SIGABRT")


def test_tsan_data_race_between_two_python_threads(compile_c, diagnose_code):
    path = compile_c(RACE_C, "race", sanitizer="tsan")
    d = diagnose_code(f"""
        import ctypes, threading
        lib = ctypes.CDLL({str(path)!r})
        threads = [threading.Thread(target=lib.bump_together) for _ in range(2)]
        for t in threads: t.start()
        for t in threads: t.join()
    """, sanitizer="tsan", timeout=60)
    d.expect("data-race", summary=rf"^WARNING: ThreadSanitizer: data race \(pid=\d+\) in bump_together \(librace\.so:{line(RACE_C, 'counter++')}\)$",
             signal="SIGABRT", stderr=rf"SUMMARY: ThreadSanitizer: data race .*race\.c:{line(RACE_C, 'counter++')} in bump_together")
    assert any(re.match(r"(?:Previous )?(?:read|write) of size 8", e, re.I) for e in d.verdict.evidence[1:]), d


# --- threads: the watchdog -------------------------------------------------------------------------

@requires_gdb
def test_native_lock_and_gil_in_opposite_orders_is_a_deadlock(compile_c, diagnose_code):
    path = compile_c(LOCK_ORDER_C, "lock_order")
    d = diagnose_code(LOCK_ORDER_PY.format(path=str(path)), timeout=20)
    d.expect("deadlock", summary=r"^stalled for \d+\.\d s; 2 threads, all blocked on locks", signal="SIGTERM")
    assert d.verdict.stalled_at_s is not None and d.verdict.called_at_s < 20, d  # called early, not at the timeout
    threads = "\n".join(d.verdict.threads)
    assert re.search(r"update_locked \(lock_order\.c:\d+\)", threads) and "visit_locked" in threads, d
    assert d.verdict.mode == "threading"


def test_busy_loop_is_a_hang(diagnose_code):
    d = diagnose_code("""
        def poll_forever():
            while True:
                pass
        poll_forever()
    """, timeout=1, use_gdb=False)
    d.expect("hang", summary=r"^timed out; 1 threads, not all blocked in poll_forever \(<string>:[34]\)", signal="SIGTERM")
    assert d.outcome.threads[0].state == "R"


def test_sleeping_is_a_hang_not_a_deadlock(diagnose_code):
    d = diagnose_code("import time\ntime.sleep(60)\n", timeout=1)
    d.expect("hang", summary=r"not all blocked in <module> \(<string>:2\)", signal="SIGTERM")


# --- the C-API without the GIL -----------------------------------------------------------------

def test_c_api_from_a_native_thread_is_a_gil_violation(compile_c, diagnose_code):
    path = compile_c(NATIVE_THREAD_C, "native_thread")
    d = diagnose_code(call(path, "start_worker", 0))
    d.expect("gil-violation", signal="SIGABRT",
             summary=r"^Fatal Python error: PyThreadState_Get: the function must be called with the GIL held, "
                     r"but the GIL is released \(the current Python thread state is NULL\) in report_progress \(native_thread\.c:\d+\)$")
    assert d.verdict.security and d.verdict.cwe == "CWE-667"


def test_debug_allocator_without_the_gil_is_a_gil_violation(compile_c, diagnose_code):
    path = compile_c(NATIVE_THREAD_C, "native_thread")
    d = diagnose_code(call(path, "start_worker", 1), sanitizer="pymalloc-debug")
    d.expect("gil-violation", signal="SIGABRT",
             summary=r"^Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL")


# --- errors that do not crash --------------------------------------------------------------------

def test_ctypes_callback_exception_is_swallowed_and_exit_status_is_0(diagnose_code):
    d = diagnose_code("""
        import ctypes
        libc = ctypes.CDLL(None)
        @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        def compare(a, b):
            raise ValueError("comparator failed")
        items = (ctypes.c_int * 3)(3, 1, 2)
        libc.qsort(items, 3, ctypes.sizeof(ctypes.c_int), compare)
    """)
    d.expect("swallowed-exception", exit_code=0,
             summary=r"^Exception ignored on calling ctypes callback function: <function compare at 0x[0-9a-f]+> in compare \(<string>:6\)")
    assert "ValueError: comparator failed" in d.verdict.evidence


def test_cffi_callback_exception_is_swallowed_and_exit_status_is_0(diagnose_code):
    pytest.importorskip("cffi", reason="cffi is a dependency of faultlab")
    d = diagnose_code("""
        import cffi
        ffi = cffi.FFI()
        ffi.cdef("void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));")
        libc = ffi.dlopen(None)
        @ffi.callback("int(const void *, const void *)")
        def compare(a, b):
            raise ValueError("comparator failed")
        items = ffi.new("int[]", [3, 1, 2])
        libc.qsort(items, 3, ffi.sizeof("int"), compare)
    """)
    d.expect("swallowed-exception", exit_code=0,
             summary=r"cffi callback <function compare at 0x[0-9a-f]+>:? in compare \(<string>:8\)")
    assert "ValueError: comparator failed" in d.verdict.evidence


@pytest.mark.parametrize("function, offending", [("title", "byte 0xed in position 6"), ("with_nul", "byte 0xc0 in position 1")])
def test_modified_utf8_is_encoding_corruption(compile_c, diagnose_code, function, offending):
    path = compile_c(MODIFIED_UTF8_C, "modified_utf8")
    d = diagnose_code(f"""
        import ctypes
        lib = ctypes.CDLL({str(path)!r})
        lib.{function}.restype = ctypes.c_char_p
        raw = lib.{function}()
        text = raw.decode("utf-8")
    """)
    d.expect("encoding-corruption", exit_code=1, summary=rf"^UnicodeDecodeError: 'utf-8' codec can't decode {offending}")
    assert any(offending in e for e in d.verdict.evidence), d
    assert d.verdict.mode == "encoding"


def test_uncaught_exception_is_a_python_exception_named_by_its_last_line(diagnose_code):
    d = diagnose_code("""
        def parse(size):
            raise ValueError(f"bad size {size}")
        parse(-1)
    """)
    d.expect("python-exception", exit_code=1, summary=r"^ValueError: bad size -1 in parse \(<string>:3\)$",
             stderr=r"^Traceback \(most recent call last\):")
    assert [f.function for f in d.verdict.python_stack] == ["parse", "<module>"]


def test_memory_error_under_a_memory_limit_is_oom(diagnose_code):
    d = diagnose_code("buffer = bytearray(1 << 30)", memory_limit=256 << 20)
    d.expect("oom", exit_code=1, summary=r"^MemoryError in <module>", stderr=r"^MemoryError$")


def test_detected_oracle_kind(diagnose_code):
    d = diagnose_code("""
        from faultlab import Detected
        raise Detected("swallowed-error", "write() returned -1 and 12 bytes were lost")
    """)
    d.expect("swallowed-error", exit_code=1,
             summary=r"^Detected: swallowed-error: write\(\) returned -1 and 12 bytes were lost")
    assert (d.verdict.mode, d.verdict.cwe) == ("swallowed-error", "CWE-252")


# --- how the child ended, nothing printed --------------------------------------------------------

def test_clean_exit_is_ok(diagnose_code):
    d = diagnose_code("print('hello')")
    d.expect("ok", exit_code=0, summary=r"^exit status 0$")
    assert d.verdict.ok and d.verdict.python_stack == () and d.outcome.stdout == "hello\n"


def test_nonzero_exit_without_evidence(diagnose_code):
    d = diagnose_code("import sys; print('giving up', file=sys.stderr); sys.exit(3)")
    d.expect("exit-nonzero", exit_code=3, summary=r"^exit status 3$")
    assert d.verdict.evidence == ("exit status 3", "giving up")


@pytest.mark.parametrize("signal", ["SIGKILL", "SIGTERM"])
def test_killed_from_outside(diagnose_code, signal):
    d = diagnose_code(f"import os, signal; os.kill(os.getpid(), signal.{signal})")
    d.expect("killed", signal=signal, summary=rf"^killed by {signal}$")


# --- recorded outputs: the parsers' edge cases ---------------------------------------------------

def recorded_outcome(text: str, **facts) -> Outcome:
    return Outcome(argv=("recorded",), exit_code=facts.pop("exit_code", None), signal=facts.pop("signal", 6),
                   timed_out=False, duration_s=0.0, stdout="", stderr=text, **facts)


def test_recorded_tsan_frames_without_addresses(recorded_output):
    command, text = recorded_output("tsan-data-race.txt")
    frames = sanitizer_stack(text)
    assert [str(f) for f in frames[:2]] == ["bump_together (librace.so:7)", "<null> (libffi.so.8)"], command
    verdict = classify(recorded_outcome(text, sanitizer="tsan"))
    assert verdict.kind == "data-race" and verdict.summary.endswith("in bump_together (librace.so:7)"), verdict
    assert [f.function for f in verdict.python_stack] == ["run", "_bootstrap_inner", "_bootstrap"]


def test_recorded_asan_frames_without_symbols_name_no_address(recorded_output):
    _, text = recorded_output("asan-heap-use-after-free.txt")
    frames = sanitizer_stack(text)
    assert (frames[0].function, frames[0].line) == ("read_freed", 5)
    assert not any(re.search(r"0x[0-9a-f]", f.function) for f in frames)
    assert "libffi.so.8" in [f.module for f in frames if f.function == "??"]


def test_recorded_gdb_backtraces_of_a_deadlock(recorded_output):
    command, text = recorded_output("gdb-deadlock.txt")
    threads: dict[int, list[str]] = {}
    for output_line in text.splitlines():
        if m := re.match(r"^Thread \d+ \(.*?LWP (\d+)\)", output_line):
            current = threads.setdefault(int(m.group(1)), [])
        elif output_line.startswith("#"):
            current.append(output_line)
    stacks = {tid: gdb_stack(lines) for tid, lines in threads.items()}
    assert [len(s) for s in stacks.values()] == [len(lines) for lines in threads.values()], command
    visitor, updater = (stacks[tid] for tid in sorted(stacks, reverse=True))
    assert "take_gil (libpython/ceval_gil.h:231)" in map(str, visitor)
    assert "visit_locked (lock_order.c:9)" in map(str, visitor)
    assert "?? (libffi.so.8)" in map(str, visitor)
    assert str(updater[0]) == "futex_wait (libc/futex-internal.h:146)"
    assert "update_locked (lock_order.c:18)" in map(str, updater)
    states = tuple(ThreadState(1, tid, "S", "futex_wait_queue", tuple(lines)) for tid, lines in threads.items())
    assert is_deadlock(states)
    running = states[:1] + (ThreadState(1, 2, "R", "0", ()),)
    assert not is_deadlock(running)


def test_recorded_faulthandler_all_threads_dump(recorded_output):
    command, text = recorded_output("faulthandler-all-threads.txt")
    threads = faulthandler_threads(text)
    assert [header.split(" 0x")[0] for header, _ in threads] == ["Thread", "Current thread"], command
    assert [f.function for f in threads[0][1]] == ["worker_spins", "run", "_bootstrap_inner", "_bootstrap"]
    assert [f.function for f in threads[1][1]] == ["_wait_for_tstate_lock", "join", "main_waits", "<module>"]
    assert python_stack(text) == threads[1][1]  # the current thread: the one the watchdog interrupted


@pytest.mark.parametrize("name, kind, headline", [
    ("glibc-tcache-double-free.txt", "double-free", "free(): double free detected in tcache 2"),
    ("glibc-fasttop-double-free.txt", "double-free", "double free or corruption (fasttop)"),
    ("glibc-corrupted-top-size.txt", "heap-corruption", "malloc(): corrupted top size"),
    ("glibc-invalid-pointer.txt", "invalid-free", "free(): invalid pointer"),
])
def test_recorded_glibc_messages(recorded_output, name, kind, headline):
    command, text = recorded_output(name)
    verdict = classify(recorded_outcome(text))
    assert (verdict.kind, verdict.evidence[0]) == (kind, headline), command
    assert verdict.python_stack and verdict.signal == "SIGABRT"


# --- real sanitizer and fuzzer output, read fully (tests/fixtures/outputs/README.md) ---------------

# (recording, kind, summary, access, severity): what the recorded run's verdict must say.
RECORDED_VERDICTS = [
    ("asan-abrt-assertion.txt", "abort",
     r"^assert_asan: assert_abrt\.c:3: int check_count\(int\): Assertion `count >= 0' failed\. in check_count \(assert_abrt\.c:3\)$",
     None, "none"),
    ("ubsan-abrt-assertion.txt", "abort", r"Assertion `count >= 0' failed\. in check_count \(assert_abrt\.c:3\)$", None, "none"),
    ("asan-abrt-check-failed.txt", "abort", r"^\[FATAL:check\.cc\(6\)\] Check failed: count >= 0\. in set_count\(int\) \(check\.cc:6\)$",
     None, "none"),
    ("asan-abrt-uncaught-cxx-exception.txt", "uncaught-exception",
     r"^C\+\+ exception std::runtime_error: empty header was not caught in parse\(char const\*\) \(check\.cc:7\)$", None, "none"),
    ("asan-stack-overflow.txt", "stack-overflow", r"^ERROR: AddressSanitizer: stack-overflow in descend \(recurse\.c:2\)$", None, "none"),
    ("asan-container-overflow.txt", "container-overflow",
     r"container-overflow in past_size\(std::vector<int, std::allocator<int>>&\) \(container\.cc:2\)$", "READ", "medium"),
    ("asan-new-array-overflow.txt", "heap-buffer-overflow", r"heap-buffer-overflow in Box<int>::get\(int\) const \(newdelete\.cc:3\)$",
     "READ", "medium"),
    ("asan-allocation-size-too-big.txt", "oom", r"requested allocation size .* in reserve \(bigalloc\.c:3\)$", None, "none"),
    ("asan-wild-write.txt", "segv", r"SEGV on unknown address 0x7e57dead0000 in poke \(wild\.c:1\)$", "WRITE", "high"),
    ("asan-unknown-module.txt", "null-deref", r"SEGV on unknown address 0x0+ in main \(jit\.c:10\)$", "WRITE", "none"),
    ("asan-frames-without-files.txt", "null-deref", r"SEGV on unknown address 0x0+ in measure$", "READ", "none"),
    ("asan-strlen-null-no-file.txt", "null-deref", r"in measure \(strlen_null\.c:3\)$", "READ", "none"),
    ("ubsan-member-call-on-null.txt", "null-deref", r"^runtime error: member call on null pointer of type 'Widget' in use\(Widget\*\)", None, "none"),
    ("ubsan-reference-binding-to-null.txt", "null-deref", r"^runtime error: reference binding to null pointer .* in bind\(Widget\*\)",
     None, "none"),
    ("ubsan-fpe.txt", "fpe", r"UndefinedBehaviorSanitizer: FPE on unknown address 0x[0-9a-f]+ in ratio \(divzero\.c:1\)$", None, "none"),
    ("ubsan-ill-trap.txt", "illegal-instruction", r"ILL on unknown address 0x[0-9a-f]+ in unreachable_state \(trap\.c:1\)$", None, "none"),
    ("glibc-stack-smashing.txt", "stack-buffer-overflow", r"^\*\*\* stack smashing detected \*\*\*: terminated: a write past", "WRITE", "high"),
    ("libfuzzer-timeout.txt", "hang", r"^ERROR: libFuzzer: timeout after 2 seconds in LLVMFuzzerTestOneInput \(fuzz_target\.c:9\)$", None, "none"),
    ("libfuzzer-out-of-memory-malloc.txt", "oom", r"out-of-memory \(malloc\(4294967296\)\) in LLVMFuzzerTestOneInput", None, "none"),
    ("libfuzzer-deadly-signal.txt", "segv", r"^libFuzzer: deadly signal .*most likely SIGSEGV\) in LLVMFuzzerTestOneInput \(fuzz_target\.c:11\)$",
     None, "medium"),
    ("atheris-uncaught-python-exception.txt", "python-exception", r"^ValueError: bad header b'xyz' in parse_header \(atheris_harness\.py:8\)$",
     None, "none"),
    ("asan-heap-use-after-free.txt", "heap-use-after-free", r"heap-use-after-free in read_freed", "READ", "high"),
    ("tsan-data-race.txt", "data-race", r"data race .* in bump_together \(librace\.so:7\)$", "READ", "none"),
]


@pytest.mark.parametrize("name, kind, summary, access, severity", RECORDED_VERDICTS, ids=[r[0] for r in RECORDED_VERDICTS])
def test_recorded_sanitizer_and_fuzzer_reports(name, kind, summary, access, severity):
    verdict = classify(recorded_run(name))
    assert (verdict.kind, verdict.access, verdict.severity) == (kind, access, severity), verdict
    assert re.search(summary, verdict.summary), verdict.summary
    assert verdict.security == (severity != "none")
    assert not any(re.search(r"0x[0-9a-f]{4,}|\(<unknown", f.function) for f in verdict.native_stack), verdict.native_stack


def test_an_access_report_names_its_size(recorded_output):
    assert classify(recorded_run("asan-new-array-overflow.txt")).access_size == 4
    assert classify(recorded_run("tsan-data-race.txt")).access_size == 8


# --- evidence must agree with the exit --------------------------------------------------------

@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_crash_printed_by_a_program_that_exits_0_is_ok_with_a_note(diagnose_code, stream):
    d = diagnose_code(f"import sys; print('double free or corruption (fasttop)', file=sys.{stream})")
    d.expect("ok", exit_code=0, summary=r"^exit status 0; it printed 'double free or corruption \(fasttop\)', which decides nothing")
    assert d.verdict.evidence == ("not decisive: double free or corruption (fasttop) (double-free, glibc)",)


def test_a_swallowed_exception_decides_at_status_0_and_a_caught_traceback_does_not(diagnose_code):
    d = diagnose_code("""
        import traceback
        try:
            1 / 0
        except ZeroDivisionError:
            traceback.print_exc()
    """)
    d.expect("ok", exit_code=0, stderr=r"^Traceback \(most recent call last\):")


# A PyMem_Malloc block (pymalloc's arenas, not malloc's heap) handed to libc's free(): glibc
# says "(out)" or "invalid pointer" depending on where in its arena the block lies.
PYMEM_TO_FREE = """
    import ctypes
    pymem = ctypes.pythonapi.PyMem_Malloc
    pymem.restype, pymem.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    libc.free(pymem({size}))
"""


@pytest.mark.parametrize("size, headline", [
    (32, r"^double free or corruption \(out\) \(the block lies outside malloc's heap: a pointer malloc never returned"),
    (8, r"^free\(\): invalid pointer in <module>"),
])
def test_a_pymem_block_freed_by_libc_is_an_invalid_free_not_a_double_free(diagnose_code, size, headline):
    d = diagnose_code(PYMEM_TO_FREE.format(size=size), env={"PYTHONMALLOC": "pymalloc"})
    d.expect("invalid-free", signal="SIGABRT", summary=headline)
    assert d.verdict.severity == "high"


def test_a_write_past_a_python_block_under_the_debug_allocator_is_a_heap_buffer_overflow(diagnose_code):
    d = diagnose_code("""
        import ctypes
        pymem = ctypes.pythonapi.PyMem_Malloc
        pymem.restype, pymem.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
        ctypes.pythonapi.PyMem_Free.argtypes = [ctypes.c_void_p]
        block = pymem(16)
        ctypes.memset(block, 0x41, 24)
        ctypes.pythonapi.PyMem_Free(block)
    """, sanitizer="pymalloc-debug")
    d.expect("heap-buffer-overflow", signal="SIGABRT", stderr=r"bad trailing pad byte",
             summary=r"^Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte: a write past the end of a block of "
                     r"Python's debug allocator .* in <module> \(<string>:8\)$")
    assert (d.verdict.access, d.verdict.severity) == ("WRITE", "high")


def test_an_allocator_family_mismatch_under_the_debug_allocator(diagnose_code):
    d = diagnose_code("""
        import ctypes
        pymem = ctypes.pythonapi.PyMem_Malloc
        pymem.restype, pymem.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
        ctypes.pythonapi.PyObject_Free.argtypes = [ctypes.c_void_p]
        ctypes.pythonapi.PyObject_Free(pymem(16))
    """, sanitizer="pymalloc-debug")
    d.expect("alloc-dealloc-mismatch", signal="SIGABRT",
             summary=r"a block of PyMem_Malloc released by the PyObject_Malloc family's free")


# An assertion under ASan with handle_abort=1 (libFuzzer's builds set it): ASan reports ABRT.
ASSERTING_PROGRAM_C = r"""
#include <assert.h>
int check_count(int count) { assert(count >= 0); return count; }
int main(int argc, char **argv) { (void)argv; return check_count(argc - 2); }
"""


@pytest.mark.skipif(shutil.which("clang-16") is None, reason="clang-16 builds the standalone ASan program")
def test_an_assertion_under_asan_handling_abort_is_an_abort_named_by_the_assertion(tmp_path, diagnose_command):
    (tmp_path / "asserting.c").write_text(textwrap.dedent(ASSERTING_PROGRAM_C).lstrip())
    subprocess.run(["clang-16", "-g", "-O0", "-fsanitize=address", "asserting.c", "-o", "asserting"], cwd=tmp_path, check=True)
    d = diagnose_command([str(tmp_path / "asserting")], env={"ASAN_OPTIONS": "handle_abort=1"})
    d.expect("abort", exit_code=1, stderr=r"ERROR: AddressSanitizer: ABRT on unknown address",
             summary=r"^\S*asserting: asserting\.c:2: int check_count\(int\): Assertion `count >= 0' failed\. in check_count \(asserting\.c:2\)$")


# --- a Java program: the JVM's own fatal error report ---------------------------------------------

# A JNI method that writes through NULL, and the class that calls it. The JVM catches the
# SIGSEGV, prints its fatal error report on stdout and writes hs_err_pid*.log (here under
# -XX:ErrorFile in the test's tmp dir); it exits 1 without a core dump, so only the report
# tells a crash from a plain failure.
JNI_CRASH_C = r"""
#include <jni.h>
JNIEXPORT void JNICALL Java_Crash_store(JNIEnv *env, jclass cls, jint value) {
    (void)env; (void)cls;
    *(volatile jint *)0 = value;
}
"""
JNI_CRASH_JAVA = """
public class Crash {
    static native void store(int value);
    public static void main(String[] args) {
        System.loadLibrary("jnicrash");
        store(42);
    }
}
"""


@pytest.fixture
def jni_crash(tmp_path):
    where = tmp_path / "jni"
    where.mkdir()
    jdk = build_jni_program(where, "jnicrash", JNI_CRASH_C, "Crash", JNI_CRASH_JAVA)
    return [str(jdk / "bin" / "java"), "-XX:-CreateCoredumpOnCrash", f"-Djava.library.path={where}", "-cp", str(where), "Crash"]


@pytest.mark.skipif(toolchain.find_jdk() is None, reason="needs a JDK (javac, jni.h)")
def test_a_jni_library_crashing_the_jvm_is_read_from_its_full_report_in_the_run_directory(jni_crash, diagnose_command,
                                                                                          tmp_path):
    d = diagnose_command(jni_crash, cwd=str(tmp_path))
    d.expect("null-deref", exit_code=1,
             summary=r"^the JVM caught SIGSEGV \(0xb\) at address 0x0 in Java_Crash_store \(libjnicrash\.so\)$")
    # The hs_err file's frame list: the native frame, then the Java frames that called it.
    assert [f.function for f in d.verdict.native_stack][:3] == ["Java_Crash_store", "Crash.store", "Crash.main"], d
    assert list(tmp_path.glob("hs_err*")) == [], "the fatal error file was left in the working directory"
    [(name, text)] = d.outcome.report_files
    assert name.startswith("hs_err_pid") and "Native frames:" in text


@pytest.mark.skipif(toolchain.find_jdk() is None, reason="needs a JDK (javac, jni.h)")
def test_an_error_file_the_user_chose_is_theirs_and_the_summary_still_names_the_frame(jni_crash, diagnose_command,
                                                                                      tmp_path):
    for argv, env in (([jni_crash[0], f"-XX:ErrorFile={tmp_path}/mine.log", *jni_crash[1:]], None),
                      (jni_crash, {**os.environ, "JAVA_TOOL_OPTIONS": f"-XX:ErrorFile={tmp_path}/mine.log"})):
        d = diagnose_command(argv, cwd=str(tmp_path), env=env)
        d.expect("segv", exit_code=1, summary=r"^the JVM caught SIGSEGV \(0xb\) in Java_Crash_store \(libjnicrash\.so\)$")
        assert (tmp_path / "mine.log").exists() and d.outcome.report_files == ()
        (tmp_path / "mine.log").unlink()


# --- glibc's fortify and TSan's double lock: real programs ----------------------------------------

FORTIFIED_COPY_C = r"""
#include <string.h>
int main(int argc, char **argv) {
    char name[8];
    strcpy(name, argc > 0 ? "far longer than eight bytes" : "");  /* FLAW: fortify knows name holds 8 */
    return name[0];
}
"""

DOUBLE_LOCK_C = r"""
#include <pthread.h>
static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static void add_entry(void) { pthread_mutex_lock(&registry); /* FLAW: the caller holds it already */ }
int main(void) {
    pthread_mutex_lock(&registry);
    add_entry();
    return 0;
}
"""


requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the C programs")


@requires_gcc
def test_a_copy_fortify_stops_is_a_buffer_overflow(tmp_path, diagnose_command):
    (tmp_path / "fortified.c").write_text(FORTIFIED_COPY_C)
    done = subprocess.run(["gcc", "-g", "-O2", "-D_FORTIFY_SOURCE=2", "fortified.c", "-o", "fortified"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    d = diagnose_command([str(tmp_path / "fortified")])
    d.expect("buffer-overflow", signal="SIGABRT", summary=r"^\*\*\* buffer overflow detected \*\*\*: terminated in main ")
    assert d.verdict.security and d.verdict.severity == "medium"


@requires_gcc
@pytest.mark.parametrize("sanitizer", ["none", "tsan"])
def test_a_mutex_locked_again_by_its_holder_is_a_deadlock_in_the_second_lock(compile_c, diagnose_command, sanitizer):
    """TSan's "double lock of a mutex" comes after the lock returns, so a plain mutex never lets it
    speak: the thread waits for itself, and the watchdog calls it (the report's kind, double-lock,
    is for the mutexes that do return)."""
    program = compile_c(DOUBLE_LOCK_C, "double_lock", sanitizer=sanitizer, shared=False)
    d = diagnose_command([str(program)], sanitizer=sanitizer, timeout=20.0)
    d.expect("deadlock", signal="SIGTERM", summary=r"all blocked on locks in add_entry \(double_lock\.c:3\)")
    assert d.verdict.mode == "threading"
