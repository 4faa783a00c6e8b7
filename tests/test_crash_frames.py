"""The native frame of a crash without a sanitizer: the preloaded crash handler, its file, the symbolizer.

Every crash here is real: a C library called through ctypes from a Python child, the same
C as a program of its own, a Rust program; the handler's file is the one the child wrote,
or one a hostile child put in its place.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from command_line import fail_message, faultlab
from conftest import PYTHON
from test_runtimes import requires_jdk, requires_rustc, rustc

from faultlab.diagnosis import configurations, crash_frames, crash_handler, runner, symbolize
from faultlab.diagnosis.outcome import CrashFrame

# Three different bugs. Without the handler all three say "killed by SIGSEGV/SIGABRT" (as a
# program) or "Fatal Python error: ..." (under Python), with no native function in sight.
THREE_CRASHES_C = r"""
#include <stdlib.h>
#include <string.h>

void store_count(int *counter) { *counter = 1; }                  /* FLAW: called with NULL */
void check_invariant(int count) { if (count < 0) abort(); }       /* FLAW: the invariant fails */
int read_slot(long slot) { return *(volatile int *)(0x10 + slot); }  /* FLAW: a wild address */

int main(int argc, char **argv) {
    const char *bug = argc > 1 ? argv[1] : "";
    if (!strcmp(bug, "null-write")) store_count(NULL);
    if (!strcmp(bug, "abort")) check_invariant(-1);
    if (!strcmp(bug, "wild-read")) return read_slot(0x7e57dead0000);
    return 0;
}
"""
# bug -> (the function that must be named, the signal that must end the child)
CRASHES = {
    "null-write": ("store_count", "SIGSEGV"),
    "abort": ("check_invariant", "SIGABRT"),
    "wild-read": ("read_slot", "SIGSEGV"),
}
CALLS = {"null-write": "store_count(None)", "abort": "check_invariant(-1)", "wild-read": "read_slot(0x7e57dead0000)"}

aslr_on = pytest.mark.skipif(Path("/proc/sys/kernel/randomize_va_space").read_text().strip() == "0",
                             reason="ASLR is off on this machine: the same addresses every run prove nothing")


@pytest.fixture(scope="module")
def three_crashes(tmp_path_factory):
    """The C above as a shared library and as a program, built as faultlab builds its libraries (-g -O0)."""
    where = tmp_path_factory.mktemp("three")
    (where / "three_crashes.c").write_text(THREE_CRASHES_C)
    for out, extra in (("libthree_crashes.so", ["-fPIC", "-shared"]), ("three_crashes", [])):
        done = subprocess.run(["gcc", "-g", "-O0", "-fno-omit-frame-pointer", *extra, "three_crashes.c", "-o", out],
                              cwd=where, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return where / "libthree_crashes.so", where / "three_crashes"


def through_ctypes(library: Path, bug: str) -> str:
    return f"import ctypes\nctypes.CDLL({str(library)!r}).{CALLS[bug]}\n"


def bare_returncode(argv) -> int:
    """How the child ends run by plain subprocess, with no handler of faultlab's (and, as under faultlab, no core)."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0))).returncode


# --- what the verdict says ------------------------------------------------------------------------

@pytest.mark.parametrize("bug", CRASHES)
def test_a_crash_through_ctypes_names_its_native_frame(three_crashes, diagnose_code, bug):
    function, sig = CRASHES[bug]
    d = diagnose_code(through_ctypes(three_crashes[0], bug))
    headline = "Segmentation fault" if sig == "SIGSEGV" else "Aborted"
    d.expect("segv" if sig == "SIGSEGV" else "abort", signal=sig,
             summary=rf"^Fatal Python error: {headline} in {function} \(three_crashes\.c:\d+\)$",
             stderr=rf"^Fatal Python error: {headline}\n\nCurrent thread 0x[0-9a-f]+ \(most recent call first\):")
    assert [f.function for f in d.verdict.python_stack] == ["<module>"], d


@pytest.mark.parametrize("bug", CRASHES)
def test_a_crashing_c_program_names_its_native_frame(three_crashes, bug):
    function, sig = CRASHES[bug]
    proc = faultlab(None, "diagnose", "--json", "--", str(three_crashes[1]), bug)
    assert proc.returncode == 1, fail_message(proc)
    verdict = json.loads(proc.stdout)
    assert verdict["signal"] == sig, fail_message(proc)
    assert verdict["summary"].startswith(f"killed by {sig} in {function} (three_crashes.c:"), fail_message(proc)
    assert [f["function"] for f in verdict["native_stack"] if f["module"] == "three_crashes.c"] == [function, "main"]


def test_three_different_crashes_have_three_different_signatures_in_both_forms(three_crashes, diagnose_code,
                                                                              diagnose_command):
    library, program = three_crashes
    through_python = {bug: diagnose_code(through_ctypes(library, bug)).verdict.signature for bug in CRASHES}
    as_programs = {bug: diagnose_command([program, bug]).verdict.signature for bug in CRASHES}
    assert len(set(through_python.values())) == 3, through_python
    assert len(set(as_programs.values())) == 3, as_programs


@aslr_on
def test_the_same_crash_twice_keeps_its_signature(three_crashes, diagnose_code, diagnose_command):
    library, program = three_crashes
    for run in (lambda: diagnose_code(through_ctypes(library, "wild-read")),
                lambda: diagnose_command([program, "null-write"])):
        first, second = run(), run()
        assert first.verdict.signature == second.verdict.signature, (first, second)
        # The addresses moved (ASLR), the frames did not.
        assert first.outcome.crash_frames and second.outcome.crash_frames
        assert first.verdict.native_stack == second.verdict.native_stack


@requires_rustc
def test_a_rust_program_crashing_in_an_unsafe_fn_names_it(tmp_path, diagnose_command):
    program = rustc(tmp_path, """
        unsafe fn store_through(p: *mut i32) {
            *p = 7; // FLAW: a wild pointer (not null: a debug build checks null itself and panics)
        }

        fn main() {
            unsafe { store_through(0x10 as *mut i32) }
        }
        """, "wild_store")
    d = diagnose_command([program]).expect("segv", signal="SIGSEGV",
                                           summary=r"^killed by SIGSEGV in wild_store::store_through \(wild_store\.rs:2\)$")
    assert [f.function for f in d.verdict.native_stack if f.module == "wild_store.rs"] == \
        ["wild_store::store_through", "wild_store::main"], d


def test_a_crash_in_a_forked_case_run_gets_its_native_frames():
    """The fork server's children inherit the handler from the server, and write where their own run says."""
    import faultlab
    from faultlab.lab import catalog
    from faultlab.lab.isolation import client, policy

    case = catalog.find("swallowed-error/unchecked-null")
    case.build("none", "broken")
    outcome = policy.run_case(case, "broken", "none", timeout=case.timeout, isolation="fork")
    client.shared_pool().close()
    verdict = faultlab.classify(outcome)
    assert (outcome.isolation, verdict.kind, verdict.signal) == ("fork", "segv", "SIGSEGV"), verdict
    assert any(f.module.startswith("_cffi_backend") for f in verdict.native_stack), verdict.native_stack
    # Every native frame is the runtime's (cffi reads through the NULL): the binding's line stays the culprit.
    assert verdict.summary.startswith("Fatal Python error: Segmentation fault in look_up_an_unknown_name ("), verdict


# --- the child is unchanged -----------------------------------------------------------------------

@pytest.mark.parametrize("bug", CRASHES)
def test_the_handler_changes_neither_exit_status_nor_signal(three_crashes, diagnose_command, bug):
    library, program = three_crashes
    for argv in ([str(program), bug], [PYTHON, "-c", through_ctypes(library, bug)]):
        outcome = diagnose_command(argv).outcome
        assert outcome.crash_frames, outcome
        assert -bare_returncode(argv) == outcome.signal == signal.Signals[CRASHES[bug][1]], outcome


OWN_HANDLER_C = r"""
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void on_segv(int sig) { (void)sig; _exit(7); }

int main(void) {
    struct sigaction before;
    sigaction(SIGSEGV, NULL, &before);
    printf("before: %s\n", before.sa_handler == SIG_DFL ? "SIG_DFL" : "something else");
    fflush(stdout);
    signal(SIGSEGV, on_segv);
    *(volatile int *)0 = 1;
    return 0;
}
"""


def test_a_program_sees_and_keeps_its_own_signal_handling(compile_c, diagnose_command):
    """The handler stands in for SIG_DFL: a program reads SIG_DFL, installs its own handler and that one runs."""
    program = compile_c(OWN_HANDLER_C, "own_handler", shared=False)
    d = diagnose_command([program]).expect("exit-nonzero", exit_code=7)
    assert d.outcome.stdout == "before: SIG_DFL\n" and d.outcome.crash_frames == ()
    assert bare_returncode([program]) == 7


def test_a_sanitizer_configuration_does_not_get_the_handler():
    preload = runner.child_environment(configurations.get("asan"), env={}, dump_dir="/tmp", memory_limit=None)
    assert preload["LD_PRELOAD"] == configurations.get("asan").preload()[0]
    plain = runner.child_environment(configurations.get("none"), env={"LD_PRELOAD": "/x/libmine.so"}, dump_dir="/tmp",
                                     memory_limit=None)
    assert plain["LD_PRELOAD"] == f"/x/libmine.so:{crash_handler.library()}"


GO_CGO_NULL_WRITE = """
package main

/*
static void write_null(void) { *(volatile int *)0 = 1; }
*/
import "C"

func main() { C.write_null() }
"""
JAVA_WILD_WRITE = """
public class WildWrite {
    public static void main(String[] args) throws Exception {
        java.lang.reflect.Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        ((sun.misc.Unsafe) field.get(null)).putInt(16L, 1);
    }
}
"""


@pytest.mark.skipif(shutil.which("go") is None or shutil.which("gcc") is None, reason="needs Go with cgo, and gcc")
def test_go_keeps_its_own_crash_report(tmp_path, diagnose_command):
    """Go forwards a signal from C code to a handler installed before its own: the handler must stay out of its way."""
    (tmp_path / "main.go").write_text(GO_CGO_NULL_WRITE)
    (tmp_path / "go.mod").write_text("module cgocrash\n\ngo 1.19\n")
    built = subprocess.run(["go", "build", "-o", "cgocrash", "."], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "CGO_ENABLED": "1", "GOFLAGS": "-mod=mod"}, timeout=300)
    assert built.returncode == 0, built.stderr
    program = [str(tmp_path / "cgocrash")]
    d = diagnose_command(program)
    assert d.outcome.exit_code == 2 == bare_returncode(program), d
    assert "fatal error: unexpected signal during runtime execution" in d.outcome.stderr, d
    assert d.outcome.crash_frames == ()


@requires_jdk
def test_the_jvm_keeps_its_own_crash_report(tmp_path, diagnose_command):
    from faultlab.lab import toolchain

    jdk = toolchain.find_jdk()
    (tmp_path / "WildWrite.java").write_text(JAVA_WILD_WRITE)
    javac = subprocess.run([str(jdk / "bin" / "javac"), "-d", ".", "WildWrite.java"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert javac.returncode == 0, javac.stderr
    # No -XX:-CreateCoredumpOnCrash: the JVM ends its report with abort(), a SIGABRT the handler must leave alone.
    java = [str(jdk / "bin" / "java"), f"-XX:ErrorFile={tmp_path}/hs_err_%p.log",
            "-cp", str(tmp_path), "WildWrite"]
    d = diagnose_command(java)
    assert d.outcome.signal == signal.SIGABRT and bare_returncode(java) == -signal.SIGABRT, d
    assert "A fatal error has been detected by the Java Runtime Environment" in d.outcome.stdout + d.outcome.stderr, d
    assert d.outcome.crash_frames == ()


# --- a hostile frame file -------------------------------------------------------------------------

HOSTILE = {
    # what the child leaves at $FAULTLAB_DUMP_DIR/<pid>.frames, before it kills itself
    "garbage": "open(path, 'wb').write(os.urandom(4096))",
    "huge": "f = open(path, 'wb'); f.write(b'faultlab-frames 1\\nsignal 11 code 1\\n'); "
            "f.write((b'0x1 x /' + b'a' * 200 + b'\\n') * 2_000_000); f.close()",
    "forged": "open(path, 'w').write('faultlab-frames 1\\nsignal 11 code 1\\n0x10 evil_function /dev/zero\\n"
              "0x10 other_function /proc/self/fd/0\\nend\\n')",
    "fifo": "os.mkfifo(path)",
    "symlink to /dev/zero": "os.symlink('/dev/zero', path)",
    "directory": "os.mkdir(path)",
}


@pytest.mark.parametrize("what", HOSTILE)
def test_a_hostile_frame_file_gives_a_verdict_never_a_hang(diagnose_code, what):
    d = diagnose_code(f"""
        import os, signal
        path = os.path.join(os.environ["FAULTLAB_DUMP_DIR"], f"{{os.getpid()}}.frames")
        {HOSTILE[what]}
        os.kill(os.getpid(), signal.SIGSEGV)
        """, timeout=60)
    d.expect("segv", signal="SIGSEGV")
    assert not d.outcome.timed_out
    assert len(d.outcome.crash_frames) <= crash_frames.MAX_FRAMES
    assert all(f.file == "" for f in d.outcome.crash_frames), d.outcome.crash_frames  # nothing symbolized from /dev


@pytest.mark.parametrize("text", [
    "",
    "faultlab-frames 2\nsignal 11 code 1\n0x10 f /lib/x.so\n",
    "faultlab-frames 1\nsignal 6 code 1\n0x10 f /lib/x.so\n",  # not the signal that ended the child
    "faultlab-frames 1\nsignal 11\n0x10 f /lib/x.so\n",
])
def test_a_frame_file_that_is_not_the_handlers_gives_no_frames(text):
    assert crash_frames.parse(text, signal.SIGSEGV) == ()


def test_a_frame_file_is_read_up_to_its_first_bad_line():
    text = "faultlab-frames 1\nsignal 11 code 1\n0x10 f /lib/x.so\n0x20 - /lib/y.so\n0xZZ g /lib/z.so\n0x30 h /lib/z.so\n"
    assert crash_frames.parse(text, signal.SIGSEGV) == (CrashFrame("/lib/x.so", 0x10, "f"), CrashFrame("/lib/y.so", 0x20))


# --- the symbolizer -------------------------------------------------------------------------------

def test_without_llvm_symbolizer_a_librarys_function_keeps_the_handlers_name(three_crashes, tmp_path):
    """The handler names what the loader knows (dladdr: a shared library's exported functions), with no file or line."""
    argv = [PYTHON, "-c", through_ctypes(three_crashes[0], "null-write")]
    env = runner.child_environment(configurations.get("none"), env=None, dump_dir=str(tmp_path), memory_limit=None)
    child = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    assert child.returncode == -signal.SIGSEGV, child.stderr
    pid = int(next(p.stem for p in tmp_path.glob("*.frames")))
    raw = crash_frames.read_file(str(tmp_path), pid, signal.SIGSEGV)
    named = crash_frames.symbolized(raw, symbolize.Symbolizer(program=None))
    assert ("store_count", "") in [(f.function, f.file) for f in named], named


def test_a_symbolizer_that_does_not_answer_is_killed_and_reaped(tmp_path, three_crashes):
    silent = tmp_path / "silent-symbolizer"
    silent.write_text("#!/bin/sh\nexec sleep 600\n")
    silent.chmod(0o755)
    symbolizer = symbolize.Symbolizer(program=str(silent))
    answers = symbolizer.locate([(str(three_crashes[0]), 0x1100)], timeout=0.5)
    assert answers == [()]
    assert symbolizer._proc is None  # killed and reaped: no zombie left


# Modules a forged frame file can name. Each stat()s as a regular file in faultlab's process, but the
# symbolizer would open something else (its own stdin: the query pipe, which blocks it), or data no
# object file is made of. faultlab's stdin here is a regular file, as under `faultlab diagnose < input`.
HOSTILE_MODULES = {
    "the symbolizer's own stdin": "/proc/self/fd/0",
    "faultlab's stdin": "/proc/{faultlab}/fd/0",
    "a proc file": "/proc/self/environ",
    "a file that is no object file": "{tmp}/not-elf.so",
    "a sparse 64 GiB file": "{tmp}/sparse.so",
    "a symlink to a device": "{tmp}/zero.so",
}


@pytest.mark.skipif(symbolize.command() is None, reason="llvm-symbolizer is not installed")
@pytest.mark.parametrize("module", HOSTILE_MODULES)
def test_a_forged_module_path_never_reaches_the_symbolizer(tmp_path, three_crashes, module):
    (tmp_path / "not-elf.so").write_text("root:x:0:0:root:/root:/bin/sh\n" * 10)
    with open(tmp_path / "sparse.so", "wb") as f:
        f.write(b"\x7fELF")
        f.truncate(64 << 30)
    (tmp_path / "zero.so").symlink_to("/dev/zero")
    (tmp_path / "stdin").write_text("a regular file\n")
    symbols = subprocess.run(["nm", str(three_crashes[0])], capture_output=True, text=True, check=True).stdout
    (store_count,) = [int(line.split()[0], 16) for line in symbols.splitlines() if line.endswith(" store_count")]
    listening = tmp_path / "listening-symbolizer"  # the real one, its queries kept in a log
    listening.write_text(f'#!/bin/sh\ntee -a {tmp_path}/queries | {symbolize.command()} "$@"\n')
    listening.chmod(0o755)
    code = f"""
import json, os, sys
from faultlab.diagnosis import symbolize
path = {HOSTILE_MODULES[module]!r}.format(faultlab=os.getpid(), tmp={str(tmp_path)!r})
symbolizer = symbolize.Symbolizer({str(listening)!r})
answers = symbolizer.locate([(path, 0x10), ({str(three_crashes[0])!r}, {store_count})], timeout=5)
print(json.dumps({{"alive": symbolizer._proc is not None,
                  "hostile": answers[0], "real": answers[1]}}))
"""
    with open(tmp_path / "stdin", "rb") as stdin:
        child = subprocess.run([PYTHON, "-c", code], stdin=stdin, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    reply = json.loads(child.stdout)
    # Never asked about, so never stalled on and never killed for it (a stall is killed at its 5 s bound).
    assert reply["hostile"] == [] and reply["alive"], reply
    assert (tmp_path / "queries").read_text().count("\n") == 1, (tmp_path / "queries").read_text()
    assert "store_count" in [place[0] for place in reply["real"]], reply  # the real module still answered

