"""The runner against hostile children: each gets a verdict in bounded time, and nothing is left running.

A child runs in its own process group (its pgid is its pid); after ``run()`` returns, no
live process may remain in that group, and a grandchild that wrote its pid file must be
gone too. Output goes to files, so floods, closed streams and bad bytes cannot block or
break the reader.
"""

import os
import re
import shutil
import sys
import textwrap

import pytest
from processes import assert_group_gone, gone

from faultlab import classify, run
from faultlab.diagnosis import runner
from faultlab.lab import execute

PYTHON = sys.executable
requires_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb prints the native stacks of a hung child")
requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the C snippet")


def run_code(code: str, **options):
    return run([PYTHON, "-c", textwrap.dedent(code)], **options)


# A grandchild that ignores SIGTERM and would sleep for a minute; it writes its pid file
# only once SIGTERM is ignored, and the child waits for that file.
START_STUBBORN_GRANDCHILD = """
    import os, subprocess, sys, time
    pid_file = {pid_file!r}
    subprocess.Popen([sys.executable, "-c", '''
    import os, signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open({pid_file!r} + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename({pid_file!r} + ".tmp", {pid_file!r})
    time.sleep(60)
    '''])
    while not os.path.exists(pid_file):
        time.sleep(0.01)
    print(os.getpgid(0), flush=True)
"""


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(tmp_path):
    outcome = run_code("""
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(os.getpgid(0), flush=True)
        while True:
            time.sleep(0.01)
    """, timeout=1, use_gdb=False)
    verdict = classify(outcome)
    assert outcome.timed_out and (verdict.kind, verdict.signal) == ("hang", "SIGKILL"), outcome
    assert_group_gone(int(outcome.stdout))


def test_a_grandchild_outliving_its_parent_is_killed(tmp_path):
    pid_file = str(tmp_path / "grandchild.pid")
    outcome = run_code(START_STUBBORN_GRANDCHILD.format(pid_file=pid_file), timeout=20)
    assert (classify(outcome).kind, outcome.timed_out) == ("ok", False), outcome
    assert_group_gone(int(outcome.stdout))
    assert gone(int(open(pid_file).read()))


def test_a_hung_child_and_its_stubborn_grandchild_are_killed(tmp_path):
    pid_file = str(tmp_path / "grandchild.pid")
    code = START_STUBBORN_GRANDCHILD.format(pid_file=pid_file) + "    time.sleep(60)\n"
    outcome = run_code(code, timeout=2, use_gdb=False)
    assert outcome.timed_out and classify(outcome).kind == "hang", outcome
    assert_group_gone(int(outcome.stdout))
    assert gone(int(open(pid_file).read()))


def test_a_flood_on_stderr_is_capped_keeping_head_and_tail():
    outcome = run_code("""
        import os
        os.write(2, b"first line\\n")
        chunk = b"e" * (1 << 20)
        for _ in range(200):
            os.write(2, chunk)
        os.write(2, b"\\nlast line\\n")
        print("done")
    """, timeout=60)
    assert (outcome.exit_code, outcome.truncated, outcome.stdout) == (0, True, "done\n")
    assert outcome.stderr.startswith("first line\n") and outcome.stderr.endswith("\nlast line\n")
    omitted = int(re.search(r"\n\[\.\.\. faultlab: (\d+) bytes omitted \.\.\.\]\n", outcome.stderr).group(1))
    assert omitted == (200 << 20) + len("first line\n\nlast line\n") - runner.OUTPUT_CAP
    assert len(outcome.stderr) < runner.OUTPUT_CAP + 100
    assert classify(outcome).kind == "ok"


def test_a_child_that_closes_stdout_and_stderr_still_gets_a_verdict():
    outcome = run_code("""
        import os, sys, time
        print(os.getpgid(0), flush=True)
        os.close(1)
        os.write(2, b"stdout is closed\\n")
        os.close(2)
        time.sleep(60)
    """, timeout=1, use_gdb=False)
    assert outcome.stderr == "stdout is closed\n" and classify(outcome).kind == "hang", outcome
    assert_group_gone(int(outcome.stdout))


def test_a_child_that_closes_stdout_and_exits():
    outcome = run_code("""
        import os, sys
        os.close(1)
        sys.stderr.write("stdout is closed\\n")
        os._exit(3)
    """)
    verdict = classify(outcome)
    assert (verdict.kind, verdict.exit_code, outcome.stdout) == ("exit-nonzero", 3, ""), outcome
    assert verdict.evidence == ("exit status 3", "stdout is closed")


def test_invalid_utf8_is_kept_as_backslash_escapes():
    outcome = run_code(r"""
        import os
        os.write(1, b"caf\xc3\xa9 \xff\xfe\n")
        os.write(2, b"\xed\xa0\xbd \xc0\x80\n")
    """)
    assert outcome.stdout == "café \\xff\\xfe\n"
    assert outcome.stderr == "\\xed\\xa0\\xbd \\xc0\\x80\n"
    assert classify(outcome).kind == "ok"


def test_the_timeout_dumps_every_python_thread():
    outcome = run_code("""
        import threading
        def worker_spins():
            while True:
                pass
        def main_waits(thread):
            thread.join()
        worker = threading.Thread(target=worker_spins, daemon=True)
        worker.start()
        main_waits(worker)
    """, timeout=1, use_gdb=False)
    assert outcome.timed_out, outcome
    assert re.search(r'^Thread 0x[0-9a-f]+ \(most recent call first\):\n  File "<string>", line \d+ in worker_spins$',
                     outcome.stderr, re.MULTILINE), outcome.stderr
    assert re.search(r'^Current thread 0x[0-9a-f]+ \(most recent call first\):\n(?:  File .*\n)*'
                     r'  File "<string>", line 7 in main_waits$', outcome.stderr, re.MULTILINE), outcome.stderr
    verdict = classify(outcome)
    assert verdict.kind == "hang"
    dumps = [t for t in verdict.threads if "(most recent call first)" in t]
    assert [d.split(" 0x")[0] for d in dumps] == ["Thread", "Current thread"], verdict.threads
    assert "worker_spins (<string>:" in dumps[0] and "main_waits (<string>:7)" in dumps[1]
    assert len(outcome.threads) == 2 and {t.state for t in outcome.threads} <= {"R", "S"}


@requires_gdb
@requires_gcc
def test_the_timeout_collects_native_stacks_with_gdb(compile_c):
    path = compile_c("void spin_in_c(void) { for (volatile unsigned long i = 0;; i++) ; }\n", "spin")
    outcome = run_code(f"import ctypes\nctypes.CDLL({str(path)!r}).spin_in_c()\n", timeout=1)
    assert outcome.timed_out
    (thread,) = outcome.threads
    assert thread.state == "R" and any(" spin_in_c " in frame for frame in thread.native_stack), thread
    verdict = classify(outcome)
    assert verdict.kind == "hang" and verdict.summary.endswith("in spin_in_c (spin.c:1)"), verdict
    assert verdict.native_stack[0].function == "spin_in_c"


def test_faulthandler_is_on_in_a_grandchild_python():
    outcome = run_code("""
        import subprocess, sys
        crashed = subprocess.run([sys.executable, "-c", "import ctypes; ctypes.string_at(0)"])
        sys.exit(0 if crashed.returncode == 0 else 1)
    """, timeout=20)
    assert outcome.exit_code == 1
    assert re.search(r'^Fatal Python error: Segmentation fault\n\nCurrent thread 0x[0-9a-f]+ \(most recent call first\):\n'
                     r'  File ".*ctypes/__init__\.py", line \d+ in string_at\n  File "<string>", line 1 in <module>',
                     outcome.stderr, re.MULTILINE), outcome.stderr
    assert classify(outcome).kind == "segv"


def test_the_timeout_dumps_the_grandchild_python_too():
    outcome = run_code('''
        import subprocess, sys
        def child_waits():
            subprocess.run([sys.executable, "-c", """
        import time
        def grandchild_sleeps():
            time.sleep(60)
        grandchild_sleeps()
        """])
        child_waits()
    ''', timeout=2, use_gdb=False)
    assert outcome.timed_out
    assert len(re.findall(r"^Current thread 0x[0-9a-f]+ \(most recent call first\):", outcome.stderr, re.MULTILINE)) == 2
    assert re.search(r'line \d+ in grandchild_sleeps$', outcome.stderr, re.MULTILINE), outcome.stderr
    assert re.search(r'line \d+ in child_waits$', outcome.stderr, re.MULTILINE), outcome.stderr


@pytest.mark.parametrize("sanitizer, report", [
    ("none", r"^MemoryError$"),
    # ASan and TSan reserve terabytes of shadow, so RLIMIT_AS is not theirs: their allocator refuses.
    ("asan", r"ERROR: AddressSanitizer: requested allocation size 0x40000001 .*exceeds maximum supported size of 0x10000000"),
    ("tsan", r"ERROR: ThreadSanitizer: requested allocation size 0x40000001 exceeds maximum supported size of 0x10000000"),
])
def test_the_memory_limit_stops_a_big_allocation(sanitizer, report):
    outcome = run_code("buffer = bytearray(1 << 30)", sanitizer=sanitizer, memory_limit=256 << 20)
    assert re.search(report, outcome.stderr, re.MULTILINE), outcome.stderr
    assert classify(outcome).kind == "oom"
    small = run_code("buffer = bytearray(1 << 20)", sanitizer=sanitizer, memory_limit=256 << 20)
    assert (small.exit_code, small.stderr) == (0, ""), small


def test_a_program_that_does_not_exist():
    outcome = run(["/nonexistent/program", "--flag"])
    assert (outcome.exit_code, outcome.stderr) == (127, "faultlab: cannot start /nonexistent/program: No such file or directory")


def test_env_and_cwd_reach_the_child(tmp_path):
    outcome = run_code("import os; print(os.getcwd(), os.environ['WIDGET_MODE'], os.environ['PYTHONFAULTHANDLER'])",
                       env={**os.environ, "WIDGET_MODE": "strict"}, cwd=str(tmp_path))
    assert outcome.stdout.split() == [str(tmp_path), "strict", "1"], outcome


def test_a_callable_by_module_path_runs_in_the_child(tmp_path):
    (tmp_path / "widget_checks.py").write_text(textwrap.dedent("""
        import ctypes

        def read_address_zero():
            ctypes.string_at(0)

        def greet():
            print("hello from the child")
    """))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    crashed = execute.run_callable("widget_checks:read_address_zero", env=env, use_gdb=False)
    verdict = classify(crashed)
    assert (verdict.kind, verdict.signal) == ("segv", "SIGSEGV"), crashed
    assert [f.function for f in verdict.python_stack][:2] == ["string_at", "read_address_zero"], verdict
    fine = execute.run_callable("widget_checks:greet", env=env)
    assert (classify(fine).kind, fine.stdout) == ("ok", "hello from the child\n"), fine
    wrong = execute.run_callable("widget_checks", env=env)
    assert wrong.exit_code == 1 and "--call needs package.module:function, not 'widget_checks'" in wrong.stderr, wrong
