"""A crash lab that hostile programs and hostile files cannot turn (issue 12).

Every byte a child writes and every file a user hands in is hostile: each test here runs
a real child or reads a real malformed file, and checks that faultlab stays linear,
says what went wrong in one line, and never runs what it reads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from command_line import faultlab as faultlab_command

import faultlab

from conftest import PYTHON


LONG = 200_000


# -- linear, bounded classification -------------------------------------------------------------

def _classified_in(code: str):
    """The verdict of a real child running ``code``. How long classifying hostile output takes is
    measured by ``faultlab bench hostile``; these tests check what the verdict says."""
    return faultlab.classify(faultlab.run([PYTHON, "-c", code], timeout=60))


def test_a_200_kb_frame_line_is_classified_right():
    # Before: 26 s for a 100 KB line (each blank of the run rescanned by `(.+?)\s*$`): bench/hostile.py.
    verdict = _classified_in(f"""if 1:
        import sys
        sys.stderr.write("x" + " " * {LONG} + "y\\n")
        sys.stderr.write('Traceback (most recent call last):\\n  File "a.py", line 3, in f' + " " * {LONG} + "g\\n")
        sys.stderr.flush()
        raise ValueError("after a long line")
        """)
    assert verdict.kind == "python-exception"
    assert verdict.summary.startswith("ValueError: after a long line")


def test_a_200_kb_line_then_a_segfault_is_still_a_segfault():
    verdict = _classified_in(f"""if 1:
        import ctypes, sys
        sys.stderr.write("    #0 0x1 in a" + " " * {LONG} + "b" + " " * {LONG} + "(\\n")
        sys.stderr.write("Fatal Python error: " * {LONG // 20} + "\\n")
        sys.stderr.flush()
        ctypes.string_at(0)
        """)
    assert verdict.kind in ("segv", "null-deref"), verdict
    assert [f.function for f in verdict.python_stack][:2] == ["string_at", "<module>"]


def test_an_over_long_line_is_cut_in_the_middle_and_says_so():
    from faultlab.diagnosis.classify import LINE_LIMIT

    verdict = _classified_in(f"""if 1:
        import sys
        sys.stderr.write("ValueError: " + "h" * {LONG} + "TAIL\\n")
        sys.exit(3)
        """)
    assert verdict.kind == "exit-nonzero"
    (line,) = [e for e in verdict.evidence if e.startswith("ValueError: ")]
    assert len(line) < LINE_LIMIT + 100
    assert f"…[faultlab: {LONG + 16 - LINE_LIMIT} characters cut]…" in line
    assert line.endswith("hhhTAIL")


def test_a_thousand_asan_headlines_are_not_a_thousand_reads():
    from faultlab.diagnosis.outcome import Outcome

    text = "==1==ERROR: AddressSanitizer: unknown-crash on address 0x1\n" * 20_000
    outcome = Outcome(argv=("x",), exit_code=1, signal=None, timed_out=False, duration_s=0.1, stdout="", stderr=text)
    verdict = faultlab.classify(outcome)
    assert verdict.kind == "unknown-crash"  # no line says where the address lies


# -- bytes neutralised at the terminal -----------------------------------------------------------

# A new window title, a cleared screen, an OSC 8 link, a one-byte CSI (C1, as UTF-8), the
# cursor sent back, a right-to-left override, and a carriage return over the line.
HOSTILE = ("\x1b]0;pwned\x07 \x1b[2J \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
           " \u009b31m \x08\x7f \u202etxt.exe\rERASED")
SHOWN = ("\\x1b]0;pwned\\x07 \\x1b[2J \\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\"
         " \\u009b31m \\x08\\x7f \\u202etxt.exe")  # the CR ends the line for whoever splits it


def _raw_controls(text: str) -> list[str]:
    """The control, C1 and bidi characters of ``text`` other than newline and tab."""
    return sorted({c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0
                   or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069})


def _faultlab(*args: str) -> subprocess.CompletedProcess:
    """``faultlab ARGS``, every byte it wrote kept as itself (a raw C1 byte must not hide as text)."""
    return faultlab_command(None, *args, timeout=120, errors="surrogateescape")


@pytest.mark.parametrize("code", [
    # Into the evidence of a segfault: an exception line on stderr, then the crash.
    f"import ctypes, sys; sys.stderr.write('ValueError: ' + {HOSTILE!r} + '\\n'); sys.stderr.flush(); ctypes.string_at(0)",
    # Into the summary and evidence: the exception's own message.
    f"raise ValueError({HOSTILE!r})",
], ids=["segfault", "exception"])
def test_diagnose_shows_a_childs_escape_sequences_escaped(code):
    done = _faultlab("diagnose", "--", PYTHON, "-c", code)
    assert done.returncode == 1, done.stderr
    assert _raw_controls(done.stdout) == [], done.stdout
    assert SHOWN in done.stdout, done.stdout
    assert "ValueError: " + SHOWN in done.stdout


def test_diagnose_json_stays_json():
    done = _faultlab("diagnose", "--json", "--", PYTHON, "-c", f"raise ValueError({HOSTILE!r})")
    assert json.loads(done.stdout)["summary"].startswith("ValueError: " + HOSTILE[:40])
    assert _raw_controls(done.stdout) == []


def test_printable_keeps_text_and_tabs_and_escapes_the_rest():
    from faultlab.reports.terminal import printable

    assert printable("héllo\tworld — ✓") == "héllo\tworld — ✓"
    assert printable(HOSTILE) == SHOWN + "\\rERASED"
    assert printable("a\nb\u2028c\x7f\x9f\u2066") == "a\\nb\\u2028c\\x7f\\u009f\\u2066"


HOSTILE_CASE = '''
"""A driver whose exception message carries terminal escapes."""
from faultlab.lab.catalog import Case

case = Case(id="swallowed-error/hostile-message", mode="swallowed-error", cwe="CWE-252",
            title="raises with escapes", explanation=__doc__, expect={{"none": "segv"}}, fix_in="binding")

@case.broken
def broken():
    raise ValueError({hostile!r})

@case.fixed
def fixed():
    pass
'''


def test_a_pytest_failure_shows_a_childs_escape_sequences_escaped(pytester, monkeypatch):
    (pytester.path / "native").mkdir()
    (pytester.path / "cases" / "swallowed_error").mkdir(parents=True)
    (pytester.path / "cases" / "swallowed_error" / "case_hostile.py").write_text(HOSTILE_CASE.format(hostile=HOSTILE))
    monkeypatch.setenv("FAULTLAB_ROOT", str(pytester.path))
    monkeypatch.setenv("FAULTLAB_CACHE", str(pytester.path / "cache"))
    result = pytester.runpytest_subprocess("cases/", "-p", "no:cacheprovider", "-p", "no:xdist", timeout=300)
    out = result.stdout.str()
    assert result.ret == 1, out
    result.stdout.fnmatch_lines(["swallowed-error/hostile-message: expected segv, observed python-exception*"])
    assert "ValueError: " + SHOWN in out, out
    assert _raw_controls(out) == [], out


# -- artifacts are data, never code --------------------------------------------------------------

EVIL_HARNESS = '''
from faultlab.fuzzing.target import FuzzTarget
TARGET = FuzzTarget(mode="lifetime", cwe="CWE-416", expect="heap-use-after-free")
open({marker!r}, "w").write("ran")
'''
VERDICT = {"kind": "heap-use-after-free", "mode": "lifetime", "cwe": "CWE-416", "security": True,
           "summary": "a stored finding", "signature": "0123456789abcdef"}


def _artifact(tmp_path: Path, finding: dict | str, verdict: dict | str = VERDICT) -> Path:
    folder = tmp_path / "artifact"
    folder.mkdir()
    (folder / "input").write_bytes(b"x")
    for name, content in (("finding.json", finding), ("verdict.json", verdict)):
        (folder / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return folder


def _rejected(folder: Path) -> str:
    done = _faultlab("fuzz", "--reproduce", str(folder))
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert done.stderr.startswith("faultlab: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def test_a_findings_harness_path_is_never_run(tmp_path):
    marker = tmp_path / "the-harness-ran"
    evil = tmp_path / "evil.py"
    evil.write_text(EVIL_HARNESS.format(marker=str(marker)))
    folder = _artifact(tmp_path, {"target": "evil", "harness": str(evil), "variant": "broken"})
    assert "no fuzz target 'evil'" in _rejected(folder)
    assert not marker.exists()


@pytest.mark.parametrize("finding, verdict, message", [
    ({"target": "../../etc/x", "variant": "broken"}, VERDICT, r"target '\.\./\.\./etc/x' is not a fuzz target's name"),
    ({"target": "/etc/passwd", "variant": "broken"}, VERDICT, r"is not a fuzz target's name"),
    ({"target": "probe.py", "variant": "broken"}, VERDICT, r"is not a fuzz target's name"),
    ('{"target": "encoding_mutf8", "vari', VERDICT, r"finding\.json is not valid JSON: "),
    ("[" * 100_000 + "]" * 100_000, VERDICT, r"finding\.json is not valid JSON: nested too deeply"),
    ('["encoding_mutf8", "broken"]', VERDICT, r"finding\.json must hold a JSON object, not list"),
    ({"target": 7, "variant": "broken"}, VERDICT, r"'target' must be a str"),
    ({"target": "encoding_mutf8", "variant": "../x"}, VERDICT, r"variant '\.\./x' is not one of broken, fixed"),
    ({"target": "encoding_mutf8", "variant": "broken"}, {"kind": "segv"}, r"verdict\.json has no 'mode'"),
    ({"target": "encoding_mutf8", "variant": "broken"}, {**VERDICT, "kind": "rm -rf"}, r"kind 'rm -rf' is not a verdict kind"),
    ({"target": "encoding_mutf8", "variant": "broken"}, " " * (2 << 20), r"verdict\.json is larger than"),
], ids=["dotdot", "absolute", "suffix", "truncated", "deep", "list", "target-type", "variant", "verdict-keys",
        "verdict-kind", "huge"])
def test_a_malformed_artifact_is_one_line_and_exit_2(tmp_path, finding, verdict, message):
    assert re.search(message, _rejected(_artifact(tmp_path, finding, verdict)))


# -- the one-line contract: every option checked before any work starts ----------------------------

@pytest.mark.parametrize("args, message", [
    (("diagnose", "--timeout", "1e10", "--", "true"), "--timeout: 1e10 must be more than 0 and at most 86400 seconds"),
    (("diagnose", "--timeout", "nan", "--", "true"), "--timeout: 'nan' is not a finite number"),
    (("diagnose", "--memory-mb", "1e300", "--", "true"), "--memory-mb: 1e300 must be from 16 to 1048576 megabytes"),
    (("diagnose", "--memory-mb", "1e-7", "--", "true"), "--memory-mb: 1e-7 must be from 16 to 1048576 megabytes"),
    (("diagnose", "--deadlock-after", "-1", "--", "true"), "--deadlock-after: -1 must be from 0 to 86400 seconds"),
    (("fuzz", "encoding_mutf8", "--time", "1e300"), "--time: 1e300 must be more than 0 and at most 86400 seconds"),
    (("fuzz", "encoding_mutf8", "--runs", "0"), "--runs: 0 must be a whole number from 1"),
    (("fuzz", "encoding_mutf8", "--jobs", "-2"), "--jobs: -2 must be a whole number from 1"),
    (("fuzz", "encoding_mutf8", "--workdir", "/dev/null/x"), "--workdir: /dev/null/x: /dev/null is not a directory"),
    (("fuzz", "encoding_mutf8", "--artifacts", "/proc/1/x"), "--artifacts: /proc/1/x: cannot write in /proc/1"),
])
def test_a_bad_option_is_one_line_and_nothing_runs(args, message):
    done = _faultlab(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("faultlab: ") and message in done.stderr, done.stderr


@pytest.mark.parametrize("where, message", [
    ("/dev/null/x.sarif", "/dev/null is not a directory"),
    ("{tmp}", "is a directory, not a file"),
    ("/proc/x.sarif", "cannot write in /proc"),
])
def test_report_checks_every_output_before_it_writes_any(tmp_path, where, message):
    results = Path(__file__).with_name("fixtures") / "results" / "v1-small-catalog.json"
    html = tmp_path / "ok.html"
    done = _faultlab("report", str(results), "--html", str(html), "--sarif", where.format(tmp=tmp_path))
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert not html.exists() and list(tmp_path.iterdir()) == []  # no half of the job, no temporary file


CONTROLS = "\x1b]0;pwned\x07\u202eSPOOF\u2066\x00\x9b2J\u200f"


def test_a_results_file_s_controls_and_bidi_reach_the_html_page_escaped(tmp_path):
    """A browser shows no escape sequence, but it honours U+202E and the isolates: text a child printed
    (or a tampered results file holds) must not reorder what the page says; a NUL is no HTML at all."""
    results = json.loads((Path(__file__).with_name("fixtures") / "results" / "v1-small-catalog.json").read_text())
    entry = results["results"][0]
    entry["case"] = entry["case"] + CONTROLS
    entry["verdict"]["summary"] += CONTROLS
    entry["verdict"]["evidence"].append(CONTROLS)
    entry["verdict"]["native_stack"][0]["function"] += CONTROLS
    entry["verdict"]["report_stacks"] = [{"title": CONTROLS, "frames": [{"function": CONTROLS, "module": "m", "line": 1}]}]
    (tmp_path / "r.json").write_text(json.dumps(results))
    done = _faultlab("report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8", errors="surrogateescape")
    assert [c for c in "\x1b\x07\u202e\u2066\x00\x9b\u200f" if c in page] == []
    assert "\\x1b]0;pwned\\x07\\u202eSPOOF" in page


def test_a_results_file_with_a_huge_stack_is_reported_and_its_stack_cut(tmp_path):
    """Each frame was looked up in the list of meaningful ones: 30,000 frames (a 2 MB file) took minutes
    (the command's own timeout bounds it here); the page draws the first 200 and counts the rest."""
    results = json.loads((Path(__file__).with_name("fixtures") / "results" / "v1-small-catalog.json").read_text())
    verdict = results["results"][0]["verdict"]
    verdict["python_stack"] = [{"function": f"f{i}", "module": "m.py", "line": i + 1} for i in range(30_000)]
    (tmp_path / "r.json").write_text(json.dumps(results))
    done = _faultlab("report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"),
                     "--sarif", str(tmp_path / "r.sarif"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r.html").read_text()
    assert "f0</code>" in page and "f29999</code>" not in page and "29,800 more frames not shown" in page


SAMPLE = Path(__file__).with_name("fixtures") / "results" / "v2-catalog-sample.json"


def test_a_verdicts_many_evidence_lines_and_threads_are_cut_on_the_page_and_counted(tmp_path):
    results = json.loads(SAMPLE.read_text())
    verdict = results["results"][0]["verdict"]
    verdict["evidence"] = [f"evidence {i}" for i in range(10_000)]
    verdict["threads"] = [f"thread {i}" for i in range(50_000)]
    (tmp_path / "r.json").write_text(json.dumps(results))
    done = _faultlab("report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r.html").read_text()
    assert "evidence 199\n" in page and "evidence 200\n" not in page and "9,800 more lines of evidence not shown" in page
    assert "<li>thread 199</li>" in page and "thread 200<" not in page and "49,800 more threads not shown" in page
    assert "threads (50000)" in page


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz's dot not installed (make setup installs it)")
def test_a_page_of_many_deadlocks_has_dot_draw_a_bounded_number_of_graphs(tmp_path):
    """Each wait-for graph is a dot child (up to 10 s each): 30 deadlocks draw 24 graphs, the rest as tables."""
    from faultlab.reports.pictures import MAX_GRAPHS_DRAWN

    results = json.loads(SAMPLE.read_text())
    deadlock = next(r for r in results["results"] if r["verdict"].get("lock_waits"))
    results["results"] = [{**deadlock, "case": f"threading/deadlock-{i}"} for i in range(30)]
    (tmp_path / "r.json").write_text(json.dumps(results))
    done = _faultlab("report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r.html").read_text()
    assert page.count('<div class="graph"><svg') == MAX_GRAPHS_DRAWN == 24
    assert page.count(f"(not drawn: this page draws {MAX_GRAPHS_DRAWN} graphs at most: the edges as a table)") == 6


def test_a_report_line_with_a_number_no_report_has_draws_no_picture_and_no_traceback(tmp_path):
    """The pictures parse numbers out of the evidence: one of 4,400 digits is past what int() converts."""
    results = json.loads(SAMPLE.read_text())
    overflow = next(r for r in results["results"] if r["verdict"]["kind"] == "heap-buffer-overflow")
    overflow["verdict"]["evidence"] = [re.sub(r"(?<![0-9a-fx])\d+(?![0-9a-fx])", "9" * 4400, line)
                                       for line in overflow["verdict"]["evidence"]]
    (tmp_path / "r.json").write_text(json.dumps(results))
    done = _faultlab("report", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "9" * 4400 in (tmp_path / "r.html").read_text()


def test_report_files_are_written_both_or_neither(tmp_path):
    from faultlab.reports import atomic

    (tmp_path / "a-file").write_text("")  # the second report's folder cannot be made: a file stands there
    html, sarif = tmp_path / "r.html", tmp_path / "a-file" / "r.sarif"
    with pytest.raises(OSError):
        atomic.write_all({html: "<html>", sarif: "{}"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no r.html, no temporary file
    atomic.write_all({html: "<html>", tmp_path / "r.sarif": "{}"})
    assert (html.read_text(), (tmp_path / "r.sarif").read_text()) == ("<html>", "{}")


@pytest.mark.parametrize("args, message", [
    (("--faultlab-sanitizer", "bogus"), "--faultlab-sanitizer bogus: choose from none, "),
    (("--faultlab-repeat", "-5"), "--faultlab-repeat -5: must be at least 1"),
    (("--faultlab-report", "/dev/null/r.json"), "--faultlab-report /dev/null/r.json: /dev/null is not a directory"),
    (("--faultlab-sarif", "/proc/r.sarif"), "--faultlab-sarif /proc/r.sarif: cannot write in /proc"),
])
def test_a_bad_plugin_option_stops_pytest_before_any_item_runs(pytester, monkeypatch, args, message):
    (pytester.path / "cases").mkdir()
    monkeypatch.setenv("FAULTLAB_ROOT", str(pytester.path))
    result = pytester.runpytest_subprocess("cases/", "-p", "no:cacheprovider", *args, timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}*"])


# -- the user's environment is merged, not replaced ------------------------------------------------

OVERFLOW_C = """
    static int *escape_local(void) { int local[4] = {1, 2, 3, 4}; int *volatile p = local; return p; }
    int read_returned_stack(void) { return escape_local()[1]; }
    int read_freed(void) { int *p = __builtin_malloc(16); p[0] = 7; __builtin_free(p); return p[0]; }
"""


def test_the_users_own_sanitizer_options_are_kept(compile_c, diagnose_code):
    # faultlab turns detect_stack_use_after_return on by default; a user who turns it off is obeyed.
    library = compile_c(OVERFLOW_C, "overflow", sanitizer="asan")
    code = f"import ctypes; ctypes.CDLL({str(library)!r}).read_returned_stack()"
    diagnose_code(code, sanitizer="asan").expect("stack-use-after-return", signal="SIGABRT")
    env = dict(os.environ, ASAN_OPTIONS="detect_stack_use_after_return=0")
    diagnose_code(code, sanitizer="asan", env=env).expect("ok", exit_code=0)


def test_an_option_faultlab_needs_wins_and_says_so(compile_c, tmp_path):
    library = compile_c(OVERFLOW_C, "overflow", sanitizer="asan")
    code = f"import ctypes; ctypes.CDLL({str(library)!r}).read_freed()"
    done = faultlab_command(None, "diagnose", "--json", "--sanitizer", "asan", "--", PYTHON, "-c", code,
                            ASAN_OPTIONS=f"halt_on_error=0:log_path={tmp_path / 'asan'}", timeout=120)
    assert json.loads(done.stdout)["kind"] == "heap-use-after-free", done.stderr  # the report still came to stderr
    assert done.stderr.splitlines() == [
        "faultlab: warning: ASAN_OPTIONS: halt_on_error=0 -> 1 (faultlab reads the report only with its own value)",
        f"faultlab: warning: ASAN_OPTIONS: log_path={tmp_path / 'asan'} -> stderr "
        "(faultlab reads the report only with its own value)",
    ]
    assert list(tmp_path.iterdir()) == []


def test_the_users_sitecustomize_runs_after_faultlabs(tmp_path, diagnose_code):
    (tmp_path / "sitecustomize.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('yes')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    hung = diagnose_code("import time\ndef wait():\n    time.sleep(30)\nwait()\n", env=env, timeout=1.5, use_gdb=False)
    assert (tmp_path / "ran").read_text() == "yes"  # theirs ran
    assert hung.verdict.kind == "hang" and [f.function for f in hung.verdict.python_stack][:1] == ["wait"]  # ours too


# -- nothing a run starts outlives its verdict ----------------------------------------------------

# Each escapee writes its pid to PIDFILE once it has left the run's process group, then sleeps;
# the run's own process returns only after that, so the escapee is alive when the verdict comes.
SETSID_GRANDCHILD = """
import os, time
if os.fork() == 0:
    os.setsid()  # FLAW: a new session, out of reach of the group kill
    with open(PIDFILE + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(PIDFILE + ".tmp", PIDFILE)
    time.sleep(60)
    os._exit(0)
while not os.path.exists(PIDFILE):
    time.sleep(0.01)
"""

DOUBLE_FORKED_DAEMON = """
import os, time
first = os.fork()
if first == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 1024)  # FLAW: a daemon: no session, no parent, no fd shared with the run
        with open(PIDFILE + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(PIDFILE + ".tmp", PIDFILE)
        time.sleep(60)
    os._exit(0)
os.waitpid(first, 0)
while not os.path.exists(PIDFILE):
    time.sleep(0.01)
"""

ESCAPEES = {"setsid-grandchild": SETSID_GRANDCHILD, "double-forked-daemon": DOUBLE_FORKED_DAEMON}


def _escapee_code(which: str, pidfile: Path) -> str:
    return f"PIDFILE = {str(pidfile)!r}\n" + ESCAPEES[which]


def _absent(pid: int) -> bool:
    """No such process, not even a zombie: someone reaped it."""
    return not Path(f"/proc/{pid}").exists()


def _assert_escapee_killed_and_reaped(pidfile: Path) -> None:
    import os
    import signal

    pid = int(pidfile.read_text())
    try:
        assert _absent(pid), f"escaped process {pid} outlived the verdict: {Path(f'/proc/{pid}/stat').read_text()}"
    finally:
        if not _absent(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("which", sorted(ESCAPEES))
def test_a_spawned_runs_escaped_descendant_is_killed_and_reaped(tmp_path, which):
    pidfile = tmp_path / "escapee.pid"
    outcome = faultlab.run([PYTHON, "-c", _escapee_code(which, pidfile)], timeout=30)
    assert (outcome.exit_code, outcome.timed_out) == (0, False), outcome.stderr
    _assert_escapee_killed_and_reaped(pidfile)


@pytest.mark.parametrize("which", sorted(ESCAPEES))
def test_a_timed_out_runs_escaped_descendant_is_killed_and_reaped(tmp_path, which):
    pidfile = tmp_path / "escapee.pid"
    code = _escapee_code(which, pidfile) + "\ntime.sleep(60)\n"
    outcome = faultlab.run([PYTHON, "-c", code], timeout=2, use_gdb=False, deadlock_after=None)
    assert outcome.timed_out
    _assert_escapee_killed_and_reaped(pidfile)



def test_a_sweep_leaves_faultlabs_own_children_and_concurrent_runs_alone(tmp_path, escape_case):
    import threading

    from faultlab.lab.isolation import client

    case, _ = escape_case
    server = client.ForkServer("none")
    server.start()
    beside = {}
    # Another run under way in another thread, with a grandchild of its own that left its group.
    other = threading.Thread(target=lambda: beside.update(outcome=faultlab.run(
        [PYTHON, "-c", _escapee_code("setsid-grandchild", tmp_path / "beside.pid") + "\ntime.sleep(3)\n"],
        timeout=30)))
    other.start()
    try:
        while not (tmp_path / "beside.pid").exists():
            time.sleep(0.01)
        beside_pid = int((tmp_path / "beside.pid").read_text())
        outcome = faultlab.run([PYTHON, "-c", _escapee_code("double-forked-daemon", tmp_path / "escapee.pid")],
                               timeout=30)
        assert outcome.exit_code == 0, outcome.stderr
        _assert_escapee_killed_and_reaped(tmp_path / "escapee.pid")
        assert not _absent(beside_pid), "a sweep killed another run's process"
        assert not _absent(server.pid), "a sweep killed faultlab's fork server"
        assert server.run(case.source, case.id, "broken", timeout=30).exit_code == 0  # it still serves
    finally:
        other.join()
        server.close()
    assert beside["outcome"].exit_code == 0
    _assert_escapee_killed_and_reaped(tmp_path / "beside.pid")

LIVE_HELPER = r"""
import subprocess, sys
import faultlab
from faultlab.diagnosis import containment

helper = subprocess.Popen(["sleep", "30"], start_new_session=True)
containment.register_helper(helper.pid)
walks = []
table = containment.process_table
containment.process_table = lambda: walks.append(1) or table()
try:
    assert faultlab.run([sys.executable, "-c", "pass"], timeout=30).exit_code == 0
finally:
    containment.forget_helper(helper.pid)
    helper.kill()
    helper.wait()
print(len(walks))
"""


def test_a_live_helper_does_not_cost_a_run_the_sweep():
    """A warm symbolizer or a fork server is faultlab's own child: with nothing else alive, a spawned
    run's end skips the walk over /proc (the isolation bench's figures rely on it). In a fresh
    interpreter, so that no other test's children are alive."""
    done = subprocess.run([PYTHON, "-c", LIVE_HELPER], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "0"), done.stderr


ESCAPE_CASES = '''
"""Drivers whose descendants leave the run's process group."""
from faultlab.lab.catalog import Case

escape = Case(id="lifetime/escapee", mode="lifetime", cwe="CWE-404", title="escapes", explanation=__doc__,
              expect={{"none": "segv"}}, fix_in="binding")

@escape.broken
def setsid_grandchild():
{setsid}

@escape.fixed
def double_forked_daemon():
{daemon}
'''


@pytest.fixture(scope="module")
def escape_case(tmp_path_factory):
    import textwrap

    from faultlab.lab import catalog

    root = tmp_path_factory.mktemp("escape")
    pidfile = root / "escapee.pid"
    source = ESCAPE_CASES.format(
        setsid=textwrap.indent(_escapee_code("setsid-grandchild", pidfile), "    "),
        daemon=textwrap.indent(_escapee_code("double-forked-daemon", pidfile), "    "))
    (root / "case_escape.py").write_text(source)
    (case,) = catalog.cases_in(root / "case_escape.py")
    return case, pidfile


@pytest.mark.parametrize("variant", ["broken", "fixed"], ids=["setsid-grandchild", "double-forked-daemon"])
def test_a_forked_runs_escaped_descendant_is_killed_and_reaped(escape_case, variant):
    from faultlab.lab.isolation import client

    case, pidfile = escape_case
    pidfile.unlink(missing_ok=True)
    server = client.ForkServer("none")
    try:
        outcome = server.run(case.source, case.id, variant, timeout=30)
        assert (outcome.exit_code, outcome.isolation) == (0, "fork"), outcome.stderr
        _assert_escapee_killed_and_reaped(pidfile)
    finally:
        server.close()


# -- faultlab told to stop takes its run with it ------------------------------------------------

def _descendants_of(pid: int) -> set[int]:
    from faultlab.diagnosis import containment

    return containment.descendants(containment.process_table(), {pid}) - {pid}


STOPPED_CASE = '''
"""A driver that leaves a setsid'd grandchild and hangs."""
from faultlab.lab.catalog import Case

stopped = Case(id="lifetime/stopped", mode="lifetime", cwe="CWE-404", title="hangs", explanation=__doc__,
               expect={{"none": "hang"}}, fix_in="binding")

@stopped.broken
def setsid_grandchild_then_hang():
{code}

@stopped.fixed
def nothing():
    pass
'''


def _told_to_stop(tmp_path: Path, command: str) -> list[str]:
    """The command line of ``faultlab COMMAND`` (or of pytest over ``cases/``) whose run leaves a setsid'd
    grandchild and hangs."""
    import sys
    import textwrap

    pidfile = tmp_path / "child.pid"
    code = f"PIDFILE = {str(pidfile)!r}\n" + SETSID_GRANDCHILD + "\ntime.sleep(60)\n"
    if command == "diagnose":
        return [sys.executable, "-m", "faultlab", "diagnose", "--no-gdb", "--", PYTHON, "-c", code]
    (tmp_path / "native").mkdir()
    (tmp_path / "cases" / "lifetime").mkdir(parents=True)
    (tmp_path / "cases" / "lifetime" / "case_stopped.py").write_text(
        STOPPED_CASE.format(code=textwrap.indent(code, "    ")))
    if command == "pytest":
        return [sys.executable, "-m", "pytest", "cases/", "-p", "no:cacheprovider", "-p", "no:xdist", "-k", "broken"]
    return [sys.executable, "-m", "faultlab", "run", "lifetime/stopped", "--variant", "broken"]


@pytest.mark.parametrize("command", ["diagnose", "run", "pytest"])
@pytest.mark.parametrize("signame, status", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_faultlab_told_to_stop_kills_its_run_and_removes_its_files(tmp_path, command, signame, status):
    import os
    import signal

    tmp, pidfile = tmp_path / "tmp", tmp_path / "child.pid"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "FAULTLAB_ROOT": str(tmp_path), "FAULTLAB_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen(_told_to_stop(tmp_path, command), env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pidfile.exists(), "the run never started"
        run = _descendants_of(proc.pid)  # the run, its grandchild, and for `run` the fork server
        assert len(run) >= 2, "the run's processes were not found under faultlab"
        assert any(p.name.startswith("faultlab-run-") for p in tmp.iterdir())
        proc.send_signal(getattr(signal, signame))
        assert proc.wait(timeout=10) == status, proc.stderr.read()
        deadline = time.monotonic() + 2  # init reaps what faultlab's exit left unreaped
        while not all(_absent(p) for p in run) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = {p: Path(f"/proc/{p}/cmdline").read_bytes() for p in run if not _absent(p)}
        assert left == {}, f"processes of the run outlived faultlab: {left}"
        assert [p.name for p in tmp.iterdir()] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in run:
            if not _absent(pid):
                os.kill(pid, signal.SIGKILL)


def _handles(pid: int, *signums: int) -> bool:
    """Whether process ``pid`` has a handler of its own for each of ``signums`` (its SigCgt mask)."""
    caught = next(int(line.split()[1], 16) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if line.startswith("SigCgt:"))
    return all(caught >> (signum - 1) & 1 for signum in signums)


@pytest.mark.parametrize("signame, status", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_triage_told_to_stop_says_it_ran_nothing(signame, status):
    """triage only reads: stopped while it waits for standard input, it must not claim to have killed a run."""
    import signal
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "faultlab", "triage", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(b"a saved log, its end not written yet\n")
        proc.stdin.flush()  # the pipe stays open: triage waits for the rest of the log
        deadline = time.monotonic() + 60
        while not _handles(proc.pid, signal.SIGTERM, signal.SIGHUP) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(getattr(signal, signame))
        assert proc.wait(timeout=10) == status
        stderr = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
    assert stderr == f"faultlab: stopped by {signame}; triage runs nothing and writes nothing, so nothing was left behind\n"


# -- output files swapped under the runner --------------------------------------------------------

def _run_in_a_child(code: str, *, memory: int | None = None) -> subprocess.CompletedProcess:
    """``faultlab.run`` of a child running ``code``, from a separate interpreter bounded in time (and memory)."""
    import resource
    import sys

    driver = (f"import faultlab, json, sys\n"
              f"o = faultlab.run([{PYTHON!r}, '-c', {code!r}], timeout=20)\n"
              f"print(json.dumps({{'exit': o.exit_code, 'stdout': o.stdout, 'stderr': o.stderr[-500:]}}))\n")

    def limit():
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, timeout=40, preexec_fn=limit)


SWAP_STDOUT = """
import os, sys
print("written before the swap", flush=True)
path = os.readlink("/proc/self/fd/1")
os.unlink(path)
{swap}
print("written after the swap", flush=True)
"""


@pytest.mark.parametrize("swap", ["os.mkfifo(path)", "os.symlink('/dev/zero', path)", "os.mkdir(path)"],
                         ids=["fifo", "dev-zero", "directory"])
def test_a_stdout_file_swapped_by_the_child_is_read_bounded(swap):
    done = _run_in_a_child(SWAP_STDOUT.format(swap=swap), memory=2 << 30)  # bounded in time: it never hangs
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert got["exit"] == 0, got
    assert got["stdout"] == "written before the swap\nwritten after the swap\n", got


# -- report files a runtime leaves in the run directory (a JVM's hs_err) ---------------------------

FORGED_REPORT_FILES = r"""
import os
work = os.environ["FAULTLAB_DUMP_DIR"]
os.mkfifo(os.path.join(work, "hs_err_pid1.log"))
os.symlink("/dev/zero", os.path.join(work, "hs_err_pid2.log"))
os.mkdir(os.path.join(work, "hs_err_pid3.log"))
with open(os.path.join(work, "hs_err_pid4.log"), "w") as f:
    f.write("#  SIGSEGV (0xb) at pc=0x0\n" + "x" * 10_000_000)
for n in range(5, 40):
    open(os.path.join(work, f"hs_err_pid{n}.log"), "w").write("small")
print("#  SIGSEGV (0xb) at pc=0x00007f56c46d2f94, pid=1, tid=2", flush=True)
os._exit(1)
"""


def test_forged_report_files_are_read_as_bounded_regular_files_only():
    from faultlab.diagnosis import report_files

    outcome = faultlab.run([PYTHON, "-c", FORGED_REPORT_FILES], timeout=30)
    names = [name for name, _ in outcome.report_files]
    assert names and not {"hs_err_pid1.log", "hs_err_pid2.log", "hs_err_pid3.log"} & set(names), names
    assert len(names) <= report_files.MAX_FILES
    assert all(len(text) <= report_files.READ_CAP for _, text in outcome.report_files)
    assert faultlab.classify(outcome).kind == "segv"


def test_the_jvm_is_asked_for_its_report_in_the_run_directory_and_the_users_options_are_kept():
    from faultlab.diagnosis import report_files

    mine = report_files.environment({"JAVA_TOOL_OPTIONS": "-Xmx32m"}, "/run/x")
    assert mine["JAVA_TOOL_OPTIONS"] == "-Xmx32m -XX:ErrorFile=/run/x/hs_err_pid%p.log"
    theirs = {"JAVA_TOOL_OPTIONS": "-XX:ErrorFile=/home/me/crash.log"}
    assert report_files.environment(theirs, "/run/x") == theirs
