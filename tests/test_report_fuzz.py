"""``faultlab report`` fuzzed over a real results file's fields: a clean report or one line and status 2, never a traceback.

The base is a real results file (v2-catalog-sample.json below); each example replaces a few of
its fields, at any level, with hostile values (wrong types, huge, negative and non-finite
numbers, unknown kinds, variants, modes, runtimes and configurations, control and bidi
characters, deep or wide structures), drops fields or adds the optional ones a verdict or
case may lack, and runs ``faultlab report`` in this process with each output. It must
either write every output asked for, readable and escaped, or write none of them and say
what is wrong in one line with exit status 2 (outputs are all-or-nothing: reports/atomic.py).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faultlab.cli.__main__ import main

# Recorded on the whole catalog, then cut to eight results that between them carry every shape
# a verdict and a case record can have (lock waits, report stacks, threads, layouts, a WRITE, a
# fixed variant, a Node-API case) and their records:
#   pytest cases/ --faultlab-report r.json; then results chosen by their shape, cases by their ids
BASE = json.loads((Path(__file__).with_name("fixtures") / "results" / "v2-catalog-sample.json").read_text())
OUTPUTS = (("--html",), ("--sarif",), ("--html", "--sarif"))
# Fields a verdict or a case record may lack; a fuzzed one may also gain them.
OPTIONAL = {"verdict": ("report_stacks", "lock_waits", "severity", "access", "access_size", "stalled_at_s",
                        "called_at_s"), "case": ("runtime", "layouts")}
CONTROLS = "\x00\x07\x08\x1b]0;x\x07\x1b[2J\r\x7f\x85\x9b\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u2028\udc80"
# The characters of CONTROLS a page must never hold raw (the rest are the printable parts of escape sequences).
RAW = {c for c in CONTROLS if c.isprintable() is False and c not in " \n"}
WORDS = ("", " ", "broken ", "FIXED", "fixed\x00", "asan2", "none", "tsan", "deadlock", "not-a-kind", "ok", "READ",
         "EXECUTE", "lifetime", "../../etc/passwd", "/abs/path", "cpython", "jvm", "FLAW", "FIX", "struct", "high",
         "layout-diff", "CWE-416", "CWE-x", "SIGSEGV", "\u202ebroken", "lifetime/" + "x" * 300, "a" * 5000)


def paths(value, path=()):
    """Every path into ``value`` (object keys, the first entries of lists), the root included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            yield from paths(item, (*path, index))


PATHS = list(paths(BASE))
# Each field once, whatever list it is in: an example picks a field, then one of its places.
FIELDS: dict[tuple, list[tuple]] = {}
for _path in PATHS:
    FIELDS.setdefault(tuple("*" if isinstance(key, int) else key for key in _path), []).append(_path)
EVIDENCE = [p for p in PATHS if p[-1:] == ("evidence",)]
HUGE = st.sampled_from(["0", "18446744073709551616", "9" * 4400])
ADDABLE = [(*p, name) for p in PATHS if len(p) >= 2 and p[-1] == "verdict" for name in OPTIONAL["verdict"]] + \
          [(*p, name) for p in PATHS if len(p) == 2 and p[0] == "cases" for name in OPTIONAL["case"]]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70), st.sampled_from([0, -1, 1, 2 ** 63, -(2 ** 63), 10 ** 4000]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 5e-324, 0.5]),
    st.sampled_from(WORDS), st.text(alphabet=st.sampled_from(CONTROLS + "ab/-_. "), max_size=40),
    st.text(max_size=20),
)


# Lines in the words of the reports a picture is drawn from (ASan, a decoder, TSan, faulthandler), with
# numbers a report never has: the pictures parse them out of the evidence.
REPORT_LINES = ("READ of size {} at 0x{} thread T0", "WRITE of size {} at 0x{} thread T0",
                "0x10 is located {} bytes to the right of {}-byte region [0x{},0x10)",
                "0x10 is located 0 bytes inside of {}-byte region [0x0,0x{})",
                "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position {}: invalid start byte {}",
                "could not decode, from byte {} of 3: ff 80 {}", "changed '{}' into '\\x{}'",
                "Write of size {} at 0x{} by thread T1 (mutexes: write M{})",
                "Previous read of size {} at 0x{} by main thread", "  #0 0x{} in f{} x.c:{}")
NUMBERS = st.sampled_from(["0", "1", "18446744073709551616", "9" * 400, "9" * 4400, "f" * 5000, "-1", ""])
report_lines = st.builds(lambda line, numbers: line.format(*numbers), st.sampled_from(REPORT_LINES),
                         st.lists(NUMBERS, min_size=3, max_size=3))


def deep(leaf, depth: int, kind: str):
    for _ in range(depth):
        leaf = [leaf] if kind == "list" else {"k": leaf}
    return leaf


hostile = st.one_of(
    scalars, report_lines, st.lists(report_lines, min_size=1, max_size=4),
    st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(st.sampled_from(WORDS[:20]), inner, max_size=4)),
                 max_leaves=12),
    st.builds(deep, scalars, st.sampled_from([5, 40, 63, 65, 200]), st.sampled_from(["list", "object"])),
    st.builds(lambda item, n: [item] * n, scalars, st.sampled_from([100, 1_001, 10_001, 50_001])),
    st.builds(lambda n: "x" * n, st.sampled_from([4096, (1 << 20) + 1])),
)


def set_at(doc, path, value):
    if not path:
        return value
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def drop_at(doc, path):
    if not path:
        return {}
    target = doc
    for key in path[:-1]:
        target = target[key]
    if isinstance(target, dict):
        del target[path[-1]]
    else:
        target.pop(path[-1])
    return doc


def _holds(target, key) -> bool:
    return (isinstance(target, dict) and key in target) or (isinstance(target, list) and isinstance(key, int)
                                                            and key < len(target))


def reachable(doc, path, *, last: bool) -> bool:
    """Whether ``path``'s parent is still in ``doc`` after earlier edits (and, with ``last``, its last key too)."""
    target = doc
    for key in path[:-1]:
        if not _holds(target, key):
            return False
        target = target[key]
    return _holds(target, path[-1]) if last else isinstance(target, dict) or _holds(target, path[-1])


places = st.sampled_from(sorted(FIELDS, key=repr)).flatmap(lambda field: st.sampled_from(FIELDS[field]))
changes = st.lists(st.one_of(
    st.tuples(st.just("set"), places, hostile),
    st.tuples(st.just("set"), st.sampled_from(ADDABLE), hostile),
    st.tuples(st.just("drop"), places.filter(bool), st.none()),
    st.tuples(st.just("set"), st.sampled_from(EVIDENCE), st.lists(report_lines, min_size=1, max_size=4)),
    st.tuples(st.just("renumber"), st.sampled_from(EVIDENCE), HUGE),  # a real report's lines, every number huge
), min_size=1, max_size=3)


def changed(base, edits):
    doc = copy.deepcopy(base)
    for action, path, value in edits:
        if path and not reachable(doc, path, last=action != "set"):
            continue
        if action == "renumber":
            lines = doc
            for key in path:
                lines = lines[key]
            if isinstance(lines, list):
                lines[:] = [re.sub(r"(?<![0-9a-fx])\d+(?![0-9a-fx])", value, line) if isinstance(line, str) else line for line in lines]
            continue
        doc = set_at(doc, path, value) if action == "set" else drop_at(doc, path)
    return doc


def report(results_text: str, outputs: tuple[str, ...]) -> tuple[int, str, list[str], dict[str, str]]:
    """``faultlab report`` in this process: (status, stderr, the folder's files, the outputs' text)."""
    with tempfile.TemporaryDirectory(prefix="faultlab-fuzz-") as folder:
        folder = Path(folder)
        (folder / "in.json").write_text(results_text, encoding="utf-8", errors="surrogatepass")
        argv = ["report", str(folder / "in.json")]
        for option in outputs:
            argv += [option, str(folder / f"out.{option.lstrip('-')}")]
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(argv)
        files = sorted(p.name for p in folder.iterdir())
        texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.startswith("out.")}
    return status, err.getvalue(), files, texts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edits=changes, outputs=st.sampled_from(OUTPUTS))
def test_a_fuzzed_results_file_is_reported_or_refused_in_one_line(edits, outputs):
    text = json.dumps(changed(BASE, edits), allow_nan=True, ensure_ascii=False)
    status, stderr, files, texts = report(text, outputs)
    wanted = sorted(f"out.{option.lstrip('-')}" for option in outputs)
    if status == 0:
        assert stderr == "" and files == sorted(["in.json", *wanted])
        if "out.sarif" in texts:
            json.loads(texts["out.sarif"])
        if "out.html" in texts:
            assert not RAW & set(texts["out.html"])
    else:
        assert status == 2, stderr
        assert stderr.startswith("faultlab: ") and stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
        assert len(stderr) < 1000 and "Traceback" not in stderr
        assert files == ["in.json"]  # no output, not one of two, no temporary file


def test_the_base_file_reports_cleanly():
    """Without this, every example could be refused and the fuzzer would check nothing but the error path."""
    status, stderr, files, texts = report(json.dumps(BASE), ("--html", "--sarif"))
    assert (status, stderr, files) == (0, "", ["in.json", "out.html", "out.sarif"])
    assert len(json.loads(texts["out.sarif"])["runs"][0]["results"]) == 7
