"""A crash lab that hostile programs and hostile files cannot turn (issue 12).

Every byte a child writes and every file a user hands in is hostile: each test here runs
a real child or reads a real malformed file, and checks that faultlab stays linear,
says what went wrong in one line, and never runs what it reads.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import faultlab

from conftest import PYTHON

FAULTLAB = str(Path(PYTHON).with_name("faultlab"))

LONG = 200_000


# -- linear, bounded classification -------------------------------------------------------------

def _classified_in(code: str):
    outcome = faultlab.run([PYTHON, "-c", code], timeout=60)
    started = time.perf_counter()
    verdict = faultlab.classify(outcome)
    return verdict, time.perf_counter() - started


def test_a_200_kb_frame_line_is_classified_fast_and_right():
    # Before: 26 s for a 100 KB line (each blank of the run rescanned by `(.+?)\s*$`).
    verdict, seconds = _classified_in(f"""if 1:
        import sys
        sys.stderr.write("x" + " " * {LONG} + "y\\n")
        sys.stderr.write('Traceback (most recent call last):\\n  File "a.py", line 3, in f' + " " * {LONG} + "g\\n")
        sys.stderr.flush()
        raise ValueError("after a long line")
        """)
    assert seconds < 5, f"classification took {seconds:.1f} s"
    assert verdict.kind == "python-exception"
    assert verdict.summary.startswith("ValueError: after a long line")


def test_a_200_kb_line_then_a_segfault_is_still_a_segfault():
    verdict, seconds = _classified_in(f"""if 1:
        import ctypes, sys
        sys.stderr.write("    #0 0x1 in a" + " " * {LONG} + "b" + " " * {LONG} + "(\\n")
        sys.stderr.write("Fatal Python error: " * {LONG // 20} + "\\n")
        sys.stderr.flush()
        ctypes.string_at(0)
        """)
    assert seconds < 5, f"classification took {seconds:.1f} s"
    assert verdict.kind in ("segv", "null-deref"), verdict
    assert [f.function for f in verdict.python_stack][:2] == ["string_at", "<module>"]


def test_an_over_long_line_is_cut_in_the_middle_and_says_so():
    from faultlab.diagnosis.classify import LINE_LIMIT

    verdict, _ = _classified_in(f"""if 1:
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
    started = time.perf_counter()
    verdict = faultlab.classify(outcome)
    assert time.perf_counter() - started < 5
    assert verdict.kind == "exit-nonzero"


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
    return subprocess.run([FAULTLAB, *args], capture_output=True, text=True, errors="surrogateescape", timeout=120)


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


def test_a_pytest_failure_shows_a_childs_escape_sequences_escaped(tmp_path):
    (tmp_path / "native").mkdir()
    (tmp_path / "cases" / "swallowed_error").mkdir(parents=True)
    (tmp_path / "cases" / "swallowed_error" / "case_hostile.py").write_text(HOSTILE_CASE.format(hostile=HOSTILE))
    env = dict(os.environ, FAULTLAB_ROOT=str(tmp_path), FAULTLAB_CACHE=str(tmp_path / "cache"))
    done = subprocess.run([PYTHON, "-m", "pytest", "cases/", "-p", "no:cacheprovider", "-p", "no:xdist"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, errors="surrogateescape", timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "swallowed-error/hostile-message: expected segv" in done.stdout or "python-exception" in done.stdout
    assert "ValueError: " + SHOWN in done.stdout, done.stdout
    assert _raw_controls(done.stdout) == [], done.stdout


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
