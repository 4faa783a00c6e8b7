"""``faultlab triage``: saved crash output classified as ``diagnose`` classifies the run that printed it.

Every recorded output of tests/fixtures/outputs/ is triaged as a saved log (the command line,
in a child) and must get the verdict the classifier gives the recorded run itself, whose
ending its ``# ended:`` line says. Then the hostile logs: a huge line, binary bytes, escape
sequences, a FIFO, a directory.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from command_line import faultlab
from conftest import FIXTURES, recorded, recorded_ending, recorded_run

from faultlab.cli import triage as triage_command
from faultlab.diagnosis.classify import classify

RECORDINGS = sorted(p.name for p in (FIXTURES / "outputs").glob("*.txt"))
# Outputs of no run: gdb's backtraces of a live process, which faultlab reads as a hang's threads, not as a log.
NOT_A_RUN = [name for name in RECORDINGS if recorded_ending(name).startswith("not a run")]
# The watchdog decided these runs: the timeout and the threads' states are facts of the run, not of its output.
WATCHDOG = [name for name in RECORDINGS if recorded_ending(name) == "timed out"]
LOGS = [name for name in RECORDINGS if name not in NOT_A_RUN + WATCHDOG]


def triage_json(*paths: str, stdin: str | None = None) -> tuple[int, list[dict], str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "faultlab", "triage", "--json", *paths], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


@pytest.fixture(scope="module")
def triaged(tmp_path_factory) -> dict[str, dict]:
    """Every recorded output saved as a bare log (its output only) and triaged in one command."""
    folder = tmp_path_factory.mktemp("logs")
    paths = []
    for name in RECORDINGS:
        (folder / name).write_text(recorded(name)[1])
        paths.append(str(folder / name))
    status, verdicts, stderr = triage_json(*paths)
    assert status == 1 and stderr == "", stderr
    return {Path(v["log"]).name: v for v in verdicts}


@pytest.mark.parametrize("name", LOGS)
def test_triage_agrees_with_the_verdict_of_the_recorded_run(triaged, name):
    run = classify(recorded_run(name))
    log = triaged[name]
    assert (log["kind"], log["signature"], log["summary"]) == (run.kind, run.signature, run.summary), (
        f"{name} ended {recorded_ending(name)}: the run is {run.kind} ({run.summary}), the log {log['kind']} ({log['summary']})")
    assert (log["exit_code"], log["signal"]) == (None, None)


@pytest.mark.parametrize("name", WATCHDOG)
def test_a_watchdog_verdict_is_not_claimed_from_its_dump_alone(triaged, name):
    # faultlab's watchdog asks for the dump and then kills the child: nothing in the text says it timed out.
    assert classify(recorded_run(name)).kind in ("hang", "deadlock")
    assert (triaged[name]["kind"], triaged[name]["summary"]) == ("ok", "no fatal report in the log (how the program ended is unknown)")


def test_every_recording_is_a_log_or_says_why_not():
    assert set(LOGS) | set(WATCHDOG) | set(NOT_A_RUN) == set(RECORDINGS)
    assert len(LOGS) >= 25


def test_a_traceback_alone_decides_nothing_in_a_log_but_beside_a_fatal_report_it_does(tmp_path):
    traceback = 'Traceback (most recent call last):\n  File "job.py", line 3, in <module>\nValueError: bad header\n'
    (tmp_path / "caught.log").write_text("INFO starting\n" + traceback + "INFO done\n")
    (tmp_path / "fatal.log").write_text(traceback + "Fatal Python error: Aborted\n")
    status, (caught, fatal), _ = triage_json(str(tmp_path / "caught.log"), str(tmp_path / "fatal.log"))
    assert status == 1
    assert caught["kind"] == "ok" and "it printed 'Traceback (most recent call last):'" in caught["summary"]
    assert fatal["kind"] == "abort"


def test_standard_input_is_a_log():
    _, text = recorded("glibc-tcache-double-free.txt")
    status, (verdict,), _ = triage_json("-", stdin=text)
    assert (status, verdict["log"], verdict["kind"]) == (1, "<stdin>", "double-free")


def test_a_clean_log_exits_0():
    status, (verdict,), _ = triage_json("-", stdin="build ok\n42 passed\n")
    assert (status, verdict["kind"]) == (0, "ok")


# -- hostile logs ---------------------------------------------------------------------------------

def test_a_huge_log_is_read_head_and_tail_with_the_cut_marked(tmp_path):
    _, report = recorded("asan-new-array-overflow.txt")
    log = tmp_path / "huge.log"
    with open(log, "w") as f:
        f.write("x" * (triage_command.HEAD + triage_command.TAIL + (5 << 20)))  # one line, bigger than what is read
        f.write("\n" + report)
    text = triage_command.read_log(str(log))
    assert len(text) < triage_command.HEAD + triage_command.TAIL + 200
    assert re.search(r"…\[faultlab: \d+ bytes of the log not read\]…", text)
    status, (verdict,), _ = triage_json(str(log))
    assert (status, verdict["kind"], verdict["access"]) == (1, "heap-buffer-overflow", "READ")


def test_binary_bytes_are_read_as_escapes(tmp_path):
    log = tmp_path / "core.bin"
    log.write_bytes(bytes(range(256)) * 4000 + b"\nfree(): double free detected in tcache 2\n\xff\xfe")
    status, (verdict,), stderr = triage_json(str(log))
    assert (status, verdict["kind"], stderr) == (1, "double-free", "")


def test_escape_sequences_in_a_log_reach_the_terminal_escaped(tmp_path):
    log = tmp_path / "evil.log"
    log.write_text("\x1b]0;pwned\x07malloc(): corrupted top size \x1b[2J\u202e\n")
    done = faultlab(None, "triage", str(log))
    assert done.returncode == 1
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "malloc(): corrupted top size \\x1b[2J\\u202e" in done.stdout


def test_a_log_named_in_bytes_that_are_not_utf_8_is_named_visibly(tmp_path):
    """A CI artifact's file name is the uploader's choice: a stray byte (0x9b is a one-byte CSI
    in an 8-bit terminal) is shown as its escape, on a strict UTF-8 terminal as on any other;
    so are the bidi marks of a log's text."""
    log = os.path.join(os.fsencode(tmp_path), b"crash\x9b2J\xff.log")
    with open(log, "w") as f:
        f.write("malloc(): corrupted top size \u200f\u061c\n")
    shown = faultlab(None, "triage", os.fsdecode(log), errors="surrogateescape", PYTHONIOENCODING="utf-8")
    assert shown.returncode == 1, shown.stderr
    assert r"crash\x9b2J\xff.log: " in shown.stdout and r"corrupted top size \u200f\u061c" in shown.stdout, shown.stdout
    assert "\udc9b" not in shown.stdout and "\u200f" not in shown.stdout
    as_json = faultlab(None, "triage", "--json", os.fsdecode(log), PYTHONIOENCODING="utf-8")
    assert json.loads(as_json.stdout)["log"].endswith(r"crash\x9b2J\xff.log"), as_json.stdout


@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), r"is a directory"),
    (lambda p: os.mkfifo(p), r"is a FIFO; pipe it in instead: faultlab triage - < \S+"),
    (lambda p: None, r"cannot read \S+: No such file or directory"),
    (lambda p: p.symlink_to("/dev/zero"), r"is not a regular file"),
])
def test_what_is_not_a_readable_log_is_one_line_and_exit_2(tmp_path, make, message):
    target = tmp_path / "log"
    make(target)
    _, report = recorded("glibc-stack-smashing.txt")
    (tmp_path / "good.log").write_text(report)
    done = faultlab(None, "triage", str(target), str(tmp_path / "good.log"), timeout=60)  # a FIFO must not block
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert re.fullmatch((r"faultlab: " if "cannot" in message else r"faultlab: \S+ ") + message + r"(?:;.*)?", line), line
    assert "stack-buffer-overflow" in done.stdout  # the readable log is still triaged
