"""The watchdog stops a deadlocked child early, and lets every look-alike run to its timeout.

A deadlock is called once every thread has stood still in a lock wait and the native
stacks agree; the verdict says when the stall began and when it was called. What only
looks stuck (sleeping, polling, reading a pipe, a timed condition wait that wakes every
5 ms like the GIL's) is a ``hang`` at the timeout. The deadlocks get a generous timeout,
so a verdict that comes early cannot be luck; the look-alikes a short one.
"""

import platform
import subprocess
import shutil

import pytest

from faultlab.diagnosis import hang, stall
from faultlab.diagnosis.outcome import Outcome
from faultlab.diagnosis.verdict import Verdict
from faultlab.lab import catalog
from faultlab.lab.execute import run_case

requires_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb's native stacks confirm a deadlock")
requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the C programs")

DEADLOCK_TIMEOUT_S = 20.0
LOOK_ALIKE_TIMEOUT_S = 2.0

# Three threads, three mutexes taken in a cycle: A then B, B then C, C then A.
LOCK_CYCLE_C = r"""
#include <pthread.h>
static pthread_mutex_t locks[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t each_holds_one;
static void *take_two(void *arg) {
    long i = (long)arg;
    pthread_mutex_lock(&locks[i]);
    pthread_barrier_wait(&each_holds_one);
    pthread_mutex_lock(&locks[(i + 1) % 3]); /* FLAW: the three threads wait in a circle */
    pthread_mutex_unlock(&locks[(i + 1) % 3]);
    pthread_mutex_unlock(&locks[i]);
    return 0;
}
int main(void) {
    pthread_t threads[3];
    pthread_barrier_init(&each_holds_one, 0, 3);
    for (long i = 0; i < 3; i++)
        pthread_create(&threads[i], 0, take_two, (void *)i);
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], 0);
    return 0;
}
"""

# Each look-alike's main thread waits in pthread_join (an untimed futex wait, the same as a
# lock's) for a worker that never ends; only the worker's wait differs from a deadlock.
JOINED_WORKER_C = r"""
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
static void *worker(void *arg) {
    (void)arg;
%s
    return 0;
}
int main(void) {
    pthread_t thread;
    pthread_create(&thread, 0, worker, 0);
    pthread_join(thread, 0);
    return 0;
}
"""

SLEEPING = "    for (;;) sleep(1);"
POLLING = """
    int fds[2];
    pipe(fds);
    struct pollfd readable = {fds[0], POLLIN, 0};
    for (;;) poll(&readable, 1, 100); /* nobody writes: every poll times out */
"""
# Like CPython's take_gil: a condition wait of 5 ms, again and again, that nobody signals.
TIMED_CONDITION_WAIT = """
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&lock);
    for (;;) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 5000000;
        if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&changed, &lock, &deadline);
    }
"""

# The reader is alone: a thread reading a pipe beside threads waiting on locks is read by
# the classifier as a parent waiting for a child, which counts towards a deadlock.
PIPE_READ_C = r"""
#include <unistd.h>
int main(void) {
    int fds[2];
    char byte;
    pipe(fds);
    return (int)read(fds[0], &byte, 1); /* the write end is ours and stays open: no EOF, no data */
}
"""


def assert_called_early(d, threads: int):
    v = d.verdict
    assert v.kind == "deadlock", d
    assert v.summary.startswith("stalled for "), d
    assert f"; {threads} threads, all blocked on locks" in v.summary, d
    assert v.stalled_at_s is not None and v.called_at_s is not None, d
    # stalled_at_s is recorded only by the early call; at the timeout there is none.
    assert 0 <= v.stalled_at_s < v.called_at_s < DEADLOCK_TIMEOUT_S, d
    assert v.signal == "SIGTERM", d


def assert_ran_to_the_timeout(d):
    v = d.verdict
    assert v.kind == "hang", d
    assert v.summary.startswith("timed out; "), d
    assert v.stalled_at_s is None, d
    assert v.called_at_s is not None and v.called_at_s >= LOOK_ALIKE_TIMEOUT_S, d


@requires_gdb
@pytest.mark.parametrize("case_id, frame", [("threading/gil-lock-order-deadlock", "gl_flush"),
                                            ("threading/reentrant-callback-deadlock", "rc_count")])
def test_the_catalog_deadlocks_are_called_early(case_id, frame):
    result = run_case(catalog.find(case_id), "broken", "none", timeout=DEADLOCK_TIMEOUT_S)
    v = result.verdict
    assert v.kind == "deadlock", v
    assert v.stalled_at_s is not None and v.stalled_at_s < v.called_at_s < DEADLOCK_TIMEOUT_S, v
    assert frame in v.summary and result.passed, result.mismatch()


@requires_gdb
def test_the_gil_lock_order_deadlock_waits_for_the_timeout_when_early_calls_are_off():
    result = run_case(catalog.find("threading/gil-lock-order-deadlock"), "broken", "none", timeout=2.0,
                      deadlock_after=None)
    v = result.verdict
    assert (v.kind, v.stalled_at_s) == ("deadlock", None), v
    assert v.summary.startswith("timed out; 2 threads, all blocked on locks"), v
    assert v.called_at_s >= 2.0, v


@requires_gcc
@requires_gdb
def test_a_three_thread_lock_cycle_is_called_early(compile_c, diagnose_command):
    program = compile_c(LOCK_CYCLE_C, "lock_cycle", shared=False)
    d = diagnose_command([str(program)], timeout=DEADLOCK_TIMEOUT_S)
    assert_called_early(d, threads=4)
    assert sum("take_two (lock_cycle.c:" in line for line in d.verdict.threads) == 3, d


@requires_gcc
def test_a_lock_cycle_is_called_early_from_proc_alone(compile_c, diagnose_command):
    """Without gdb, untimed futex waits (wchan and the futex call's arguments) are evidence enough."""
    program = compile_c(LOCK_CYCLE_C, "lock_cycle", shared=False)
    d = diagnose_command([str(program)], timeout=DEADLOCK_TIMEOUT_S, use_gdb=False)
    assert_called_early(d, threads=4)
    assert all(not t.timed_wait and "futex" in t.wchan for t in d.outcome.threads), d


@requires_gcc
def test_with_early_calls_off_a_lock_cycle_waits_for_the_timeout(compile_c, diagnose_command):
    program = compile_c(LOCK_CYCLE_C, "lock_cycle", shared=False)
    d = diagnose_command([str(program)], timeout=LOOK_ALIKE_TIMEOUT_S, use_gdb=False, deadlock_after=0)
    assert d.verdict.kind == "deadlock", d
    assert d.verdict.summary.startswith("timed out; 4 threads, all blocked on locks"), d
    assert d.verdict.stalled_at_s is None and d.verdict.called_at_s >= LOOK_ALIKE_TIMEOUT_S, d


@requires_gcc
@requires_gdb
@pytest.mark.parametrize("name, body", [("sleeping", SLEEPING), ("polling", POLLING),
                                        ("timed_condition_wait", TIMED_CONDITION_WAIT)])
def test_a_worker_that_only_looks_stuck_is_a_hang_at_the_timeout(compile_c, diagnose_command, name, body):
    program = compile_c(JOINED_WORKER_C % body, name, shared=False)
    d = diagnose_command([str(program)], timeout=LOOK_ALIKE_TIMEOUT_S)
    assert_ran_to_the_timeout(d)
    assert len(d.outcome.threads) == 2, d


@requires_gcc
@pytest.mark.skipif(shutil.which("eu-stack") is None and shutil.which("gdb") is None, reason="stacks name a bystander")
@pytest.mark.parametrize("name, body", [("sleeping", SLEEPING), ("polling", POLLING),
                                        ("timed_condition_wait", TIMED_CONDITION_WAIT)])
def test_a_sleeper_that_is_no_runtime_bystander_is_no_deadlock(compile_c, diagnose_command, name, body):
    """A watch that lets libFuzzer's RSS thread sleep beside a stall still wants its stack: a
    program's own sleeper beside a join (nominated now) is refuted by the native stacks."""
    program = compile_c(JOINED_WORKER_C % body, name, shared=False)
    d = diagnose_command([str(program)], timeout=LOOK_ALIKE_TIMEOUT_S, bystander=stall.LIBFUZZER_BYSTANDER)
    assert_ran_to_the_timeout(d)


@requires_gcc
@pytest.mark.skipif(shutil.which("eu-stack") is None and shutil.which("gdb") is None, reason="stacks name a bystander")
def test_a_lock_cycle_beside_a_named_bystander_is_called_early(compile_c, diagnose_command):
    """The lock cycle plus a thread asleep in a function the watch was told is a runtime's own."""
    source = LOCK_CYCLE_C.replace("int main(void) {", """
#include <unistd.h>
__attribute__((noinline)) static void *memory_watcher(void *arg) { for (;;) sleep(1); return arg; }
int main(void) {
    pthread_t watcher;
    pthread_create(&watcher, 0, memory_watcher, 0);""")
    program = compile_c(source, "lock_cycle_watched", shared=False)
    d = diagnose_command([str(program)], timeout=DEADLOCK_TIMEOUT_S, bystander=r"\bmemory_watcher\b")
    assert_called_early(d, threads=5)  # the three in the cycle, main's join, the watcher
    unwatched = diagnose_command([str(program)], timeout=LOOK_ALIKE_TIMEOUT_S)
    assert unwatched.verdict.stalled_at_s is None, unwatched  # without the bystander named, only the timeout


@requires_gcc
def test_a_blocking_read_on_a_pipe_is_a_hang_at_the_timeout(compile_c, diagnose_command):
    program = compile_c(PIPE_READ_C, "pipe_read", shared=False)
    d = diagnose_command([str(program)], timeout=LOOK_ALIKE_TIMEOUT_S)
    assert_ran_to_the_timeout(d)
    assert "pipe_read" in d.outcome.threads[0].wchan, d


def test_a_python_thread_in_a_timed_wait_beside_a_join_is_a_hang(diagnose_code):
    d = diagnose_code("""
        import threading
        def wait_for_news():
            news = threading.Event()
            while not news.wait(0.005):  # a timed wait on a lock, 200 times a second
                pass
        worker = threading.Thread(target=wait_for_news)
        worker.start()
        worker.join()
    """, timeout=LOOK_ALIKE_TIMEOUT_S)
    assert_ran_to_the_timeout(d)


def test_python_threads_in_a_lock_cycle_are_called_early(diagnose_code):
    d = diagnose_code("""
        import threading
        first, second = threading.Lock(), threading.Lock()
        both_hold_one = threading.Barrier(2)
        def take(held, wanted):
            with held:
                both_hold_one.wait()
                with wanted:
                    pass
        threads = [threading.Thread(target=take, args=(first, second)), threading.Thread(target=take, args=(second, first))]
        for t in threads: t.start()
        for t in threads: t.join()
    """, timeout=DEADLOCK_TIMEOUT_S)
    assert_called_early(d, threads=3)
    assert sum(line.startswith("Thread 0x") and "take (<string>:" in line for line in d.verdict.threads) == 2, d


# /proc/<pid>/task/<tid>/syscall of a program with a thread in each wait, x86_64:
#   gcc -pthread waits.c -o waits && ./waits & cat /proc/$!/task/*/syscall
@pytest.mark.skipif(platform.machine() != "x86_64", reason="recorded with x86_64's system call numbers")
@pytest.mark.parametrize("line, expected", [
    ("202 0x55a8f28ef080 0x80 0x2 0x0 0x0 0x0 0x7fe829f3be98 0x7fe82a7c712b", ("0x55a8f28ef080", False)),  # mutex_lock
    ("202 0x55a8f28ef0e8 0x189 0x0 0x0 0x0 0xffffffff 0x7fe82973ad90 0x7fe82a7c6f16", ("0x55a8f28ef0e8", False)),  # cond_wait
    ("202 0x55a8f28ef0e8 0x189 0x0 0x7fe82a73ce90 0x0 0xffffffff 0x7fe82a73cd70 0x7fe82a7c6f16",
     ("0x55a8f28ef0e8", True)),  # cond_timedwait
    ("202 0x55a8f28ef0e8 0x81 0x1 0x0 0x0 0x0 0x7fe82a73cd70 0x7fe82a7c6f16", None),  # FUTEX_WAKE sleeps on nothing
    ("0 0x3 0x7ffdb04f063f 0x1 0x7fe82a750b60 0x0 0x7ffdb04f0547 0x7ffdb04f0600 0x7fe82a8392ec", None),  # read
    ("running", None),
    ("", None),
])
def test_the_futex_call_says_whether_a_wait_is_timed(line, expected):
    assert hang.futex_wait(line) == expected


def test_verdicts_and_outcomes_written_before_the_early_call_still_load():
    old_thread = {"pid": 1, "tid": 1, "state": "S", "wchan": "futex_wait_queue", "native_stack": ["#0 futex_wait"]}
    outcome = Outcome.from_dict({"argv": ["x"], "exit_code": None, "signal": 15, "timed_out": True, "duration_s": 4.0,
                                 "stdout": "", "stderr": "", "threads": [old_thread]})
    assert (outcome.stalled_at_s, outcome.called_at_s, outcome.threads[0].timed_wait) == (None, None, False)
    verdict = Verdict.from_dict({"kind": "deadlock", "mode": "threading", "cwe": "CWE-833", "security": False,
                                 "summary": "timed out; 1 threads, all blocked on locks"})
    assert (verdict.stalled_at_s, verdict.called_at_s) == (None, None)
    assert Verdict.from_dict(verdict.to_dict()) == verdict


def test_a_helper_tools_output_is_read_bounded_and_the_tool_never_outlives_it():
    """gdb's and eu-stack's output is made of the child's symbol names: a flood is cut at the
    cap, a tool that stops talking is cut at the timeout, and neither is left running."""
    flood = hang.tool_output(["yes", "0123456789abcdef"], timeout=60, cap=1 << 16)
    assert len(flood) == 1 << 16 and flood.startswith("0123456789abcdef\n")
    mute = hang.tool_output(["sh", "-c", "echo begun; exec sleep 600"], timeout=0.5)
    assert mute == "begun\n"
    leftovers = subprocess.run(["pgrep", "-f", "^(yes 0123456789abcdef|sleep 600)$"], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout
    assert hang.tool_output(["/nonexistent/tool"], timeout=1) == ""
