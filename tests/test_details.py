"""What a verdict keeps beyond its first stack: every stack of a sanitizer report, and who waits for which lock.

The report stacks are read from outputs recorded from real runs (tests/fixtures/outputs/);
the lock waits from real deadlocks, stopped by the watchdog and read by /proc and gdb.
"""

import ctypes
import os
import shutil
import threading

import pytest

from faultlab.diagnosis import hang
from faultlab.diagnosis.outcome import Outcome
from faultlab.diagnosis.report_stacks import MAX_FRAMES, MAX_STACKS, MAX_TITLE, report_stacks
from faultlab.diagnosis.classify import classify
from faultlab.lab import catalog
from faultlab.lab.execute import run_case

requires_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb reads the stacks and the GIL's holder")
requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the C program")


def titles_and_top(stacks) -> list[tuple[str, list[str]]]:
    return [(s.title, [f.function for f in s.frames[:2]]) for s in stacks]


def test_an_asan_double_free_keeps_its_three_stacks(recorded_output):
    command, text = recorded_output("asan-double-free.txt")
    stacks = report_stacks(text)
    assert [t for t, _ in titles_and_top(stacks)] == [
        "ERROR: AddressSanitizer: attempting double-free on 0x60c000146ec0 in thread T0:",
        "freed by thread T0 here:", "previously allocated by thread T0 here:"], command
    assert [top for _, top in titles_and_top(stacks)] == [
        ["__interceptor_free", "sess_close"], ["__interceptor_free", "sess_close"],
        ["__interceptor_malloc", "sess_open"]], command


def test_an_asan_use_after_free_keeps_the_access_the_free_and_the_allocation(recorded_output):
    command, text = recorded_output("asan-heap-use-after-free.txt")
    titles = [s.title for s in report_stacks(text)]
    assert titles[0].startswith("READ of size 4 at 0x602000008a50 thread T0"), command
    assert titles[1:] == ["freed by thread T0 here:", "previously allocated by thread T0 here:"], command


def test_a_tsan_lock_order_inversion_keeps_its_cycle_and_its_mutex_stacks(recorded_output):
    command, text = recorded_output("tsan-lock-order-inversion.txt")
    stacks = report_stacks(text)
    assert stacks[0].title == "Cycle in lock order graph: M382 (0x7b100015ef40) => M383 (0x7b100015ee00) => M382"
    assert stacks[0].frames == ()
    assert [s.title for s in stacks[1:5]] == [
        "Mutex M383 acquired here while holding mutex M382 in thread T1:",
        "Mutex M382 previously acquired by the same thread here:",
        "Mutex M382 acquired here while holding mutex M383 in thread T2:",
        "Mutex M383 previously acquired by the same thread here:"], command
    assert all("lo_transfer" in [f.function for f in s.frames] for s in stacks[1:5]), command


def test_a_tsan_data_race_keeps_both_accesses(recorded_output):
    command, text = recorded_output("tsan-data-race.txt")
    titles = [s.title for s in report_stacks(text)]
    assert titles[0].startswith("Read of size 8 at ") and titles[0].endswith("by thread T1:"), command
    assert titles[1].startswith("Previous write of size 8 at "), command


def test_a_flood_of_stacks_and_a_huge_title_stay_bounded():
    frame = "    #0 0x7f0000001000 in f /x.c:1\n"
    text = "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n" + (
        "T" * 100_000 + " here:\n" + frame * 500 + "\n") * 1000
    stacks = report_stacks(text)
    assert len(stacks) == MAX_STACKS
    assert all(len(s.title) <= MAX_TITLE + 1 and len(s.frames) <= MAX_FRAMES for s in stacks)


def test_output_without_a_sanitizer_report_has_no_report_stacks():
    assert report_stacks("Traceback (most recent call last):\n    #0 0x1 in f /x.c:1\n") == ()


def test_a_mutex_names_its_owner_in_memory():
    """glibc's pthread_mutex_t keeps its owner's tid at offset 8: read from /proc/<pid>/mem."""
    libc = ctypes.CDLL(None)
    mutex = ctypes.create_string_buffer(64)
    assert libc.pthread_mutex_lock(mutex) == 0
    try:
        tid = threading.get_native_id()
        address = hex(ctypes.addressof(mutex))
        assert hang.mutex_owner(os.getpid(), address, [tid]) == tid
        assert hang.mutex_owner(os.getpid(), address, [tid + 1]) is None  # not a thread of the process: no answer
    finally:
        libc.pthread_mutex_unlock(mutex)
    assert hang.mutex_owner(os.getpid(), hex(ctypes.addressof(mutex)), [tid]) is None  # unlocked: nobody


def graph(waits) -> dict[str, tuple[str, str]]:
    return {w.thread: (w.lock, w.owner) for w in waits}


@requires_gdb
def test_the_gil_deadlock_waits_in_a_cycle_through_the_gil():
    v = run_case(catalog.find("threading/gil-lock-order-deadlock"), "broken", "none", timeout=20.0).verdict
    assert v.kind == "deadlock", v
    edges = graph(v.lock_waits)
    (mutex_waiter, (mutex, holder)), = [(t, e) for t, e in edges.items() if e[0].startswith("mutex 0x")]
    assert edges[holder] == ("the GIL", mutex_waiter), v.lock_waits
    waiter = next(w for w in v.lock_waits if w.thread == mutex_waiter)
    assert [f.function for f in waiter.native[:1]] == ["gl_flush"], waiter
    assert "flush_holding_the_gil" in [f.function for f in waiter.python], waiter


@requires_gdb
def test_a_reentrant_lock_waits_for_itself():
    v = run_case(catalog.find("threading/reentrant-callback-deadlock"), "broken", "none", timeout=20.0).verdict
    (thread, (lock, owner)), = graph(v.lock_waits).items()
    assert lock.startswith("mutex 0x") and owner == thread, v.lock_waits


@requires_gcc
def test_three_threads_in_a_lock_cycle_each_wait_for_the_next(compile_c, diagnose_command):
    from test_deadlock import LOCK_CYCLE_C

    program = compile_c(LOCK_CYCLE_C, "lock_cycle", shared=False)
    d = diagnose_command([str(program)], timeout=20.0, use_gdb=False)
    waits = graph(d.verdict.lock_waits)
    cycle = {t: owner for t, (lock, owner) in waits.items() if lock.startswith(("mutex", "futex")) and owner}
    assert len(cycle) == 3 and set(cycle.values()) == set(cycle), waits  # each waits for another's mutex


def test_a_clean_verdict_keeps_no_details():
    outcome = Outcome(argv=("x",), exit_code=0, signal=None, timed_out=False, duration_s=0.0, stdout="",
                      stderr="Freed by thread T0 here:\n    #0 0x1 in free /x.c:1\n    #1 0x2 in f /x.c:2\n")
    verdict = classify(outcome)
    assert verdict.ok and verdict.report_stacks == () and verdict.lock_waits == ()
