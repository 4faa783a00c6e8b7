"""Long commands (run --all, build, fuzz --all) draw a bar on a terminal and write plain lines in a log.

Each command runs as a user runs it, on the small catalog: once with its output on a pipe
(a CI log), once on a pseudo-terminal. In the log there is no control character at all;
on the terminal the status line is redrawn in place (``\\r`` and erase-line).
"""

import json
import re

import pytest
from command_line import fail_message, faultlab
from small_catalog import write_project
from terminal import on_a_terminal

REDRAW = re.compile(r"\r\x1b\[2K.*[█░]+ \d+/\d+ ")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("progress"))


@pytest.fixture(scope="module")
def catalog(project):
    """(runs, library builds, cases, sanitizers) of the small catalog, from ``faultlab list --json``."""
    listed = json.loads(faultlab(project, "list", "--json").stdout)
    configs = sorted({s for c in listed for s in c["expect"]})
    runs = sum(2 * len(c["expect"]) for c in listed)
    return runs, runs, len(listed), ", ".join(configs)  # one library per case here, built per run configuration


def test_run_all_in_a_log_is_one_numbered_line_per_run(project, catalog):
    runs = catalog[0]
    proc = faultlab(project, "run", "--all")
    assert proc.returncode == 1, fail_message(proc)  # the small catalog mislabels one case on purpose
    lines = proc.stdout.splitlines()
    numbers = [re.match(rf"\[(\d+)/{runs}\] (?:ok  |FAIL) \S+ (?:broken|fixed) under \S+: [\w-]+$", line)
               for line in lines[:-1]]
    assert all(numbers) and [int(m.group(1)) for m in numbers] == list(range(1, runs + 1)), fail_message(proc)
    assert re.fullmatch(rf"{runs - 1}/{runs} as declared", lines[-1]), fail_message(proc)
    assert "\x1b" not in proc.stdout + proc.stderr and "\r" not in proc.stdout + proc.stderr


def test_run_all_on_a_terminal_draws_a_live_bar(project, catalog):
    runs = catalog[0]
    status, out = on_a_terminal(project, "run", "--all")
    assert status == 1, out
    assert REDRAW.search(out), f"no live progress line was drawn:\n{out!r}"
    assert f"{runs - 1}/{runs} as declared" in out
    assert f"[1/{runs}]" not in out, "the counter lives in the bar on a terminal, not in each line"


def test_build_in_a_log_prints_only_its_summary(project, catalog):
    _, builds, cases, configs = catalog
    proc = faultlab(project, "build")
    assert proc.returncode == 0, fail_message(proc)
    assert proc.stdout == f"built {builds} library variants for {cases} cases ({configs})\n", fail_message(proc)
    assert proc.stderr == "", fail_message(proc)


def test_build_on_a_terminal_draws_a_live_bar(project, catalog):
    _, builds, cases, configs = catalog
    status, out = on_a_terminal(project, "build")
    assert status == 0, out
    assert REDRAW.search(out) and "building lifetime/demo-uaf" in out, f"no live progress line was drawn:\n{out!r}"
    assert out.rstrip().endswith(f"built {builds} library variants for {cases} cases ({configs})")
