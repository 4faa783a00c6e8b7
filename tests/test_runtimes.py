"""Report sources of other runtimes, read from real programs: a Rust panic, HotSpot's -Xcheck:jni and a Java
exception, Go's cgo checks and panics, Node-API and V8's fatal errors and JS errors.

Each program is built here, under the test's tmp_path, and run through ``faultlab.run``. A
broken program and its fixed twin sit side by side, the decisive lines marked FLAW and FIX;
the expectation is the runtime's own words. Wordings of runtime versions this machine does
not have are read from recorded output, each with where it comes from.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import build_jni_program

from faultlab.lab import go as go_build
from faultlab.lab import toolchain

RUSTC = shutil.which("rustc") or next((p for p in [Path.home() / ".cargo/bin/rustc"] if p.exists()), None)


def _rustc_works() -> bool:
    """rustc is there and answers (a rustup proxy with no toolchain for this HOME does not)."""
    if RUSTC is None:
        return False
    try:
        return subprocess.run([str(RUSTC), "--version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


requires_rustc = pytest.mark.skipif(not _rustc_works(),
                                    reason="needs a working rustc (>= 1.81: a panic may not unwind out of extern \"C\")")
requires_jdk = pytest.mark.skipif(toolchain.find_jdk() is None or shutil.which("gcc") is None,
                                  reason="needs a JDK (java, javac, jni.h) and gcc")

# --- Rust -----------------------------------------------------------------------------------------

PANICKING_LIBRARY = """
#[no_mangle]
pub extern "C" fn checked_index(i: usize) -> i32 {
    let v = [1, 2, 3];
    v[i] // FLAW: the panic cannot unwind out of an extern "C" fn: the process aborts
}

#[no_mangle]
pub extern "C" fn parse_count(count: u8) -> i32 {
    if count > 9 {
        panic!("count out of range: {}", count);
    }
    count as i32
}

#[no_mangle]
pub extern "C" fn checked_index_or_minus_one(i: usize) -> i32 {
    // FIX: the panic is caught at the boundary and becomes an error code the caller checks.
    std::panic::catch_unwind(|| [1, 2, 3][i]).unwrap_or(-1)
}
"""

PANICKING_PROGRAM = """
fn main() {
    let v = vec![1, 2, 3];
    let i = std::env::args().count() + 5;
    println!("{}", v[i]);
}
"""


def rustc(tmp_path: Path, source: str, name: str, *options: str) -> Path:
    src = tmp_path / f"{name}.rs"
    src.write_text(textwrap.dedent(source).lstrip())
    out = tmp_path / (f"lib{name}.so" if "cdylib" in options else name)
    done = subprocess.run([str(RUSTC), "-g", "-C", "opt-level=0", *options, src.name, "-o", out.name],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def panicking_library(tmp_path):
    return rustc(tmp_path, PANICKING_LIBRARY, "boom", "--crate-type", "cdylib")


def call_rust(diagnose_code, library: Path, call: str, backtrace: str):
    return diagnose_code(f"""
        import ctypes
        library = ctypes.CDLL({str(library)!r})
        print(library.{call})
        """, env={**os.environ, "RUST_BACKTRACE": backtrace})


@requires_rustc
@pytest.mark.parametrize("backtrace", ["0", "1"])
def test_a_panic_escaping_an_extern_c_function_is_named_with_its_place(panicking_library, diagnose_code, backtrace):
    d = call_rust(diagnose_code, panicking_library, "checked_index(7)", backtrace)
    d.expect("ffi-rule-violation", signal="SIGABRT",
             summary=r'^Rust panic escaped an extern "C" function at boom\.rs:4:5: index out of bounds: the len is 3 but the index is 7 in ',
             stderr=r"^panic in a function that cannot unwind$")
    assert d.verdict.mode == "swallowed-error", d
    assert "index out of bounds: the len is 3 but the index is 7" in d.verdict.evidence, d
    top = d.verdict.native_stack[0] if backtrace == "0" else next(f for f in d.verdict.native_stack if f.module == "boom.rs")
    assert (top.module, top.line) == ("boom.rs", 4), d
    again = call_rust(diagnose_code, panicking_library, "checked_index(9)", backtrace)
    other = call_rust(diagnose_code, panicking_library, "parse_count(70)", backtrace)
    other.expect("ffi-rule-violation", signal="SIGABRT", summary=r"at boom\.rs:10:9: count out of range: 70 in ")
    assert d.verdict.signature == again.verdict.signature != other.verdict.signature


@requires_rustc
def test_a_panic_caught_at_the_boundary_is_ok(panicking_library, diagnose_code):
    d = call_rust(diagnose_code, panicking_library, "checked_index_or_minus_one(7)", "0")
    d.expect("ok", exit_code=0, stderr=r"panicked at boom\.rs")


@requires_rustc
@pytest.mark.parametrize("backtrace", ["0", "1"])
def test_a_panic_in_a_rust_program_is_an_uncaught_exception_not_an_exit_status(tmp_path, diagnose_command, backtrace):
    program = rustc(tmp_path, PANICKING_PROGRAM, "panicking")
    env = {**os.environ, "RUST_BACKTRACE": backtrace}
    d = diagnose_command([str(program)], env=env)
    d.expect("uncaught-exception", exit_code=101,
             summary=r"^Rust panic at panicking\.rs:4:21: index out of bounds: the len is 3 but the index is 6 in "
                     + (r"panic \(panicking\.rs:4\)$" if backtrace == "0" else r"panicking::main \(panicking\.rs:4\)$"))
    assert diagnose_command([str(program)], env=env).verdict.signature == d.verdict.signature


# --- the JVM's JNI checker ------------------------------------------------------------------------

# Each native method breaks one JNI rule; its fixed twin keeps it. -Xcheck:jni prints its
# verdict on stdout and aborts (exits 1 here, under -XX:-CreateCoredumpOnCrash).
JNI_CHECK_C = r"""
#include <jni.h>
#include <pthread.h>

static JNIEnv *cached_env;
static JavaVM *vm;

static void *find_string_on_cached_env(void *arg) {
    (void)arg;
    (*cached_env)->FindClass(cached_env, "java/lang/String"); /* FLAW: a JNIEnv belongs to the thread it was given to */
    return NULL;
}

static void *find_string_attached(void *arg) {
    JNIEnv *env;
    (void)arg;
    (*vm)->AttachCurrentThread(vm, (void **)&env, NULL); /* FIX: the thread gets its own JNIEnv */
    (*env)->FindClass(env, "java/lang/String");
    (*vm)->DetachCurrentThread(vm);
    return NULL;
}

static void on_a_thread(JNIEnv *env, void *(*work)(void *)) {
    pthread_t thread;
    cached_env = env;
    (*env)->GetJavaVM(env, &vm);
    pthread_create(&thread, NULL, work, NULL);
    pthread_join(thread, NULL);
}

JNIEXPORT void JNICALL Java_Check_wrongThread(JNIEnv *env, jclass cls) { (void)cls; on_a_thread(env, find_string_on_cached_env); }
JNIEXPORT void JNICALL Java_Check_attachedThread(JNIEnv *env, jclass cls) { (void)cls; on_a_thread(env, find_string_attached); }

JNIEXPORT void JNICALL Java_Check_pending(JNIEnv *env, jclass cls) {
    (void)cls;
    (*env)->FindClass(env, "no/such/Klass");
    (*env)->FindClass(env, "java/lang/String"); /* FLAW: the NoClassDefFoundError is still pending */
}

JNIEXPORT void JNICALL Java_Check_checked(JNIEnv *env, jclass cls) {
    (void)cls;
    (*env)->FindClass(env, "no/such/Klass");
    if ((*env)->ExceptionCheck(env)) { /* FIX: the failed call's exception is seen and cleared */
        (*env)->ExceptionClear(env);
    }
    (*env)->FindClass(env, "java/lang/String");
}
"""
JNI_CHECK_JAVA = """
public class Check {
    static native void wrongThread();
    static native void attachedThread();
    static native void pending();
    static native void checked();

    public static void main(String[] args) throws Exception {
        System.loadLibrary("jnicheck");
        Check.class.getDeclaredMethod(args[0]).invoke(null);
    }
}
"""


@pytest.fixture(scope="module")
def jni_check(tmp_path_factory):
    where = tmp_path_factory.mktemp("jnicheck")
    jdk = build_jni_program(where, "jnicheck", JNI_CHECK_C, "Check", JNI_CHECK_JAVA)
    return [str(jdk / "bin" / "java"), "-Xcheck:jni", "-XX:-CreateCoredumpOnCrash", f"-XX:ErrorFile={where}/hs_err_%p.log",
            f"-Djava.library.path={where}", "-cp", str(where), "Check"]


@requires_jdk
def test_a_jnienv_used_on_another_thread_is_a_jni_threading_fault(jni_check, diagnose_command):
    d = diagnose_command([*jni_check, "wrongThread"])
    d.expect("ffi-rule-violation", exit_code=1, summary=r"^FATAL ERROR in native method: Using JNIEnv in non-Java thread$")
    assert d.verdict.mode == "threading"
    diagnose_command([*jni_check, "attachedThread"]).expect("ok", exit_code=0)


@requires_jdk
def test_a_jni_call_with_an_exception_pending_is_a_swallowed_error_with_the_java_stack(jni_check, diagnose_command):
    d = diagnose_command([*jni_check, "pending"])
    d.expect("ffi-rule-violation", exit_code=1,
             summary=r"^WARNING in native method: JNI call made with exception pending in Check\.pending \(native\)$")
    assert d.verdict.mode == "swallowed-error"
    assert [f.function for f in d.verdict.native_stack][:1] == ["Check.pending"], d
    diagnose_command([*jni_check, "checked"]).expect("ok", exit_code=0)


def line_of(source: str, mark: str) -> int:
    """The line number of the line of ``source`` (as written to disk: dedented, leading newline gone) holding ``mark``."""
    lines = textwrap.dedent(source).lstrip().splitlines()
    return next(number for number, line in enumerate(lines, 1) if mark in line)


# --- the JVM: an uncaught exception --------------------------------------------------------------

UNCAUGHT_JAVA = """
public class Uncaught {
    static void check(int count) {
        if (count > 9) {
            throw new IllegalStateException("count out of range: " + count); // FLAW: nothing catches it
        }
    }

    public static void main(String[] args) {
        if (args[0].equals("caught")) {
            try {
                check(70);
            } catch (IllegalStateException e) { // FIX: the caller handles the error
                System.out.println("rejected: " + e.getMessage());
            }
            return;
        }
        check(70);
    }
}
"""


@pytest.fixture(scope="module")
def uncaught_java(tmp_path_factory):
    where = tmp_path_factory.mktemp("uncaught")
    jdk = toolchain.find_jdk()
    (where / "Uncaught.java").write_text(textwrap.dedent(UNCAUGHT_JAVA).lstrip())
    javac = subprocess.run([str(jdk / "bin" / "javac"), "-d", ".", "Uncaught.java"], cwd=where, capture_output=True, text=True)
    assert javac.returncode == 0, javac.stderr
    return [str(jdk / "bin" / "java"), "-cp", str(where), "Uncaught"]


@requires_jdk
def test_an_uncaught_java_exception_names_java_its_type_and_where_it_was_thrown(uncaught_java, diagnose_command):
    d = diagnose_command([*uncaught_java, "uncaught"])
    flaw = line_of(UNCAUGHT_JAVA, "FLAW")
    d.expect("uncaught-exception", exit_code=1,
             summary=rf"^uncaught Java java\.lang\.IllegalStateException: count out of range: 70 in Uncaught\.check \(Uncaught\.java:{flaw}\)$",
             stderr=r'^Exception in thread "main" java\.lang\.IllegalStateException')
    assert [f.function for f in d.verdict.native_stack] == ["Uncaught.check", "Uncaught.main"], d
    diagnose_command([*uncaught_java, "caught"]).expect("ok", exit_code=0)


# --- Go: cgo's pointer checks, a C crash under cgo, panics -------------------------------------------

GO = shutil.which("go")


def go_version() -> tuple[int, int] | None:
    """The installed Go's (major, minor), or None when there is no go that answers."""
    if GO is None:
        return None
    try:
        done = subprocess.run([GO, "env", "GOVERSION"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"go(\d+)\.(\d+)", done.stdout.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


requires_go = pytest.mark.skipif(go_version() is None or shutil.which("gcc") is None,
                                 reason="needs Go with cgo (apt-get install golang-go) and gcc")

# One program, one case per argument: each broken case beside its fixed twin, as in Go's own
# cmd/cgo/internal/testerrors/ptr_test.go.
CGO_RULES = """
package main

/*
#include <stdlib.h>

struct holder { int *value; };

static int read_holder(struct holder *h) { return *h->value; }

static int read_third(const int *values) {
    return values[2]; // FLAW: C reads through the NULL that Go handed it
}

static int read_third_or_zero(const int *values) {
    return values ? values[2] : 0; // FIX: C checks the pointer first
}
*/
import "C"

import (
	"fmt"
	"os"
)

type widget struct{ count int }

func cIntHolding(n int) *C.int {
	p := (*C.int)(C.malloc(C.sizeof_int))
	*p = C.int(n)
	return p
}

var cases = map[string]func(){
	"go-pointer-in-argument": func() {
		n := C.int(7)
		h := C.struct_holder{value: &n}
		fmt.Println(C.read_holder(&h)) // FLAW-ARGUMENT: the Go memory handed to C holds a Go pointer
	},
	"c-pointer-in-argument": func() {
		h := C.struct_holder{value: cIntHolding(7)}
		fmt.Println(C.read_holder(&h)) // FIX-ARGUMENT: the pointer inside is C memory
	},
	"go-pointer-stored-in-c": func() {
		h := (*C.struct_holder)(C.malloc(C.sizeof_struct_holder))
		h.value = new(C.int) // FLAW-STORE: C memory now holds a pointer the collector cannot see
		fmt.Println(C.read_holder(h))
	},
	"c-pointer-stored-in-c": func() {
		h := (*C.struct_holder)(C.malloc(C.sizeof_struct_holder))
		h.value = cIntHolding(7) // FIX-STORE
		fmt.Println(C.read_holder(h))
	},
	"c-reads-through-nil":  func() { fmt.Println(C.read_third(nil)) },
	"c-checks-for-nil":     func() { fmt.Println(C.read_third_or_zero(nil)) },
	"index-out-of-range": func() {
		counts := []int{1, 2, 3}
		fmt.Println(counts[len(os.Args)+5]) // FLAW-INDEX
	},
	"index-checked": func() {
		counts, i := []int{1, 2, 3}, len(os.Args)+5
		if i < len(counts) { // FIX-INDEX
			fmt.Println(counts[i])
		}
	},
	"nil-widget": func() {
		var w *widget
		fmt.Println(w.count) // FLAW-NIL: a nil pointer dereferenced in Go
	},
	"prints-a-panic": func() {
		fmt.Println("panic: runtime error: cgo argument has Go pointer to Go pointer")
	},
}

func main() { cases[os.Args[1]]() }
"""


@pytest.fixture(scope="module")
def cgo_rules(tmp_path_factory):
    """The program built twice: as is, and with cgo's write barrier check (cgocheck2) where the build decides it.

    The build needs no network: GOPATH mode, a cache of its own, the local toolchain only.
    """
    where = tmp_path_factory.mktemp("cgo")
    (where / "cgo_rules.go").write_text(textwrap.dedent(CGO_RULES).lstrip())
    env = {**os.environ, **go_build.offline_environment(where)}
    checked = {"GOEXPERIMENT": "cgocheck2"} if go_version() >= (1, 21) else {}  # before 1.21: GODEBUG=cgocheck=2 at run time
    for name, extra in (("cgo_rules", {}), ("cgo_rules_checked", checked)):
        done = subprocess.run([GO, "build", "-o", name, "cgo_rules.go"], cwd=where, env={**env, **extra},
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    return where


def run_cgo(diagnose_command, where: Path, case: str, *, checked: bool = False):
    program = where / ("cgo_rules_checked" if checked else "cgo_rules")
    env = {**os.environ, "GODEBUG": "cgocheck=2"} if checked and go_version() < (1, 21) else None
    return diagnose_command([str(program), case], env=env)


def top_program_frame(d):
    return next(f for f in d.verdict.native_stack if f.module == "cgo_rules.go")


@requires_go
def test_a_go_pointer_to_a_go_pointer_passed_to_c_is_a_lifetime_rule_violation(cgo_rules, diagnose_command):
    d = run_cgo(diagnose_command, cgo_rules, "go-pointer-in-argument")
    d.expect("ffi-rule-violation", exit_code=2,
             summary=r"^panic: runtime error: (?:cgo argument|argument of cgo function) has Go pointer to (?:unpinned )?Go pointer"
                     r" in main\.\S+ \(cgo_rules\.go:\d+\)$")
    assert d.verdict.mode == "lifetime", d
    assert top_program_frame(d).line == line_of(CGO_RULES, "FLAW-ARGUMENT"), d
    run_cgo(diagnose_command, cgo_rules, "c-pointer-in-argument").expect("ok", exit_code=0)


@requires_go
def test_a_go_pointer_stored_into_c_memory_is_a_lifetime_rule_violation_under_cgocheck2(cgo_rules, diagnose_command):
    d = run_cgo(diagnose_command, cgo_rules, "go-pointer-stored-in-c", checked=True)
    d.expect("ffi-rule-violation", exit_code=2, summary=r"^fatal error: Go pointer stored into non-Go memory in main\.",
             stderr=r"^write of (?:unpinned )?Go pointer 0x[0-9a-f]+ to non-Go memory 0x[0-9a-f]+$")
    assert d.verdict.mode == "lifetime", d
    assert top_program_frame(d).line == line_of(CGO_RULES, "FLAW-STORE"), d
    run_cgo(diagnose_command, cgo_rules, "c-pointer-stored-in-c", checked=True).expect("ok", exit_code=0)


@requires_go
def test_a_c_null_dereference_under_cgo_is_a_null_deref_naming_the_c_function(cgo_rules, diagnose_command):
    d = run_cgo(diagnose_command, cgo_rules, "c-reads-through-nil")
    # values[2] of an int array at NULL: the fault is at 0x8.
    d.expect("null-deref", exit_code=2, summary=r"^Go caught SIGSEGV at 0x8 in C code called through cgo\b.* in read_third \(cgo\)$")
    again = run_cgo(diagnose_command, cgo_rules, "c-reads-through-nil")
    assert again.verdict.signature == d.verdict.signature, (d, again)
    run_cgo(diagnose_command, cgo_rules, "c-checks-for-nil").expect("ok", exit_code=0)


@requires_go
def test_a_go_panic_is_an_uncaught_exception_naming_go_and_the_panic(cgo_rules, diagnose_command):
    d = run_cgo(diagnose_command, cgo_rules, "index-out-of-range")
    d.expect("uncaught-exception", exit_code=2,
             summary=r"^Go panic: runtime error: index out of range \[7\] with length 3 in main\.\S+ "
                     rf"\(cgo_rules\.go:{line_of(CGO_RULES, 'FLAW-INDEX')}\)$")
    run_cgo(diagnose_command, cgo_rules, "index-checked").expect("ok", exit_code=0)


@requires_go
def test_a_nil_dereference_in_go_code_is_a_null_deref_in_its_go_frame(cgo_rules, diagnose_command):
    d = run_cgo(diagnose_command, cgo_rules, "nil-widget")
    d.expect("null-deref", exit_code=2,
             summary=r"^Go caught SIGSEGV at 0x[0-9a-f]{1,3} in Go code: runtime error: invalid memory address or nil pointer "
                     rf"dereference in main\.\S+ \(cgo_rules\.go:{line_of(CGO_RULES, 'FLAW-NIL')}\)$")
    index = run_cgo(diagnose_command, cgo_rules, "index-out-of-range")
    assert d.verdict.signature != index.verdict.signature


@requires_go
def test_a_go_program_that_prints_a_panic_and_exits_0_broke_no_rule(cgo_rules, diagnose_command):
    d = run_cgo(diagnose_command, cgo_rules, "prints-a-panic")
    assert d.outcome.stdout.startswith("panic: runtime error: cgo argument has Go pointer to Go pointer"), d
    # Go's markers need a failed run, and UBSan's "runtime error:" is anchored to its file:line:col.
    d.expect("ok", exit_code=0)


# Go's words from versions this machine does not have, recorded where Go itself or its users printed them.
GO_1_21_POINTER_CHECK = (
    # Go 1.21+, from the blog post "Calling C from Go" (2024-02-16); its author elided the path.
    "panic: runtime error: cgo argument has Go pointer to unpinned Go pointer\n"
    "\n"
    "goroutine 1 [running]:\n"
    "main.main.func1(0xc000016060)\n"
    "\t.../pointer.go:33 +0x26\n"
    "main.main()\n"
    "\t.../pointer.go:33 +0x5f\n"
    "exit status 2\n")
# Go 1.26, as Go's own cmd/cgo/internal/testerrors/ptr_test.go expects it (errTextRegexp) and users report it.
GO_1_26_POINTER_CHECK = "panic: runtime error: argument of cgo function has Go pointer to unpinned Go pointer\n"
# Go 1.21.0 on macOS arm64, go-vgo/robotgo issue 611: a fault in C code, reported by the signal handler, not a throw.
GO_1_21_CGO_SIGNAL = """\
SIGSEGV: segmentation violation
PC=0x1a2c29c20 m=16 sigcode=2
signal arrived during cgo execution

goroutine 21 [syscall]:
runtime.cgocall(0x104abe4ac, 0x1400246ff28)
        /usr/local/go/src/runtime/cgocall.go:157 +0x44 fp=0x1400246fef0 sp=0x1400246feb0 pc=0x1046c2724
github.com/go-vgo/robotgo._Cfunc_get_PID()
        _cgo_gotypes.go:540 +0x34 fp=0x1400246ff20 sp=0x1400246fef0 pc=0x104ab0104
github.com/go-vgo/robotgo.GetPid(...)
        /Users/mokky/Go/pkg/mod/github.com/go-vgo/robotgo@v1.0.0-rc2.1/robotgo.go:1012
main.(*MainApp).checkPID(0x1400032e300)
        /Users/mokky/Go/source/the_real/handler.go:46 +0x7c fp=0x1400246ffb0 sp=0x1400246ff20 pc=0x104ab264c
main.main.func9()
        /Users/mokky/Go/source/the_real/main.go:26 +0x28 fp=0x1400246ffd0 sp=0x1400246ffb0 pc=0x104ab5dd8
runtime.goexit()
        /usr/local/go/src/runtime/asm_arm64.s:1197 +0x4 fp=0x1400246ffd0 sp=0x1400246ffd0 pc=0x1047271c4
"""
# Go 1.23+ (goroutine headers with gp= m= mp=), yalue/onnxruntime_go issue 95, cut short by its reporter.
GO_1_23_CGO_NULL = """\
SIGSEGV: segmentation violation
PC=0x1a1090d0e m=0 sigcode=1 addr=0x20
signal arrived during cgo execution

goroutine 1 gp=0xc000002380 m=0 mp=0x10f7fb860 [syscall]:
runtime.cgocall(0x10f6e81a0, 0xc000027a78)
"""


def go_outcome(stderr: str, exit_code: int = 2):
    from faultlab.diagnosis.outcome import Outcome

    return Outcome(argv=("recorded",), exit_code=exit_code, signal=None, timed_out=False, duration_s=0.0, stdout="", stderr=stderr)


@pytest.mark.parametrize("stderr", [GO_1_21_POINTER_CHECK, GO_1_26_POINTER_CHECK], ids=["go1.21", "go1.26"])
def test_every_wording_of_the_cgo_pointer_check_is_a_lifetime_rule_violation(stderr):
    from faultlab import classify

    verdict = classify(go_outcome(stderr))
    assert (verdict.kind, verdict.mode) == ("ffi-rule-violation", "lifetime"), verdict
    assert verdict.summary.startswith(stderr.splitlines()[0]), verdict


def test_the_recorded_pointer_check_names_its_go_frame():
    from faultlab import classify

    verdict = classify(go_outcome(GO_1_21_POINTER_CHECK))
    assert verdict.summary.endswith(" in main.main.func1 (pointer.go:33)"), verdict


def test_a_signal_in_c_code_reported_by_go_1_21_names_the_c_function_and_its_go_callers():
    from faultlab import classify

    verdict = classify(go_outcome(GO_1_21_CGO_SIGNAL))
    assert verdict.kind == "segv", verdict
    assert verdict.summary == "Go caught SIGSEGV (code 2) in C code called through cgo in get_PID (cgo)", verdict
    assert [str(f) for f in verdict.native_stack][1:4] == [
        "get_PID (cgo)", "github.com/go-vgo/robotgo.GetPid (robotgo.go:1012)", "main.(*MainApp).checkPID (handler.go:46)"]
    null = classify(go_outcome(GO_1_23_CGO_NULL))
    assert (null.kind, null.summary) == ("null-deref", "Go caught SIGSEGV at 0x20 in C code called through cgo"), null




# UBSan says "runtime error:" too: its reports and Go's must never be taken for each other.
UBSAN_OVERFLOW = """
#include <limits.h>
#include <stdio.h>

int main(int argc, char **argv) {
    int count = INT_MAX - 1 + argc;
    (void)argv;
    printf("%d\\n", count + 1); /* FLAW: signed overflow */
    return 0;
}
"""


def test_a_real_ubsan_report_is_not_read_as_go(compile_c, diagnose_command):
    program = compile_c(UBSAN_OVERFLOW, "overflow", sanitizer="ubsan", shared=False)
    d = diagnose_command([str(program)], sanitizer="ubsan")
    assert d.verdict.kind == "undefined-behavior", d
    assert re.search(r"^(?:overflow\.c:\d+:\d+: )?runtime error: signed integer overflow: 2147483647 \+ 1 .* in main "
                     rf"\(overflow\.c:{line_of(UBSAN_OVERFLOW, 'FLAW')}\)$", d.verdict.summary), d


# --- Node-API and V8: the locker check, napi_fatal_error, out of heap, an uncaught JS error ------------

NODE = shutil.which("node")
NODE_HEADERS = next((p for p in (Path("/usr/include/node"), Path("/usr/local/include/node")) if (p / "node_api.h").exists()), None)
requires_node = pytest.mark.skipif(NODE is None or NODE_HEADERS is None or shutil.which("gcc") is None,
                                   reason="needs node, its headers (node_api.h) and gcc")

WIDGET_ADDON = r"""
#include <node_api.h>
#include <pthread.h>

#define STRING(x) #x
#define AT(line) "widget.c:" STRING(line)
#define HERE AT(__LINE__)

static napi_env saved_env;
static napi_threadsafe_function posted;

static void *make_string_on_own_thread(void *arg) {
    napi_value text;
    napi_handle_scope scope;
    (void)arg;
    napi_open_handle_scope(saved_env, &scope); /* FLAW-THREAD: V8 may be entered only from the thread that runs JS */
    napi_create_string_utf8(saved_env, "widget", NAPI_AUTO_LENGTH, &text);
    return NULL;
}

static void make_string_on_js_thread(napi_env env, napi_value callback, void *context, void *data) {
    napi_value text;
    (void)callback; (void)context; (void)data;
    napi_create_string_utf8(env, "widget", NAPI_AUTO_LENGTH, &text);
}

static void *post_from_own_thread(void *arg) {
    (void)arg;
    napi_call_threadsafe_function(posted, NULL, napi_tsfn_blocking); /* FIX-THREAD: the JS thread makes the call */
    napi_release_threadsafe_function(posted, napi_tsfn_release);
    return NULL;
}

static napi_value on_a_thread(napi_env env, void *(*work)(void *)) {
    pthread_t thread;
    saved_env = env;
    pthread_create(&thread, NULL, work, NULL);
    pthread_join(thread, NULL);
    return NULL;
}

napi_value call_from_own_thread(napi_env env, napi_callback_info info) {
    (void)info;
    return on_a_thread(env, make_string_on_own_thread);
}

napi_value post_to_js_thread(napi_env env, napi_callback_info info) {
    napi_value name;
    (void)info;
    napi_create_string_utf8(env, "posted", NAPI_AUTO_LENGTH, &name);
    napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, make_string_on_js_thread, &posted);
    return on_a_thread(env, post_from_own_thread);
}

static int table_is_corrupt(void) { return 1; }

napi_value check_table(napi_env env, napi_callback_info info) {
    (void)env; (void)info;
    if (table_is_corrupt()) {
        napi_fatal_error(HERE, NAPI_AUTO_LENGTH, "the widget table is corrupt", NAPI_AUTO_LENGTH); /* FLAW-FATAL */
    }
    return NULL;
}

napi_value check_table_or_throw(napi_env env, napi_callback_info info) {
    (void)info;
    if (table_is_corrupt()) {
        napi_throw_error(env, "EWIDGET", "the widget table is corrupt"); /* FIX-FATAL: JS gets an error it can catch */
    }
    return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_property_descriptor methods[] = {
        {"callFromOwnThread", NULL, call_from_own_thread, NULL, NULL, NULL, napi_default, NULL},
        {"postToJsThread", NULL, post_to_js_thread, NULL, NULL, NULL, napi_default, NULL},
        {"checkTable", NULL, check_table, NULL, NULL, NULL, napi_default, NULL},
        {"checkTableOrThrow", NULL, check_table_or_throw, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
"""

COUNT_CHECK_JS = """
function parse(count) {
  if (count > 9) {
    throw new RangeError(`count out of range: ${count}`); // FLAW: nothing catches it
  }
  return count;
}
if (process.argv[2] === "caught") {
  try { parse(70); } catch (e) { console.log(`rejected: ${e.message}`); } // FIX: the caller handles the error
} else {
  parse(70);
}
"""


@pytest.fixture(scope="module")
def widget_addon(tmp_path_factory):
    where = tmp_path_factory.mktemp("napi")
    (where / "widget.c").write_text(textwrap.dedent(WIDGET_ADDON).lstrip())
    built = subprocess.run(["gcc", "-g", "-O0", "-shared", "-fPIC", "-pthread", f"-I{NODE_HEADERS}", "widget.c", "-o", "widget.node"],
                           cwd=where, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return where / "widget.node"


def call_addon(diagnose_command, addon: Path, method: str, handled: bool = False):
    call = f"require({str(addon)!r}).{method}()"
    code = f"try {{ {call} }} catch (e) {{ console.log(`caught ${{e.code}}`) }}" if handled else call
    return diagnose_command([NODE, "-e", code])


@requires_node
def test_v8_entered_from_an_addons_own_thread_is_a_threading_rule_violation_not_a_kill(widget_addon, diagnose_command):
    d = call_addon(diagnose_command, widget_addon, "callFromOwnThread")
    d.expect("ffi-rule-violation", signal="SIGTRAP",
             summary=r"^V8 fatal error in HandleScope::HandleScope: Entering the V8 API without proper locking in place",
             stderr=r"^# Fatal error in HandleScope::HandleScope$")
    assert d.verdict.mode == "threading", d
    call_addon(diagnose_command, widget_addon, "postToJsThread").expect("ok", exit_code=0)


@requires_node
def test_napi_fatal_error_is_a_rule_violation_naming_the_addon_function(widget_addon, diagnose_command):
    d = call_addon(diagnose_command, widget_addon, "checkTable")
    d.expect("ffi-rule-violation", signal="SIGABRT",
             summary=rf"^FATAL ERROR: widget\.c:{line_of(WIDGET_ADDON, 'FLAW-FATAL')} the widget table is corrupt in check_table "
                     r"\(widget\.node\)$",
             stderr=r"^----- Native stack trace -----$")
    modules = [f.module for f in d.verdict.native_stack]
    assert modules.index("widget.node") < modules.index("[eval]"), d  # the JS stack follows the native one
    call_addon(diagnose_command, widget_addon, "checkTableOrThrow", handled=True).expect("ok", exit_code=0)


@requires_node
def test_running_out_of_js_heap_is_oom(diagnose_command):
    d = diagnose_command([NODE, "--max-old-space-size=16", "-e", "const a = []; for (;;) a.push(new Array(1e5).fill(1.5))"])
    d.expect("oom", signal="SIGABRT", summary=r"^FATAL ERROR: .*Allocation failed - JavaScript heap out of memory$")


@requires_node
def test_an_uncaught_js_error_names_js_its_type_and_where_it_was_thrown(tmp_path, diagnose_command):
    script = tmp_path / "count_check.js"
    script.write_text(textwrap.dedent(COUNT_CHECK_JS).lstrip())
    d = diagnose_command([NODE, str(script)])
    flaw = line_of(COUNT_CHECK_JS, "FLAW")
    d.expect("uncaught-exception", exit_code=1,
             summary=rf"^uncaught JS RangeError: count out of range: 70 in parse \(count_check\.js:{flaw}\)$")
    assert d.verdict.native_stack[1].function == "Object.<anonymous>", d
    assert all(not f.module.startswith("node/") for f in d.verdict.native_stack[:2]), d
    diagnose_command([NODE, str(script), "caught"]).expect("ok", exit_code=0)


@requires_node
def test_a_thrown_value_that_is_no_error_is_named_by_its_place(tmp_path, diagnose_command):
    script = tmp_path / "throw_string.js"
    script.write_text('throw "widget table corrupt";\n')
    d = diagnose_command([NODE, str(script)])
    d.expect("uncaught-exception", exit_code=1, summary=r"^uncaught JS value: widget table corrupt in throw \(throw_string\.js:1\)$")


# V8's and node's words this machine's node does not print, recorded where their users reported them.
# Node 12, WiseLibs/better-sqlite3 issue 314: an addon used a failed call's result (a native stack without its title).
NODE_EMPTY_MAYBE_LOCAL = """\
FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal.
 1: 0x9d33e0 node::Abort() [node]
 2: 0x9d4596 node::OnFatalError(char const*, char const*) [node]
 3: 0xb32b8a v8::Utils::ReportApiFailure(char const*, char const*) [node]
 4: 0x7f34483d2d09 Require(v8::Local<v8::Object>, char const*) [/root/Bot/node_modules/better-sqlite3/build/better_sqlite3.node]
 5: 0x7f34483d3c6e Integer::Init(v8::Isolate*, v8::Local<v8::Object>, v8::Local<v8::Object>) [/root/Bot/node_modules/better-sqlite3/build/better_sqlite3.node]
 6: 0x7f34483d65f7 RegisterModule(v8::Local<v8::Object>, v8::Local<v8::Object>) [/root/Bot/node_modules/better-sqlite3/build/better_sqlite3.node]
 7: 0x9affd7  [node]
 8: 0x9af1f2 node::binding::DLOpen(v8::FunctionCallbackInfo<v8::Value> const&) [node]
 9: 0xb9ec19  [node]
10: 0xba0a07 v8::internal::Builtin_HandleApiCall(int, unsigned long*, v8::internal::Isolate*) [node]
11: 0x136d639  [node]
Aborted (core dumped)
"""
# Node 25, nodejs/node issue 62114: a check inside V8 itself, in a release build that names no place.
NODE_V8_CHECK = """\
#
# Fatal error in , line 0
# Check failed: !is_null().
#
#
#
#FailureMessage Object: 0x1730e1eb8
----- Native stack trace -----
 1: 0x102834b34 node::NodePlatform::GetStackTracePrinter()::$_0::__invoke() [/Users/ronagy/.nvm/versions/node/v25.6.1/bin/node]
 2: 0x10424c910 V8_Fatal(char const*, ...) [/Users/ronagy/.nvm/versions/node/v25.6.1/bin/node]
"""
# An embedder of V8 without node's handler (d8-like), as quoted in a V8 embedding tutorial.
V8_NO_HANDLE_SCOPE = """\
#
# Fatal error in v8::HandleScope::CreateHandle()
# Cannot create a handle without a HandleScope
#
"""


def aborted(stderr: str, signal: int):
    from faultlab.diagnosis.outcome import Outcome

    return Outcome(argv=("recorded",), exit_code=None, signal=signal, timed_out=False, duration_s=0.0, stdout="", stderr=stderr)


def test_an_empty_maybelocal_used_by_an_addon_is_a_swallowed_error_naming_the_addon_frame():
    from faultlab import classify

    verdict = classify(aborted(NODE_EMPTY_MAYBE_LOCAL, 6))
    assert (verdict.kind, verdict.mode) == ("ffi-rule-violation", "swallowed-error"), verdict
    assert verdict.summary == ("FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal. in "
                               "Require(v8::Local<v8::Object>, char const*) (better_sqlite3.node)"), verdict


def test_v8s_own_check_is_a_trap_with_its_message_and_an_api_check_is_the_rule_it_names():
    from faultlab import classify

    check = classify(aborted(NODE_V8_CHECK, 5))
    assert (check.kind, check.summary) == ("trap", "V8 fatal error: Check failed: !is_null()."), check
    scope = classify(aborted(V8_NO_HANDLE_SCOPE, 5))
    assert (scope.kind, scope.mode) == ("ffi-rule-violation", "lifetime"), scope
    assert scope.summary == "V8 fatal error in v8::HandleScope::CreateHandle(): Cannot create a handle without a HandleScope"


@pytest.mark.parametrize("stderr", [GO_1_21_POINTER_CHECK, GO_1_23_CGO_NULL, NODE_EMPTY_MAYBE_LOCAL, V8_NO_HANDLE_SCOPE],
                         ids=["go-panic", "go-signal", "node-fatal-error", "v8-fatal-error"])
def test_a_runtimes_fatal_words_in_a_run_that_exits_0_decide_nothing(stderr):
    from faultlab import classify

    assert classify(go_outcome(stderr, exit_code=0)).kind == "ok"


# --- stack overflows, each runtime's own words ----------------------------------------------------

RECURSING_RUST = """
fn recurse(depth: u64) -> u64 {
    let frame = [depth; 64];
    if depth == u64::MAX { 0 } else { recurse(depth + 1) + frame[3] } // FLAW: no base case is ever reached
}
fn main() { println!("{}", recurse(0)); }
"""

RECURSING_GO = """
package main

func recurse(depth int) int {
	var frame [64]int
	frame[3] = depth
	return recurse(depth+1) + frame[3] // FLAW: no base case
}

func main() { println(recurse(0)) }
"""


@requires_rustc
def test_a_rust_thread_that_overflows_its_stack_is_a_stack_overflow(tmp_path, diagnose_command):
    d = diagnose_command([str(rustc(tmp_path, RECURSING_RUST, "recursing"))])
    d.expect("stack-overflow", signal="SIGABRT", summary=r"^thread 'main'.* has overflowed its stack in recursing::recurse")


@requires_go
def test_a_goroutine_that_overflows_its_stack_is_a_stack_overflow(tmp_path, diagnose_command):
    (tmp_path / "recursing.go").write_text(textwrap.dedent(RECURSING_GO).lstrip())
    env = {**os.environ, **go_build.offline_environment(tmp_path)}
    done = subprocess.run([GO, "build", "-o", "recursing", "recursing.go"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    d = diagnose_command([str(tmp_path / "recursing")])
    d.expect("stack-overflow", exit_code=2, summary=r"^runtime: goroutine stack exceeds \d+-byte limit in main\.recurse")
