"""A fork server: one warm parent per sanitizer configuration, one forked child per case run.

Why: a fresh interpreter costs tens of milliseconds before a case runs its first line;
forking a parent that has already imported faultlab, cffi and the case modules costs about
one millisecond (AFL's fork-server idea). What a case sees stays what ``runner.run`` gives
it: the child leads its own process group, writes to its own output files and is watched,
stack-dumped and group-killed by the same ``runner.supervise``; its sanitizer runtime is
the parent's preload with the same options. The parent never runs case code, never loads
a case's native library, and forks only while it has exactly one thread, so every child
starts from the same state and nothing a child does reaches the next one.

Where fork is unsound the run is spawned instead, and its ``Outcome.isolation`` says
``spawn``: under TSan (a child would inherit the runtime's thread and synchronisation
state; TSan kills or deadlocks children forked once threads exist), and for a case
declared ``fresh_interpreter=True``.

Known differences from spawn, all outside what Python promises: every child of one server
shares the server's hash seed; ``__main__`` is this module and the modules above are
already imported; and the child ends with a quick exit (``_exit_quickly``): C exit
handlers run before the interpreter is finalised rather than after, and objects still
alive at exit are not destroyed. A case about what happens at interpreter exit declares
``fresh_interpreter=True``.
"""

from __future__ import annotations

import atexit
import faulthandler
import gc
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings

from . import catalog, drive
from ..diagnosis import runner, sanitizers
from ..diagnosis.outcome import Outcome

ISOLATIONS = ("auto", "fork", "spawn")
START_TIMEOUT_S = 60.0  # importing faultlab and cffi under ASan, on a busy machine


class ForkServerError(Exception):
    """The fork server could not start or serve a run; the run can be spawned instead."""


def spawn_reason(sanitizer: str, case=None) -> str | None:
    """Why a run must be spawned rather than forked, or None when forking it is sound."""
    if sanitizer == "tsan":
        return "fork is unsafe under TSan; spawned"
    if case is not None and getattr(case, "fresh_interpreter", False):
        return f"{case.id} declares fresh_interpreter=True; spawned"
    return None


class _Channel:
    """JSON messages, one per line, over a stream socket; ``receive`` honours a timeout."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = b""

    def send(self, message: dict) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def receive(self, timeout: float | None) -> dict | None:
        """The next message; None when the peer has gone; TimeoutError past ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.sock], [], [], left)[0]:
                raise TimeoutError
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)


class ForkServer:
    """The client's handle on one server process; one run at a time."""

    def __init__(self, sanitizer: str = "none", *, leaks: bool = False, memory_limit: int | None = None):
        self.config = sanitizers.get(sanitizer)
        if spawn_reason(sanitizer):
            raise ForkServerError(spawn_reason(sanitizer))
        self.leaks = leaks
        self.memory_limit = memory_limit  # ASan reads its allocator limit at start-up only
        self._proc: subprocess.Popen | None = None
        self._channel: _Channel | None = None
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
        env = runner.child_environment(self.config, env=None, dump_dir=self._work, leaks=self.leaks,
                                       memory_limit=self.memory_limit)
        ours, theirs = socket.socketpair()
        with open(os.path.join(self._work, "server.log"), "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "faultlab.lab.forkserver", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        theirs.close()
        self._channel = _Channel(ours)
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
            quick_exit: bool = True) -> Outcome:
        """Fork one child that runs the case variant; the same ``Outcome`` as ``runner.run`` of its drive command.

        ``quick_exit=False`` makes the child finalise its interpreter in full (see ``_exit_quickly``).
        """
        if os.getpid() != self._owner:
            raise ForkServerError("this fork server belongs to the process that started it")
        if self.config.name == "asan" and memory_limit != self.memory_limit:
            raise ForkServerError("under ASan the memory limit is fixed when the server starts")
        self.start()
        argv = tuple(catalog.case_command(case_file, case_id, variant))
        with tempfile.TemporaryDirectory(prefix="faultlab-run-") as work:
            for name in ("stdout", "stderr"):
                open(os.path.join(work, name), "wb").close()
            request = {"file": str(case_file), "case": case_id, "variant": variant, "work": work,
                       "cwd": cwd or os.getcwd(), "memory_limit": memory_limit, "quick_exit": quick_exit,
                       "preload": str(case_file) not in self._no_preload}
            start = time.monotonic()
            pid = self._fork(request)
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

            returncode, timed_out, threads = runner.supervise(pid, wait, timeout=timeout, dump_dir=work,
                                                              use_gdb=use_gdb)
            duration = time.monotonic() - start
            return runner.outcome_from(work, argv, returncode, timed_out=timed_out, threads=threads,
                                       duration=duration, sanitizer=self.config.name, memory_limit=memory_limit,
                                       output_cap=output_cap, isolation="fork")

    def _fork(self, request: dict) -> int:
        """Send the request and return the child's pid; restarts once without the preload if fork was unsafe."""
        for attempt in (1, 2):
            try:
                self._channel.send(request)
                reply = self._channel.receive(START_TIMEOUT_S)
            except (OSError, TimeoutError):
                reply = None
            if reply is None:
                self._fail(f"the {self.config.name} fork server stopped answering")
            if "pid" in reply:
                return reply["pid"]
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
    """One server per configuration (sanitizer, leak checking, ASan's memory limit), started on first use."""

    def __init__(self):
        self._servers: dict[tuple, ForkServer] = {}

    def server(self, sanitizer: str, *, leaks: bool = False, memory_limit: int | None = None) -> ForkServer:
        key = (sanitizer, leaks, memory_limit if sanitizer == "asan" else None)
        if key not in self._servers:
            self._servers[key] = ForkServer(sanitizer, leaks=leaks, memory_limit=key[2])
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


def run_case(case, variant: str, sanitizer: str, *, timeout: float, use_gdb: bool = True,
             isolation: str = "auto") -> Outcome:
    """Run a case variant forked from the configuration's server, or spawned where that is unsound.

    ``auto`` also spawns (with a warning) when the server fails; ``fork`` raises
    ``ForkServerError`` instead; ``spawn`` always spawns.
    """
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, not {isolation!r}")
    if isolation != "spawn" and not spawn_reason(sanitizer, case):
        try:
            return shared_pool().server(sanitizer).run(case.source, case.id, variant, timeout=timeout,
                                                       use_gdb=use_gdb)
        except ForkServerError as exc:
            if isolation == "fork":
                raise
            warnings.warn(f"faultlab: {exc}; spawning {case.id} instead", RuntimeWarning, stacklevel=2)
    return runner.run(case.argv(variant), sanitizer=sanitizer, timeout=timeout, use_gdb=use_gdb)


# ---- the server process -------------------------------------------------------------------------


def _thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


_libc = None  # the C library, opened in the server so that a child's exit costs no dlopen


def _warm_up() -> None:
    """Import what every case needs, and let cffi build its C parser once, before any fork."""
    global _libc
    import ctypes

    import cffi

    from . import native  # noqa: F401

    cffi.FFI().cdef("int faultlab_warm_up(int);")
    _libc = ctypes.CDLL(None)
    # Handlers every child inherits: fatal signals dump the Python stack, SIGUSR1 dumps every thread's.
    faulthandler.enable(all_threads=True)
    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)


def _preload(case_file: str) -> dict:
    """Import a case file in the server and return its cases by id; on failure undo the import and
    return nothing, so that the child imports it again and reports the error as a spawned one would."""
    from . import catalog

    before = set(sys.modules)
    try:
        return {case.id: case for case in catalog.cases_in(case_file)}
    except Exception:
        for name in set(sys.modules) - before:
            del sys.modules[name]
        return {}


def _wait_for(pid: int, channel: _Channel) -> int | None:
    """The child's wait status, or None when the client went away first."""
    pidfd = os.pidfd_open(pid)
    try:
        ready = select.select([pidfd, channel.sock], [], [])[0]
        if pidfd not in ready:  # the client never talks during a run: this is its end
            return None
        return os.waitpid(pid, 0)[1]
    finally:
        os.close(pidfd)


def _kill_group_and_reap(pid: int) -> None:
    """Nobody watches this child any more: kill its whole group, so no hang outlives the client."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def serve(channel: _Channel):
    """Answer run requests until the client goes away (None); inside a forked child, return
    ``(request, case)``, the case already imported by the server or None."""
    preloaded: dict[str, dict] = {}
    while True:
        request = channel.receive(None)
        if request is None:
            return None
        if request["preload"] and request["file"] not in preloaded:
            preloaded[request["file"]] = _preload(request["file"])
        threads = _thread_count()
        if threads != 1:
            channel.send({"error": f"the server has {threads} threads, so fork would be unsafe"})
            continue
        gc.freeze()  # the children's collections skip the server's objects and leave their pages shared
        pid = os.fork()
        if pid == 0:
            channel.sock.close()
            return request, preloaded.get(request["file"], {}).get(request["case"])
        try:
            channel.send({"pid": pid})
            status = _wait_for(pid, channel)
            if status is not None:
                channel.send({"status": status})
        except OSError:  # the client went away mid-send
            status = None
        if status is None:
            _kill_group_and_reap(pid)
            return None


def _become_the_case(request: dict) -> None:
    """Give the forked child what ``runner.run`` gives a spawned one: session, files, limits, handlers."""
    os.setsid()
    work = request["work"]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        out = os.open(os.path.join(work, name), os.O_WRONLY | os.O_TRUNC)
        os.dup2(out, fd)
        os.close(out)
    sanitizer = os.environ.get("FAULTLAB_SANITIZER", "none")
    runner._limits(request["memory_limit"], sanitizer != "asan")()
    os.chdir(request["cwd"])
    os.environ["FAULTLAB_DUMP_DIR"] = work
    # faulthandler's handlers come from the server (_warm_up) and write to fd 2, now this run's stderr.
    # An empty <pid>.python file tells the watchdog that this child dumps its stacks on SIGUSR1.
    os.close(os.open(os.path.join(work, f"{os.getpid()}.python"), os.O_WRONLY | os.O_CREAT, 0o644))
    sys.argv = [drive.__file__, request["file"], request["case"], request["variant"]]


def _exit_quickly() -> None:
    """End the child as ``Py_FinalizeEx`` promises, minus the teardown of the server's modules; or return.

    The promises kept: non-daemon threads are joined, atexit callbacks (and so
    ``weakref.finalize``) run, Python's and C's stdio are flushed, C ``atexit`` handlers and
    library destructors run (LeakSanitizer's check among them: libc ``exit``). Skipped:
    destroying the objects still alive, which Python does not promise and which would copy
    every page of the server's heap (about 10 ms). When another thread is still alive
    (a daemon or a native one) this returns, and the real finalisation runs: a thread that
    outlives the interpreter is an FFI failure mode of its own.
    """
    threading._shutdown()
    if _thread_count() > 1:
        return
    atexit._run_exitfuncs()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    _libc.exit(0)


def main(argv: list[str]) -> int:
    channel = _Channel(socket.socket(fileno=int(argv[0])))
    _warm_up()
    channel.send({"ready": os.getpid(), "threads": _thread_count()})
    served = serve(channel)
    if served is None:
        return 0
    # From here on this process is the forked child: it runs the case as `python -m faultlab.lab.drive`
    # would, and ends like that interpreter (exit status, tracebacks, atexit, finalisation).
    request, case = served
    _become_the_case(request)
    if case is None:
        drive.main([request["file"], request["case"], request["variant"]])
    else:
        case.driver(request["variant"])()  # what drive.main does, with the case the server imported
    if request.get("quick_exit", True):
        _exit_quickly()
    return 0  # the interpreter's own finalisation


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
