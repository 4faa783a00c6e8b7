"""Run anything in a child process and survive whatever it does.

Guarantees: the child and everything it starts live in their own process group, which
is killed (SIGTERM, then SIGKILL) when the child ends or runs out of time, and what left
the group (``setsid``, a double fork) is found, killed and reaped too (``containment``),
so nothing is left running; output goes to files, never to a pipe that can fill up, and
is read back through the runner's own descriptors, capped (head and tail kept) and
decoded with ``backslashreplace``; faulthandler is on in
every Python process of the tree; memory can be bounded with RLIMIT_AS.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import configurations, containment, crash_frames, crash_handler, hang, report_files, report_symbols, stall
from .configurations import Configuration
from .outcome import Outcome, ThreadState

OUTPUT_CAP = 1 << 20  # bytes kept per stream: half from the head, half from the tail
TERM_GRACE_S = 1.0
SAVE_GRACE_S = 5.0  # a child told to save its state before it is killed (supervise's deadlock_signal)
INJECT_DIR = str(Path(__file__).with_name("_inject"))


def _pread_exactly(fd: int, size: int, offset: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = os.pread(fd, min(size, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _read_capped(fd: int, cap: int) -> tuple[str, bool]:
    """What the child wrote to the file open as ``fd``, at most ``cap`` bytes: head and tail.

    Read through the runner's own descriptor, never the path: a child can replace the path
    with a FIFO (a read would block), a symlink to /dev/zero (a read would not end) or a
    directory, but not the file this descriptor holds.
    """
    size = os.fstat(fd).st_size
    if size <= cap:
        return _pread_exactly(fd, size, 0).decode("utf-8", "backslashreplace"), False
    head = _pread_exactly(fd, cap // 2, 0)
    tail = _pread_exactly(fd, cap // 2, size - cap // 2)
    skipped = size - len(head) - len(tail)
    data = head + f"\n[... faultlab: {skipped} bytes omitted ...]\n".encode() + tail
    return data.decode("utf-8", "backslashreplace"), True


@contextlib.contextmanager
def output_files(work: str):
    """Create ``work``/stdout and ``work``/stderr; yield them open for writing (for the child) and
    open for reading (``outcome_from``'s ``outputs``: what the child does to the paths cannot change
    which files these are)."""
    with contextlib.ExitStack() as stack:
        writers, readers = [], []
        for name in ("stdout", "stderr"):
            writers.append(stack.enter_context(open(os.path.join(work, name), "wb")))
            readers.append(os.open(os.path.join(work, name), os.O_RDONLY | os.O_NOFOLLOW))
            stack.callback(os.close, readers[-1])
        yield writers[0], writers[1], (readers[0], readers[1])


def child_environment(configuration: Configuration, *, env: dict[str, str] | None, dump_dir: str,
                      memory_limit: int | None) -> dict[str, str]:
    """The child's environment: ``env`` (default: ours), faulthandler on, the watchdog's dump
    directory, and the configuration's options, preload and the configuration itself; without a
    sanitizer runtime, the crash handler preloaded too (``crash_handler``); runtimes that write a
    report file told to write it there (``report_files``)."""
    base = dict(os.environ if env is None else env)
    base["PYTHONFAULTHANDLER"] = "1"
    base["PYTHONUNBUFFERED"] = "1"
    base["FAULTLAB_DUMP_DIR"] = dump_dir
    base["PYTHONPATH"] = os.pathsep.join(p for p in (INJECT_DIR, base.get("PYTHONPATH", "")) if p)
    base = report_files.environment(base, dump_dir)
    return crash_handler.preload(configuration.environment(base, memory_limit=memory_limit), configuration)


def _limits(memory_limit: int | None, use_rlimit_as: bool):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_limit and use_rlimit_as:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    return apply


def kill_group(pgid: int) -> None:
    """SIGTERM the whole group, then SIGKILL whatever is still there after a grace period.

    Returns once no live member is left: a process is not gone when kill() returns, even
    for SIGKILL, and a grandchild nobody waits for would outlive the run for a moment.
    """
    for sig, wait in ((signal.SIGTERM, TERM_GRACE_S), (signal.SIGKILL, TERM_GRACE_S)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and hang.group_members(pgid):
            time.sleep(0.02)


def run(
    argv: list[str] | tuple[str, ...],
    *,
    sanitizer: str | Configuration = "none",
    timeout: float = 30.0,
    memory_limit: int | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    leaks: bool = False,
    use_gdb: bool = True,
    output_cap: int = OUTPUT_CAP,
    deadlock_after: float | None = stall.DEADLOCK_AFTER_S,
    bystander: str | None = None,
    deadlock_signal: int | None = None,
) -> Outcome:
    """Run ``argv`` to completion or timeout and return what happened; never raises for the child's sake.

    ``sanitizer`` is a configuration or its name (``configurations.NAMES``); ``leaks``
    turns LeakSanitizer's exit check on in it. A child whose threads all stand still in
    lock waits for ``deadlock_after`` seconds, confirmed deadlocked by their native
    stacks, is stopped then rather than at ``timeout`` (None or 0: wait for the timeout);
    ``bystander`` and ``deadlock_signal`` are ``supervise``'s, for a child that runs
    threads of its own beside the program's or saves its state when told to.
    """
    config = configurations.resolve(sanitizer)
    config = config.with_leaks(True) if leaks else config  # leaks=False keeps what the configuration says
    argv = tuple(str(a) for a in argv)
    with tempfile.TemporaryDirectory(prefix="faultlab-run-", ignore_cleanup_errors=True) as work, \
            containment.Containment(work, adopts_orphans=True) as contained:
        child_env = child_environment(config, env=env, dump_dir=work, memory_limit=memory_limit)
        with output_files(work) as (out, err, outputs):
            start = time.monotonic()
            try:
                with contained.starting():
                    proc = subprocess.Popen(
                        argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env, cwd=cwd,
                        start_new_session=True, preexec_fn=_limits(memory_limit, not config.reserves_shadow),
                    )
                    contained.leader, contained.leaders_parent = proc.pid, os.getpid()
            except OSError as exc:
                return Outcome(argv=argv, exit_code=127, signal=None, timed_out=False, duration_s=0.0,
                               stdout="", stderr=f"faultlab: cannot start {argv[0]}: {exc.strerror}",
                               sanitizer=config.sanitizer, configuration=config.name, memory_limit=memory_limit)
            with _exit_waiter(proc) as wait:
                watched = supervise(proc.pid, wait, timeout=timeout, dump_dir=work, use_gdb=use_gdb,
                                    deadlock_after=deadlock_after, started=start, bystander=bystander,
                                    deadlock_signal=deadlock_signal)
            duration = time.monotonic() - start
            contained.sweep()  # the descendants that left the group: nothing writes to the output any more
            return outcome_from(outputs, argv, watched, duration=duration, configuration=config,
                                memory_limit=memory_limit, output_cap=output_cap, dump_dir=work, leader=proc.pid)


@contextlib.contextmanager
def _exit_waiter(proc: subprocess.Popen):
    """``proc.wait`` woken by the child's exit: with a timeout, ``Popen.wait`` polls and sleeps up to 50 ms."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd (Linux < 5.3): the polling wait still works
        yield proc.wait
        return

    def wait(timeout: float | None) -> int:
        if timeout is not None and proc.returncode is None and not select.select([pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        return proc.wait()

    try:
        yield wait
    finally:
        os.close(pidfd)


@dataclass(frozen=True)
class Supervision:
    """How a watched child ended: its return code, and whether and when the watchdog stopped it."""

    returncode: int
    timed_out: bool  # the watchdog stopped it: at the timeout, or early on a confirmed deadlock
    threads: tuple[ThreadState, ...] = ()
    stalled_at_s: float | None = None  # since ``started``: when the confirmed deadlock's stall was first seen
    called_at_s: float | None = None  # since ``started``: when the watchdog stopped it


def supervise(pid: int, wait, *, timeout: float, dump_dir: str, use_gdb: bool = True,
              deadlock_after: float | None = stall.DEADLOCK_AFTER_S, started: float | None = None,
              bystander: str | None = None, deadlock_signal: int | None = None) -> Supervision:
    """Wait for the group led by ``pid``; past ``timeout``, or once it is deadlocked, collect its stacks; always kill the group.

    ``wait(timeout)`` returns the leader's return code (negative: the signal that killed it)
    or raises ``subprocess.TimeoutExpired``; ``wait(None)`` blocks. The spawn path passes
    ``Popen.wait``, the fork server its own, so both get the same watchdog and group kill.

    While it waits, the group is sampled (``stall.Watch``); once every thread has stood
    still in a lock wait for ``deadlock_after`` seconds (None or 0: never), the native
    stacks are taken quickly (``hang.suspects``), and if ``stall.is_deadlock(...,
    certain=True)`` agrees the child is stopped there, with the same evidence as at a
    timeout. Otherwise it goes on, and nothing was written to its output. Times are
    measured from ``started`` (a ``time.monotonic()`` reading; default: now), the child's start.

    ``bystander``: the native frame of a thread the child's runtime keeps beside the
    program's, asleep on a timer (``stall.LIBFUZZER_BYSTANDER``), which a deadlock may
    leave running. ``deadlock_signal``: sent to the leader of a confirmed deadlock before
    the group is killed, and awaited for ``SAVE_GRACE_S``: libFuzzer writes the input it
    was running to a crash file on a deadly signal, so a deadlock found while fuzzing is
    saved at once instead of at libFuzzer's per-input timeout.
    """
    now = time.monotonic()
    started = now if started is None else started
    deadline = now + timeout
    watch = stall.Watch(pid, deadlock_after, bystander) if deadlock_after else None
    threads: tuple = ()
    timed_out = False
    stalled_at = called_at = None
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                wait(max(0.0, min(left, stall.SAMPLE_EVERY_S) if watch else left))
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now >= deadline:
                timed_out, called_at = True, now
                threads = hang.collect(pid, dump_dir, use_gdb=use_gdb)
                break
            if watch is not None and watch.stalled(now):
                suspects = hang.suspects(pid, use_gdb=use_gdb)
                if stall.is_deadlock(suspects, certain=True, bystander=bystander):
                    if use_gdb and hang.quick_stacks():  # gdb's fuller view for the evidence: the GIL's holder, handles
                        threads = hang.collect(pid, dump_dir)
                    else:  # the check's own view is the evidence (gdb's already, where eu-stack is missing)
                        threads = suspects
                        hang.dump_python_stacks(hang.group_members(pid), dump_dir)
                    timed_out, stalled_at, called_at = True, watch.since, time.monotonic()
                    if deadlock_signal is not None:
                        _ask_to_save(pid, wait, deadlock_signal)
                    break
                watch.refute()
    finally:
        kill_group(pid)
        returncode = wait(None)
    return Supervision(returncode, timed_out, threads,
                       stalled_at_s=None if stalled_at is None else round(stalled_at - started, 4),
                       called_at_s=None if called_at is None else round(called_at - started, 4))


def _ask_to_save(pid: int, wait, sig: int) -> None:
    """Send ``sig`` to the leader and give it ``SAVE_GRACE_S`` to save its state and exit."""
    try:
        os.kill(pid, sig)
        wait(SAVE_GRACE_S)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass


def outcome_from(outputs: tuple[int, int], argv: tuple[str, ...], watched: Supervision, *, duration: float,
                 configuration: Configuration, memory_limit: int | None, output_cap: int = OUTPUT_CAP,
                 isolation: str = "spawn", dump_dir: str | None = None, leader: int | None = None) -> Outcome:
    """The ``Outcome`` of a finished child whose stdout and stderr went to the files open as ``outputs``;
    when a signal ended the ``leader`` (not the watchdog), the frames its crash handler left in ``dump_dir``;
    the report files a runtime left there; under a configuration whose reports the parent symbolizes,
    stderr symbolized (the child's own in ``raw_stderr``)."""
    stdout, t1 = _read_capped(outputs[0], output_cap)
    raw_stderr, t2 = _read_capped(outputs[1], output_cap)
    stderr = raw_stderr
    if configuration.parent_symbolizes:
        stderr = report_symbols.symbolized(raw_stderr, report_symbols.style_of(configuration.runtimes))
    returncode = watched.returncode
    crashed = returncode < 0 and not watched.timed_out and dump_dir is not None and leader is not None
    return Outcome(
        argv=argv,
        exit_code=returncode if returncode >= 0 else None,
        signal=-returncode if returncode < 0 else None,
        timed_out=watched.timed_out,
        duration_s=round(duration, 4),
        stdout=stdout,
        stderr=stderr,
        sanitizer=configuration.sanitizer,
        configuration=configuration.name,
        isolation=isolation,
        threads=watched.threads,
        stalled_at_s=watched.stalled_at_s,
        called_at_s=watched.called_at_s,
        truncated=t1 or t2,
        memory_limit=memory_limit,
        crash_frames=crash_frames.collect(dump_dir, leader, -returncode) if crashed else (),
        report_files=report_files.collect(dump_dir),
        raw_stderr=raw_stderr if stderr != raw_stderr else None,
    )

