"""``faultlab diagnose`` as a person runs it: the console script in a subprocess.

Exit status 1 for a fault, 0 for a clean run, 2 with one line and no traceback for a
mistake on the command line.
"""

import json
import re
import sys

import pytest
from command_line import faultlab

PYTHON = sys.executable


def test_diagnose_json_prints_one_verdict_and_exits_1():
    done = faultlab(None, "diagnose", "--json", "--", PYTHON, "-c", "import ctypes; ctypes.string_at(0)")
    assert done.returncode == 1, done.stderr
    (line,) = done.stdout.splitlines()
    verdict = json.loads(line)
    assert verdict["kind"] in ("segv", "null-deref")
    assert (verdict["signal"], verdict["exit_code"], verdict["sanitizer"]) == ("SIGSEGV", None, "none")
    assert [f["function"] for f in verdict["python_stack"]] == ["string_at", "<module>"]
    assert re.fullmatch(r"[0-9a-f]{16}", verdict["signature"])
    assert done.stderr == ""


def test_diagnose_exits_0_for_a_clean_run():
    done = faultlab(None, "diagnose", "--json", "--", PYTHON, "-c", "print('fine')")
    assert (done.returncode, json.loads(done.stdout)["kind"]) == (0, "ok"), done.stderr


def test_diagnose_under_a_sanitizer_and_a_timeout():
    done = faultlab(None, "diagnose", "--json", "--sanitizer", "asan", "--timeout", "1", "--no-gdb", "--",
                    PYTHON, "-c", "import time; time.sleep(30)")
    verdict = json.loads(done.stdout)
    assert (done.returncode, verdict["kind"], verdict["sanitizer"]) == (1, "hang", "asan"), done.stderr


def test_the_readable_report():
    done = faultlab(None, "diagnose", "--", PYTHON, "-c", "def parse():\n    raise ValueError('bad header')\nparse()\n")
    assert done.returncode == 1, done.stderr
    report = done.stdout
    assert re.match(r"python-exception \[unknown\]  signature [0-9a-f]{16}\n"
                    r"  ValueError: bad header in parse \(<string>:2\)\n"
                    r"  exit status 1, \d+\.\d\d s, sanitizer none, isolation spawn\n", report), report
    assert "  evidence:\n    | Traceback (most recent call last):\n    | ValueError: bad header\n" in report
    assert "  Python stack (innermost first):\n    parse (<string>:2)\n    <module> (<string>:3)" in report


@pytest.mark.parametrize("args, message", [
    ((), r"diagnose needs a command: faultlab diagnose \[options\] -- COMMAND \[ARGS\.\.\.\]"),
    (("--",), r"diagnose needs a command: .*"),
    (("--sanitizer", "msan", "--", "true"), r"argument --sanitizer: invalid choice: 'msan' \(choose from .*'asan'.*\)"),
    (("--", "/nonexistent/widget-tool", "--check"), r"cannot start /nonexistent/widget-tool: No such file or directory"),
    (("--timeout", "soon", "--", "true"), r"argument --timeout: 'soon' is not a number"),
    (("--timeout", "0", "--", "true"), r"argument --timeout: 0 must be more than 0 and at most 86400 seconds \(a day\)"),
    (("--timeout", "-3", "--", "true"), r"argument --timeout: -3 must be more than 0 and at most 86400 seconds \(a day\)"),
    (("--timeout", "nan", "--", "true"), r"argument --timeout: 'nan' is not a finite number"),
    (("--timeout", "inf", "--", "true"), r"argument --timeout: 'inf' is not a finite number"),
    (("--memory-mb", "-5", "--", "true"), r"argument --memory-mb: -5 must be from 16 to 1048576 megabytes"),
])
def test_usage_errors_are_one_line_and_exit_2(args, message):
    done = faultlab(None, "diagnose", *args)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert re.fullmatch(rf"faultlab: {message}\n", done.stderr), done.stderr
    assert "Traceback" not in done.stderr


def test_no_subcommand_is_a_usage_error():
    done = faultlab(None)
    assert (done.returncode, done.stderr) == (2, "faultlab: the following arguments are required: subcommand\n")


@pytest.mark.parametrize("option, isolation", [((), "fork"), (("--isolation", "spawn"), "spawn")])
def test_run_forks_from_the_warm_server_unless_told_to_spawn(option, isolation):
    done = faultlab(None, "run", "swallowed-error/unchecked-null", "--sanitizer", "none", "--json", *option)
    assert done.returncode == 0, done.stderr
    verdicts = [r["verdict"] for r in json.loads(done.stdout)]
    assert [(v["kind"], v["isolation"]) for v in verdicts] == [("segv", isolation), ("ok", isolation)]


def test_tsan_finds_the_same_race_forked_from_its_server_as_spawned():
    # The TSan server forks while it has one thread, so its child's runtime starts clean.
    verdicts = {}
    for isolation in ("auto", "spawn"):
        done = faultlab(None, "run", "threading/unguarded-global", "--variant", "broken", "--isolation", isolation, "--json")
        assert done.returncode == 0, done.stderr
        [verdicts[isolation]] = [r["verdict"] for r in json.loads(done.stdout)]
    assert [verdicts[i]["isolation"] for i in ("auto", "spawn")] == ["fork", "spawn"]
    assert verdicts["auto"]["kind"] == verdicts["spawn"]["kind"] == "data-race"
    assert verdicts["auto"]["signature"] == verdicts["spawn"]["signature"]
