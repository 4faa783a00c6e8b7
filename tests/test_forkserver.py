"""The fork server: forked children must be diagnosed exactly like spawned ones, and stay as isolated.

Every test runs real children from a real server on a small case folder; where it matters
the same driver is also spawned through ``runner.run`` and the two verdicts are compared.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import pytest
from processes import gone
from small_catalog import UAF_C

from faultlab.lab import catalog, execute

from faultlab.lab.isolation import client, policy
from faultlab.diagnosis import hang, runner
from faultlab.diagnosis.classify import classify
from faultlab.diagnosis.signature import meaningful

COUNTER_C = r"""
/* A static counter: a fresh process sees 0, so a second bump in one process means shared state. */
static int bumps;
int bump(void) { return ++bumps; }
"""

CASES_PY = '''
"""Drivers that probe what a forked child gets and what it leaves behind."""
import atexit, ctypes, json, os, signal, subprocess, sys, threading, time
from faultlab.lab.catalog import Case
from faultlab.lab.native import Library

COUNTER = Library("demo/counter")


def declare(name, **extra):
    return Case(id=f"lifetime/{name}", mode="lifetime", cwe="CWE-416", title=name, explanation=name,
                expect={"none": "segv", "asan": "segv"}, **extra)


crash = declare("crash")

@crash.broken
def read_address_zero():
    ctypes.string_at(0)

@crash.fixed
def raise_an_exception():
    raise ValueError("raised on purpose")


probe = declare("probe")

@probe.broken
def poison_everything_then_crash():
    os.environ["FAULTLAB_POISON"] = "1"
    sys.faultlab_poison = True
    ctypes.CDLL(str(COUNTER.path())).bump()
    ctypes.string_at(0)

@probe.fixed
def report_what_the_child_got():
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    print(json.dumps({
        "pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
        "fds": fds[:-1],  # the last one is the listing itself
        "stdin": os.readlink("/proc/self/fd/0"),
        "threads": len(os.listdir("/proc/self/task")),
        "dump_dir": os.environ["FAULTLAB_DUMP_DIR"],
        "poison": os.environ.get("FAULTLAB_POISON"), "sys_poison": hasattr(sys, "faultlab_poison"),
        "bumps": ctypes.CDLL(str(COUNTER.path())).bump(),
        "cwd": os.getcwd(),
    }))


hang = declare("hang")

@hang.broken
def leave_a_grandchild_and_sleep():
    sleeper = subprocess.Popen(["sleep", "300"])
    print(json.dumps({"pid": os.getpid(), "grandchild": sleeper.pid}), flush=True)
    time.sleep(300)

@hang.fixed
def leave_a_grandchild_and_return():
    sleeper = subprocess.Popen(["sleep", "300"])
    print(json.dumps({"pid": os.getpid(), "grandchild": sleeper.pid}), flush=True)


exit_work = declare("exit-work")

@exit_work.broken
def atexit_handler_crashes():
    atexit.register(ctypes.string_at, 0)

@exit_work.fixed
def finish_what_exit_promises():
    late = threading.Thread(target=lambda: (time.sleep(0.2), print("non-daemon thread finished", flush=True)))
    late.start()
    atexit.register(print, "atexit ran")
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fprintf.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
    libc.fprintf(libc.fopen(b"c-stdio.txt", b"w"), b"C stdio flushed at exit")  # in C's buffer until exit()


daemon = declare("daemon")

@daemon.broken
def daemon_thread_outlives_the_driver():
    threading.Thread(target=time.sleep, args=(300,), daemon=True).start()

@daemon.fixed
def nothing():
    pass


fresh = declare("fresh", fresh_interpreter=True)
fresh.broken(nothing)
fresh.fixed(nothing)
'''

DRAWS_PY = '''
"""A driver that prints what Hypothesis draws, imported as the Hypothesis-driven cases are."""
from hypothesis import given, settings, strategies as st
from faultlab.lab import strategies
from faultlab.lab.catalog import Case

drawn = Case(id="lifetime/drawn", mode="lifetime", cwe="CWE-416", title="drawn", explanation="drawn",
             expect={"none": "segv"})

@drawn.broken
def print_what_hypothesis_draws():
    values = []

    @settings(strategies.DETERMINISTIC, max_examples=300)
    @given(st.tuples(strategies.emoji_heavy_text(), st.lists(st.integers())))  # any integer: mined constants too
    def collect(value):
        values.append(value)

    collect()
    print(ascii(values))

drawn.fixed(print_what_hypothesis_draws)
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("forkserver")
    (root / "native" / "demo").mkdir(parents=True)
    (root / "native" / "demo" / "counter.c").write_text(COUNTER_C)
    (root / "cases" / "lifetime").mkdir(parents=True)
    (root / "cases" / "lifetime" / "case_probes.py").write_text(CASES_PY)
    (root / "cases" / "lifetime" / "case_draws.py").write_text(DRAWS_PY)
    with pytest.MonkeyPatch.context() as mp:
        # The server copies this process's environment when it starts: set it first.
        mp.setenv("FAULTLAB_ROOT", str(root))
        mp.setenv("FAULTLAB_CACHE", str(root / "cache"))
        cases = {c.id.split("/")[1]: c for name in ("case_probes.py", "case_draws.py")
                 for c in catalog.cases_in(root / "cases" / "lifetime" / name)}
        for case in cases.values():
            for variant in catalog.VARIANTS:
                case.build("none", variant)
        yield cases
        client.shared_pool().close()


@pytest.fixture(scope="module")
def server(project):
    server = client.ForkServer("none")
    yield server
    server.close()


def forked(server, case, variant, **options):
    options.setdefault("timeout", 20.0)
    return server.run(case.source, case.id, variant, **options)


def spawned(case, variant, **options):
    options.setdefault("timeout", 20.0)
    return runner.run(case.argv(variant), **options)


def test_a_child_draws_the_same_examples_whether_its_server_warmed_hypothesis_up_or_not(project):
    # Hypothesis mixes constants mined from the loaded local modules into its draws; the warm server mines
    # them when it imports the case file, the cold one leaves it to the child: the same modules, the same draws.
    # (A spawned child loads other modules than a forked one, so it may draw otherwise: not compared here.)
    warm, cold = client.ForkServer("none"), client.ForkServer("none")
    cold._no_preload.add(str(project["drawn"].source))  # its child imports the case file, and Hypothesis, itself
    try:
        runs = [forked(warm, project["drawn"], "broken"), forked(cold, project["drawn"], "broken")]
    finally:
        warm.close()
        cold.close()
    assert [classify(run).kind for run in runs] == ["ok", "ok"]
    assert runs[0].stdout.startswith("[(") and runs[0].stdout == runs[1].stdout


@pytest.mark.parametrize("variant, kind", [("broken", "segv"), ("fixed", "python-exception")])
def test_a_forked_crash_gets_the_verdict_a_spawned_one_gets(project, server, variant, kind):
    fork, spawn = classify(forked(server, project["crash"], variant)), classify(spawned(project["crash"], variant))
    assert (fork.kind, fork.isolation) == (kind, "fork")
    assert (spawn.kind, spawn.isolation) == (kind, "spawn")
    assert fork.signature == spawn.signature
    assert meaningful(fork.python_stack) == meaningful(spawn.python_stack)  # the same frames, minus plumbing


def test_the_child_gets_its_own_session_files_and_a_single_thread(project, server, tmp_path):
    outcome = forked(server, project["probe"], "fixed", cwd=str(tmp_path))
    assert outcome.exit_code == 0, outcome.stderr
    got = json.loads(outcome.stdout)
    assert got["pgid"] == got["sid"] == got["pid"]
    assert got["fds"] == [0, 1, 2]
    assert got["stdin"] == os.devnull
    assert got["threads"] == 1
    assert os.path.basename(got["dump_dir"]).startswith("faultlab-run-")
    assert got["cwd"] == str(tmp_path)


def test_a_crash_leaves_nothing_behind_for_the_next_run(project, server):
    assert classify(forked(server, project["probe"], "broken")).kind == "segv"
    for _ in range(3):
        got = json.loads(forked(server, project["probe"], "fixed").stdout)
        assert got["poison"] is None and got["sys_poison"] is False
        assert got["bumps"] == 1  # the native library's static state is the child's own


def test_a_hang_is_dumped_and_its_whole_group_killed(project, server):
    outcome = forked(server, project["hang"], "broken", timeout=1.5, use_gdb=False)
    verdict = classify(outcome)
    assert outcome.timed_out and verdict.kind == "hang"
    assert "leave_a_grandchild_and_sleep" in [f.function for f in verdict.python_stack]
    pids = json.loads(outcome.stdout.splitlines()[0])
    assert hang.group_members(pids["pid"]) == []
    assert gone(pids["grandchild"])


def test_a_grandchild_left_running_is_killed_with_the_group(project, server):
    outcome = forked(server, project["hang"], "fixed")
    assert classify(outcome).kind == "ok"
    assert gone(json.loads(outcome.stdout)["grandchild"])


def test_the_quick_exit_still_joins_threads_runs_atexit_and_flushes_c_stdio(project, server, tmp_path):
    (tmp_path / "fork").mkdir()
    (tmp_path / "spawn").mkdir()
    for outcome, cwd in ((forked(server, project["exit-work"], "fixed", cwd=str(tmp_path / "fork")), "fork"),
                         (spawned(project["exit-work"], "fixed", cwd=str(tmp_path / "spawn")), "spawn")):
        assert outcome.exit_code == 0, outcome.stderr
        assert outcome.stdout.splitlines() == ["non-daemon thread finished", "atexit ran"]
        assert (tmp_path / cwd / "c-stdio.txt").read_text() == "C stdio flushed at exit"


def test_an_atexit_crash_is_seen_like_in_a_spawned_child(project, server):
    fork = classify(forked(server, project["exit-work"], "broken"))
    spawn = classify(spawned(project["exit-work"], "broken"))
    assert fork.kind == spawn.kind == "segv"
    assert fork.signature == spawn.signature


@pytest.mark.parametrize("quick_exit", [True, False])
def test_a_daemon_thread_alive_at_exit_ends_like_in_a_spawned_child(project, server, quick_exit):
    # With another thread alive the child finalises its interpreter in full, as spawn does.
    fork = forked(server, project["daemon"], "broken", timeout=10, quick_exit=quick_exit)
    spawn = spawned(project["daemon"], "broken", timeout=10)
    assert (fork.exit_code, fork.timed_out) == (spawn.exit_code, spawn.timed_out) == (0, False)


def test_fresh_interpreter_cases_are_spawned_and_say_so(project):
    assert policy.spawn_reason(project["fresh"]) and policy.spawn_reason(project["crash"]) is None
    result = execute.run_case(project["fresh"], "fixed", "none", isolation="auto")
    assert (result.verdict.kind, result.verdict.isolation) == ("ok", "spawn")


def test_run_case_forks_by_default_and_spawns_when_asked(project):
    assert execute.run_case(project["crash"], "broken", "none").verdict.isolation == "fork"
    assert execute.run_case(project["crash"], "broken", "none", isolation="spawn").verdict.isolation == "spawn"
    with pytest.raises(ValueError, match="isolation must be one of"):
        execute.run_case(project["crash"], "broken", "none", isolation="thread")


def test_a_server_killed_mid_run_fails_that_run_and_kills_its_child(project):
    server = client.ForkServer("none")
    server.start()
    children = []
    fork = server._fork
    server._fork = lambda request: children.append(fork(request)) or children[-1]
    killer = threading.Timer(1.0, os.kill, (server.pid, signal.SIGKILL))
    killer.start()
    try:
        with pytest.raises(client.ForkServerError, match="died while child"):
            forked(server, project["hang"], "broken", timeout=30, use_gdb=False)
    finally:
        killer.join()
        server.close()
    # The runner's group kill reached the orphaned child and its grandchild.
    assert gone(children[0]) and hang.group_members(children[0]) == []


def test_auto_spawns_when_the_server_cannot_serve(project, monkeypatch):
    def refuse(*args, **kwargs):
        raise client.ForkServerError("refused on purpose")

    monkeypatch.setattr(client.ForkServer, "run", refuse)
    with pytest.warns(RuntimeWarning, match="refused on purpose; spawning lifetime/crash instead"):
        outcome = policy.run_case(project["crash"], "broken", "none", timeout=20, isolation="auto")
    assert (classify(outcome).kind, outcome.isolation) == ("segv", "spawn")
    with pytest.raises(client.ForkServerError):
        policy.run_case(project["crash"], "broken", "none", timeout=20, isolation="fork")


def test_closing_the_client_side_ends_the_server(project):
    server = client.ForkServer("none")
    server.start()
    pid = server.pid
    server.close()
    assert gone(pid)


def test_the_plugin_option_forks_asan_items(tmp_path):
    case = textwrap.dedent('''
        """A use-after-free through ctypes under ASan."""
        import ctypes
        from faultlab.lab.catalog import Case
        from faultlab.lab.native import Library
        LIB = Library("lifetime/uaf")
        uaf = Case(id="lifetime/demo-uaf", mode="lifetime", cwe="CWE-416", title="reads a freed block",
                   explanation=__doc__, expect={"asan": "heap-use-after-free"}, fix_in="native", libraries=(LIB,))
        uaf.broken(lambda: LIB.ctypes().touch_freed())
        uaf.fixed(lambda: LIB.ctypes().touch_freed())
    ''')
    native = UAF_C
    (tmp_path / "native" / "lifetime").mkdir(parents=True)
    (tmp_path / "native" / "lifetime" / "uaf.c").write_text(native)
    (tmp_path / "cases" / "lifetime").mkdir(parents=True)
    (tmp_path / "cases" / "lifetime" / "case_uaf.py").write_text(case)
    env = dict(os.environ, FAULTLAB_ROOT=str(tmp_path), FAULTLAB_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "cases/", "-p", "no:cacheprovider",
                           "--faultlab-isolation", "auto", "--faultlab-report", "results.json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert {(r["variant"], r["observed"], r["verdict"]["isolation"]) for r in results} == {
        ("broken", "heap-use-after-free", "fork"), ("fixed", "ok", "fork")}


def test_a_client_killed_mid_run_takes_its_server_and_the_hanging_child_with_it(project):
    client = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from faultlab.lab import catalog
        from faultlab.lab.isolation import client, policy
        (case,) = [c for c in catalog.cases_in({project["hang"].source!r}) if c.id == "lifetime/hang"]
        server = client.ForkServer("none")
        server.start()
        print(server.pid, flush=True)
        server.run(case.source, case.id, "broken", timeout=300)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int(client.stdout.readline())
        deadline = time.monotonic() + 10
        while not (children := _children(server_pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert children, "the server never forked the hanging child"
        work = _dump_dir(children[0])
        with open(f"/proc/{server_pid}/environ", "rb") as f:
            (entry,) = [e for e in f.read().split(b"\0") if e.startswith(b"FAULTLAB_DUMP_DIR=")]
        server_work = os.fsdecode(entry.split(b"=", 1)[1])
    finally:
        client.kill()
        client.wait()
        client.stdout.close()
    deadline = time.monotonic() + 10
    while not all(gone(pid) for pid in [server_pid, *children]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(gone(pid) for pid in [server_pid, *children])
    assert hang.group_members(children[0]) == []
    # The client's run directory and the server's own, which nobody else would remove once SIGKILL took the client.
    assert work.startswith(tempfile.gettempdir()) and not os.path.exists(work)
    assert os.path.basename(server_work).startswith("faultlab-forkserver-") and not os.path.exists(server_work)


def _dump_dir(pid: int) -> str:
    """The run directory of a forked child: where its stdout goes."""
    return os.path.dirname(os.readlink(f"/proc/{pid}/fd/1"))


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if entry.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return found


def test_the_server_holds_no_report_source():
    """Every module the server imports is a cost of its start-up and, under ASan, of every fork; the
    classifier's sources are needed after a run, in the client, never in the server or its children."""
    code = ("import sys\nfrom faultlab.lab.isolation import server\nserver._warm_up()\n"
            "print(sorted(m for m in sys.modules if m.startswith('faultlab.diagnosis.sources')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
