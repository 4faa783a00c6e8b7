"""``faultlab demo``: real runs shown for a room, plain in a pipe, live and coloured on a terminal."""

import re

import pytest
from command_line import fail_message, faultlab
from small_catalog import write_project
from terminal import on_a_terminal


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("demo"))


def test_the_example_case_broken_then_fixed_in_plain_text():
    proc = faultlab(None, "demo", "lifetime/retained-buffer", "--no-pause")
    assert proc.returncode == 0, fail_message(proc)
    out = proc.stdout
    assert "\x1b" not in out and "\r" not in out, "a pipe gets no colour and no redrawn progress line"
    expected_in_order = [
        r"\[1/1\] lifetime/retained-buffer  CWE-416  under asan\n",
        r"  C retains a pointer to an ffi.new buffer that Python then frees\n",
        r"  bug cases/lifetime/case_retained_buffer.py:\d+\n.*lib.rb_register\(ffi.new.*\n      FLAW: .+\n",
        r"  broken heap-use-after-free  as declared  \(\d+\.\d\d s\)\n",
        r"    ERROR: AddressSanitizer: heap-use-after-free in rb_checksum",
        r"    > READ of size \d+ at 0x[0-9a-f]+ thread T0\n",  # the highlighted evidence line
        r"    Python  register_a_temporary \(case_retained_buffer.py:\d+\)\n",
        r"    native  rb_checksum \(retained_buffer.c:\d+\)\n",
        r"  fix cases/lifetime/case_retained_buffer.py:\d+\n.*buf = ffi.new.*\n      FIX: .+\n",
        r"  fixed  ok  clean  \(\d+\.\d\d s\)\n",
        r"\n1 case: 2 of 2 runs as declared\n",
    ]
    position = 0
    for pattern in expected_in_order:
        m = re.compile(pattern).search(out, position)
        assert m, f"{pattern!r} not found after position {position} in:\n{out}"
        position = m.end()


def test_colour_is_forced_by_force_color_and_vetoed_by_no_color(project):
    coloured = faultlab(project, "demo", "swallowed-error", "--no-pause", "--sanitizer", "none", FORCE_COLOR="1")
    assert coloured.returncode == 0, fail_message(coloured)
    assert "\x1b[31;1mswallowed-error\x1b[0m" in coloured.stdout
    assert "\x1b[32;1mok\x1b[0m" in coloured.stdout
    plain = faultlab(project, "demo", "swallowed-error", "--no-pause", "--sanitizer", "none", FORCE_COLOR="1",
                     NO_COLOR="1")
    assert plain.returncode == 0, fail_message(plain)
    assert "\x1b" not in plain.stdout
    assert re.search(r"  broken swallowed-error  as declared .*\n(?:    .*\n)*?    > Detected: swallowed-error: parse_port",
                     plain.stdout), plain.stdout


def test_an_unexpected_verdict_is_shown_and_fails_the_demo(project):
    proc = faultlab(project, "demo", "lifetime/demo-mislabelled", "--no-pause")
    assert proc.returncode == 1, fail_message(proc)
    assert re.search(r"  broken heap-use-after-free  EXPECTED double-free  \(", proc.stdout), proc.stdout
    assert "1 case: 1 of 2 runs as declared" in proc.stdout


@pytest.mark.parametrize("target, message", [
    ("lifetime/nope", "faultlab: no case 'lifetime/nope'; 'faultlab list' shows the catalog\n"),
    ("threading", "faultlab: the catalog has no threading case yet; 'faultlab list' shows what it has\n"),
])
def test_a_wrong_target_is_one_line_and_exit_2(project, target, message):
    proc = faultlab(project, "demo", target, "--no-pause")
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, message, "")


def test_on_a_terminal_it_draws_progress_and_waits_for_enter(project):
    """Under a pseudo-terminal, as in a room: a live bar, a pause after each case, q stops."""
    answers = [b"\n", b"q\n"]  # go on after case 1, stop after case 2

    def respond(seen: bytes) -> bytes | None:
        if answers and seen.count(b"press Enter") > 2 - len(answers):
            return answers.pop(0)
        return None

    status, out = on_a_terminal(project, "demo", respond=respond, timeout=120)
    assert "[2/3] lifetime/demo-uaf" in out and "[3/3]" not in out, out
    assert "2 cases: 3 of 4 runs as declared (stopped; 1 not shown)" in out
    assert re.search(r"\r\x1b\[2K.*[█░]+ \d/6 ", out), "no live progress line was drawn"
    assert "\x1b[" in out, "a terminal gets colour"
    assert status == 1  # the mislabelled case came first
