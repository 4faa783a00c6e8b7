"""Report sources of other runtimes, read from real programs: a Rust panic, HotSpot's -Xcheck:jni.

Each program is built here, under the test's tmp_path, and run through ``faultlab.run``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import build_jni_program

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
