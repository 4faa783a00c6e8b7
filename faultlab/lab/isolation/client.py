"""The client of a fork server: one warm parent per sanitizer configuration, one forked child per case run.

Why: a fresh interpreter costs tens of milliseconds before a case runs its first line;
forking a parent that has already imported faultlab, cffi and the case modules costs about
one millisecond (AFL's fork-server idea). What a case sees stays what ``runner.run`` gives
it: the child leads its own process group, writes to its own output files and is watched,
stack-dumped and group-killed by the same ``runner.supervise``; its sanitizer runtime is
the parent's preload with the same options. The parent never runs case code, never loads
a case's native library, and forks only while it has exactly one thread, so every child
starts from the same state and nothing a child does reaches the next one.

Where fork is unsound the run is spawned instead, and its ``Outcome.isolation`` says
``spawn``: for a case declared ``fresh_interpreter=True``, and for a case whose child is
another runtime's program. Every sanitizer configuration forks, TSan's included: its
runtime refuses a child forked once threads exist (``after_multithreaded_fork``), and
this server forks only while it has exactly one thread, so a TSan child starts its
history from the server's and reports the same races, with the same signatures, as a
spawned one (``tests/test_forkserver.py``).

Known differences from spawn, all outside what Python promises: every child of one server
shares the server's hash seed; ``__main__`` is this module and the modules above are
already imported; and the child ends with a quick exit (``_exit_quickly``): C exit
handlers run before the interpreter is finalised rather than after, and objects still
alive at exit are not destroyed. A case about what happens at interpreter exit declares
``fresh_interpreter=True``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from ...diagnosis import configurations, containment, report_files, runner, stall
from ...diagnosis.configurations import Configuration
from ...diagnosis.outcome import Outcome
from .. import catalog
from .protocol import Channel

START_TIMEOUT_S = 60.0  # importing faultlab and cffi under ASan, on a busy machine


class ForkServerError(Exception):
    """The fork server could not start or serve a run; the run can be spawned instead."""


class ForkServer:
    """The client's handle on one server process; one run at a time."""

    def __init__(self, configuration: str | Configuration = "none", *, leaks: bool = False,
                 memory_limit: int | None = None):
        self.config = configurations.resolve(configuration).with_leaks(leaks)
        self.memory_limit = memory_limit  # ASan reads its allocator limit at start-up only
        self._proc: subprocess.Popen | None = None
        self._channel: Channel | None = None
        self._work: str | None = None
        self._no_preload: set[str] = set()  # case files whose import left the server multi-threaded
        self._owner = os.getpid()  # a forked copy of the client must not talk on the same socket

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        if self._proc is not None:
            return
        self._work = tempfile.mkdtemp(prefix="faultlab-forkserver-")
        env = runner.child_environment(self.config, env=None, dump_dir=self._work, memory_limit=self.memory_limit)
        ours, theirs = socket.socketpair()
        with open(os.path.join(self._work, "server.log"), "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "faultlab.lab.isolation.server", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        containment.register_helper(self._proc.pid)
        theirs.close()
        self._channel = Channel(ours)
        try:
            ready = self._channel.receive(START_TIMEOUT_S)
        except TimeoutError:
            ready = None
        if not ready or "ready" not in ready:
            self._fail(f"the {self.config.name} fork server did not start")
        if ready["threads"] != 1:
            self._fail(f"the {self.config.name} fork server has {ready['threads']} threads, so fork would be unsafe")

    def close(self) -> None:
        """Stop the server (it exits when its socket closes) and remove its files."""
        if self._channel is not None:
            self._channel.sock.close()
            self._channel = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                runner.kill_group(self._proc.pid)
                self._proc.wait()
            containment.forget_helper(self._proc.pid)
            self._proc = None
        if self._work:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def _fail(self, why: str):
        log = ""
        if self._work and os.path.exists(os.path.join(self._work, "server.log")):
            with open(os.path.join(self._work, "server.log"), "rb") as f:
                tail = f.read().decode("utf-8", "backslashreplace").strip().splitlines()[-1:]
            log = f": {tail[0]}" if tail else ""
        self.close()
        raise ForkServerError(why + log)

    def run(self, case_file: str, case_id: str, variant: str, *, timeout: float = 30.0, use_gdb: bool = True,
            memory_limit: int | None = None, cwd: str | None = None, output_cap: int = runner.OUTPUT_CAP,
            quick_exit: bool = True, deadlock_after: float | None = stall.DEADLOCK_AFTER_S) -> Outcome:
        """Fork one child that runs the case variant; the same ``Outcome`` as ``runner.run`` of its drive command.

        ``quick_exit=False`` makes the child finalise its interpreter in full (see ``_exit_quickly``).
        """
        if os.getpid() != self._owner:
            raise ForkServerError("this fork server belongs to the process that started it")
        if self.config.reserves_shadow and memory_limit != self.memory_limit:
            raise ForkServerError(f"under {self.config.name} the memory limit is fixed when the server starts")
        self.start()
        argv = tuple(catalog.case_command(case_file, case_id, variant))
        with tempfile.TemporaryDirectory(prefix="faultlab-run-", ignore_cleanup_errors=True) as work, \
                containment.Containment(work, adopts_orphans=False) as contained, \
                runner.output_files(work) as (_, _, outputs):
            # The child opens these by path; they are read back through these descriptors, whatever it does to the paths.
            request = {"file": str(case_file), "case": case_id, "variant": variant, "work": work,
                       "cwd": cwd or os.getcwd(), "memory_limit": memory_limit, "quick_exit": quick_exit,
                       "preload": str(case_file) not in self._no_preload,
                       # What a runtime the child starts is told about its report files (a JVM's hs_err).
                       "environment": report_files.asked_for(os.environ, work)}
            with contained.starting():
                pid, start = self._fork(request)
                contained.leader, contained.leaders_parent = pid, self.pid
            status: list[int] = []

            def wait(limit: float | None) -> int:
                if not status:
                    reply = None
                    if self._channel is not None:
                        try:
                            reply = self._channel.receive(limit)
                        except TimeoutError:
                            raise subprocess.TimeoutExpired(argv, limit) from None
                    if reply is None or "status" not in reply:
                        self._fail(f"the {self.config.name} fork server died while child {pid} ran")
                    status.append(os.waitstatus_to_exitcode(reply["status"]))
                return status[0]

            # The server reaps the child, and kills and reaps what it left behind, before it answers.
            watched = runner.supervise(pid, wait, timeout=timeout, dump_dir=work, use_gdb=use_gdb,
                                       deadlock_after=deadlock_after, started=start)
            duration = time.monotonic() - start
            return runner.outcome_from(outputs, argv, watched, duration=duration,
                                       configuration=self.config, memory_limit=memory_limit,
                                       output_cap=output_cap, isolation="fork", dump_dir=work, leader=pid)

    def _fork(self, request: dict) -> tuple[int, float]:
        """Send the request and return the child's pid and when it was forked (``time.monotonic()``, one clock
        for both processes); restarts once without the preload if fork was unsafe.

        A run's time starts at the fork: the server's import of the case file on its first run
        is the server's warm-up, as its start-up is, not the case's time (a spawned child pays
        its imports, and its duration says so).
        """
        sent = time.monotonic()
        for attempt in (1, 2):
            try:
                self._channel.send(request)
                reply = self._channel.receive(START_TIMEOUT_S)
            except (OSError, TimeoutError):
                reply = None
            if reply is None:
                self._fail(f"the {self.config.name} fork server stopped answering")
            if "pid" in reply:
                forked_at = reply.get("forked_at")
                return reply["pid"], forked_at if isinstance(forked_at, float) and forked_at >= sent else sent
            if attempt == 1 and request["preload"]:
                # Importing this case file started a thread in the server: never preload it again.
                self._no_preload.add(request["file"])
                request = {**request, "preload": False}
                self.close()
                self.start()
                continue
            self._fail(f"the {self.config.name} fork server refused: {reply.get('error')}")
        raise AssertionError("unreachable")


class ForkServerPool:
    """One server per configuration (with its leak checking, and the allocator limit of a shadow-reserving
    runtime, which it reads at start-up only), started on first use."""

    def __init__(self):
        self._servers: dict[tuple, ForkServer] = {}

    def server(self, configuration: str | Configuration, *, leaks: bool = False,
               memory_limit: int | None = None) -> ForkServer:
        config = configurations.resolve(configuration).with_leaks(leaks)
        key = (config, memory_limit if config.reserves_shadow else None)
        if key not in self._servers:
            self._servers[key] = ForkServer(config, memory_limit=key[1])
        return self._servers[key]

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()


_pool: ForkServerPool | None = None


def shared_pool() -> ForkServerPool:
    """The process's pool; its servers end when this process does."""
    global _pool
    if _pool is None:
        _pool = ForkServerPool()
        atexit.register(_pool.close)
    return _pool
