"""The fork server process: warm up once, then fork one child per run request.

Started by ``client.ForkServer`` as ``python -m faultlab.lab.isolation.server FD``. It never
runs case code itself and forks only while it has exactly one thread; a forked child
becomes the case run (``_become_the_case``) and ends as a spawned interpreter would.
"""

from __future__ import annotations

import atexit
import faulthandler
import gc
import os
import select
import shutil
import signal
import socket
import sys
import threading
import time

from ...diagnosis import configurations, containment, runner
from .. import build, catalog, drive, native  # noqa: F401  (native: imported before any fork)
from ..toolchain import BuildError
from .protocol import Channel


def _thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


_libc = None  # the C library, opened in the server so that a child's exit costs no dlopen


def _warm_up() -> None:
    """Import what every case needs, and let cffi build its C parser once, before any fork."""
    global _libc
    import ctypes

    import cffi

    cffi.FFI().cdef("int faultlab_warm_up(int);")
    _libc = ctypes.CDLL(None)
    try:  # every Library a child loads is looked up by a key that holds the compiler's version line
        build.compiler_version(build.compiler_for(configurations.active()))
    except BuildError:
        pass  # no compiler: a child that needs one says so, as a spawned one would
    # Handlers every child inherits: fatal signals dump the Python stack, SIGUSR1 dumps every thread's.
    faulthandler.enable(all_threads=True)
    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)


def _preload(case_file: str) -> dict:
    """Import a case file in the server, warm up what it imported, and return its cases by id; on failure
    undo the import and return nothing, so that the child imports it again and reports the error as a
    spawned one would."""
    before = set(sys.modules)
    try:
        cases = {case.id: case for case in catalog.cases_in(case_file)}
        strategies = sys.modules.get("faultlab.lab.strategies")
        if strategies is not None:  # the file drives Hypothesis: its first-example set-up is done here, not in each child
            strategies.warm_up()
        return cases
    except Exception:
        for name in set(sys.modules) - before:
            del sys.modules[name]
        return {}


def _wait_for(pid: int, channel: Channel) -> int | None:
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
    """Nobody watches this child any more: kill its whole group and what left it, so no hang outlives the client."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    containment.sweep_children()


def serve(channel: Channel):
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
        forked_at = time.monotonic()  # CLOCK_MONOTONIC: the client's clock too
        pid = os.fork()
        if pid == 0:
            channel.sock.close()
            return request, preloaded.get(request["file"], {}).get(request["case"])
        try:
            channel.send({"pid": pid, "forked_at": forked_at})
            status = _wait_for(pid, channel)
            if status is not None:
                # Whatever the run left running (a setsid'd grandchild, a daemon) was reparented here: the
                # server is a subreaper and its only children are runs. Nothing of this run outlives its verdict.
                containment.sweep_children()
                channel.send({"status": status})
        except OSError:  # the client went away mid-send
            status = None
        if status is None:
            _kill_group_and_reap(pid)
            # The client made the run's directory and would remove it after the verdict; it is gone
            # (killed, perhaps by SIGKILL), so the last process that knows the directory removes it.
            shutil.rmtree(request["work"], ignore_errors=True)
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
    runner._limits(request["memory_limit"], not configurations.active().reserves_shadow)()
    os.chdir(request["cwd"])
    os.environ["FAULTLAB_DUMP_DIR"] = work
    os.environ.update(request.get("environment", {}))  # a JVM it starts reports there too (report_files)
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
    channel = Channel(socket.socket(fileno=int(argv[0])))
    containment.become_subreaper()
    _warm_up()
    channel.send({"ready": os.getpid(), "threads": _thread_count()})
    served = serve(channel)
    if served is None:
        # The client closed this server, or died (SIGKILL leaves it no way to clean up): either way
        # nobody reads the server's directory any more, and the server is the last that knows it.
        work = os.environ.get("FAULTLAB_DUMP_DIR", "")
        if os.path.basename(work).startswith("faultlab-forkserver-"):
            shutil.rmtree(work, ignore_errors=True)
        return 0
    # From here on this process is the forked child: it runs the case as `python -m faultlab.lab.drive`
    # would, and ends like that interpreter (exit status, tracebacks, atexit, finalisation).
    request, case = served
    _become_the_case(request)
    if case is None:
        drive.main([request["file"], request["case"], request["variant"]])
    else:
        drive.run_variant(case, request["variant"])  # what drive.main does, with the case the server imported
    if request.get("quick_exit", True):
        _exit_quickly()
    return 0  # the interpreter's own finalisation


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
