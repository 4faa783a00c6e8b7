"""A results file: every verdict of a run and, once per case, what the case showed when it ran.

A results file stands alone. Beside the verdicts it records each case as ``faultlab
explain`` saw it at record time (title, CWE, rule, FLAW/FIX lines, diffs, the files it
owns), so the reporters render it from the file only, never from today's case files: an
old file shows the source it was recorded with, on any machine, with or without ``cases/``.

Reading is bounded in bytes (64 MiB), nesting (64 levels), entries (4 million list entries
and object fields in all, before any is parsed) and what each list and string may hold
(``LIMITS``, ``MAX_STRING``), and checked against the schema published as
``docs/results.schema.json``; whatever is wrong is one ``ResultsError`` with a one-line
message. The limits stand far above what faultlab writes, so only a forged or corrupted
file meets one, and it is refused whole: reporting part of it would pass a forgery off as
a run's verdicts. (Reporters cut what they show of a long stack, and say so.) Version 1 files (``{"faultlab_results": 1, "results": [...]}``, and
the bare list ``faultlab run --json`` prints) still read: their verdicts are whole, their
case records absent, so a report of one shows the verdicts without the lessons.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
from dataclasses import dataclass, field
from itertools import accumulate
from os import PathLike

from ..diagnosis.configurations import NAMES as CONFIGURATION_NAMES
from ..diagnosis.kinds import SEVERITIES, severity
from ..diagnosis.verdict import Frame, LockWait, ReportStack, Verdict
from .expect import Expect
from .layouts import KINDS as DECLARATION_KINDS
from .layouts import Declaration, LayoutDiff, Slot

VERSION = 2  # the "faultlab_results" this module writes; it reads 1 and 2
MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64  # the schema itself nests 6 deep
# List entries and object fields, counted in the text before it is parsed, so a file of tiny values
# cannot make the parser build tens of millions of objects: a real file holds one per 37 bytes or so,
# about 1.8 million at MAX_BYTES.
MAX_ENTRIES = 4_000_000
MAX_STRING = 1 << 20  # characters: the runner keeps 1 MiB of each stream a child writes
# How many entries each list (or object) of a results file may hold, by its field's name, and why a
# file faultlab wrote stays far below.
LIMITS = {
    "results": 20_000,  # one per pytest item of a run: the whole catalog is about a hundred
    "cases": 20_000,  # one record per case that ran
    "configurations": 100,  # six exist
    "evidence": 10_000,  # the classifier keeps about a dozen lines
    "threads": 50_000,  # a line per thread, from at most 1 MiB of output
    # A stack is parsed from at most 1 MiB of output, 21 bytes a frame at the least.
    "python_stack": 50_000, "native_stack": 50_000, "frames": 50_000, "native": 50_000, "python": 50_000,
    "report_stacks": 1_000,  # report_stacks keeps 12
    "lock_waits": 1_000,  # lock_waits keeps 32 threads
    "marks": 1_000, "files": 1_000, "native_diffs": 1_000, "layouts": 1_000,  # a case has a handful
    "slots": 1_000,  # layouts keeps 64 per declaration
    "expect": 100, "pins": 100,  # one per configuration
}
VARIANTS = ("broken", "fixed")
# The host side of a case's boundary: the runtime that calls into native code (or is called back).
RUNTIMES = ("cpython", "jni", "panama", "cgo", "rust", "node")
# Where a case's fix lives, as explain says it.
FIX_PLACES = {"binding": "in the binding (the Python driver, or the Java or Rust program)", "native": "in the C library",
              "both": "in the binding and in the C library"}
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = {c: None for c in range(128) if chr(c) not in "[]{}"}  # for str.translate, fast on ASCII
_STEP = [1 if chr(b) in "[{" else -1 if chr(b) in "]}" else 0 for b in range(256)]
_HINT = "write one with pytest cases/ --faultlab-report PATH"


class ResultsError(Exception):
    """A results file cannot be read, is not JSON, or does not follow the results schema."""


@dataclass(frozen=True)
class Marked:
    """One decisive line: ``FLAW`` (where the bug is) or ``FIX`` (what repairs it)."""

    tag: str
    path: str  # relative to the project root when inside it
    line: int
    code: str  # the line without its marker comment
    note: str  # what the comment says after FLAW: / FIX:
    where: str  # "broken driver", "fixed driver", "case file" or "native"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data, where: str = "mark") -> "Marked":
        d = _object(data, where, ("tag", "path", "line", "code", "note", "where"))
        tag = _str(d, "tag", where)
        if tag not in ("FLAW", "FIX"):
            raise ResultsError(f"{where}.tag: {tag!r} is neither FLAW nor FIX")
        line = _int(d, "line", where)
        if line < 1:
            raise ResultsError(f"{where}.line: {line} is not a line number")
        return cls(tag, _str(d, "path", where), line, _str(d, "code", where), _str(d, "note", where),
                   _str(d, "where", where))


# Fields a case record gained after version 2 was published: a file without them still reads.
_OPTIONAL_CASE_FIELDS = ("runtime", "layouts")


@dataclass(frozen=True)
class CaseRecord:
    """A case as its faces show it, taken from ``faultlab.lab.lessons`` when the run was recorded."""

    id: str
    title: str
    mode: str
    cwe: str
    cwe_name: str
    rule: str  # the runtime rule the case's mode breaks
    explanation: str  # the case's docstring, dedented
    expect: dict[str, str]  # sanitizer configuration -> kind the broken variant must produce
    pins: dict[str, dict[str, str]]  # sanitizer configuration -> what it pins beyond the kind (frame, module, access)
    fix_in: str  # a key of FIX_PLACES
    source: str  # the case file, relative to the project root
    marks: tuple[Marked, ...] = ()  # every FLAW and FIX line: drivers and case file first, then native files
    files: tuple[str, ...] = ()  # the files the case owns (case file, native sources and headers), relative
    driver_diff: str = ""
    native_diffs: tuple[tuple[str, str], ...] = ()  # (path, unified diff of the broken build -> the fixed one)
    runtime: str = "cpython"  # the host side of the boundary (catalog.RUNTIMES); absent from older files
    # Each declaration whose layout differs between two versions of a header the case owns; absent from older files.
    layouts: tuple[LayoutDiff, ...] = ()

    def expectation(self, sanitizer: str, variant: str = "broken") -> str:
        """What the case declared for one run, pins and all: ``heap-use-after-free in rb_checksum (READ)``."""
        if variant != "broken" or sanitizer not in self.expect:
            return "ok" if variant != "broken" else ""
        return str(Expect(self.expect[sanitizer], **self.pins.get(sanitizer, {})))

    @property
    def flaws(self) -> tuple[Marked, ...]:
        return tuple(m for m in self.marks if m.tag == "FLAW")

    @property
    def fixes(self) -> tuple[Marked, ...]:
        return tuple(m for m in self.marks if m.tag == "FIX")

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data.update(expect=dict(self.expect), pins={s: dict(p) for s, p in self.pins.items()}, marks=[m.to_dict() for m in self.marks], files=list(self.files),
                    native_diffs=[{"path": p, "diff": d} for p, d in self.native_diffs],
                    layouts=[diff.to_dict() for diff in self.layouts])
        return data

    @classmethod
    def from_dict(cls, data, where: str = "case") -> "CaseRecord":
        names = [f.name for f in dataclasses.fields(cls) if f.name not in _OPTIONAL_CASE_FIELDS]
        d = _object({n: v for n, v in data.items() if n not in _OPTIONAL_CASE_FIELDS} if isinstance(data, dict) else data,
                    where, names)
        text = {n: _str(d, n, where) for n in ("id", "title", "mode", "cwe", "cwe_name", "rule", "explanation",
                                               "fix_in", "source", "driver_diff")}
        if "runtime" in data:
            text["runtime"] = _str(data, "runtime", where)
            if text["runtime"] not in RUNTIMES:
                raise ResultsError(f"{where}.runtime: {text['runtime']!r} is not one of {', '.join(RUNTIMES)}")
        expect = _object(d["expect"], f"{where}.expect", most=LIMITS["expect"])
        pins = _object(d["pins"], f"{where}.pins", most=LIMITS["pins"])
        diffs = [_object(item, f"{where}.native_diffs[{i}]", ("path", "diff"))
                 for i, item in enumerate(_list(d, "native_diffs", where))]
        return cls(
            **text,
            expect={sanitizer: _str(expect, sanitizer, f"{where}.expect") for sanitizer in expect},
            pins={sanitizer: _pins(pins[sanitizer], f"{where}.pins.{sanitizer}") for sanitizer in pins},
            marks=tuple(Marked.from_dict(m, f"{where}.marks[{i}]") for i, m in enumerate(_list(d, "marks", where))),
            files=tuple(_strings(d, "files", where)),
            native_diffs=tuple((_str(item, "path", f"{where}.native_diffs[{i}]"),
                                _str(item, "diff", f"{where}.native_diffs[{i}]")) for i, item in enumerate(diffs)),
            layouts=tuple(_layout_diff(item, f"{where}.layouts[{i}]")
                          for i, item in enumerate(_list(data, "layouts", where) if "layouts" in data else ())),
        )


@dataclass(frozen=True)
class CaseRun:
    """One case variant run under one sanitizer configuration, and its verdict against the declared kind."""

    case_id: str
    variant: str
    sanitizer: str
    expected: str  # the kind the case declares for this variant and configuration
    passed: bool  # the verdict came out as declared; recorded, since a declaration may pin more than the kind
    verdict: Verdict

    # A results entry repeats these beside the verdict, for readers of the raw JSON.
    @property
    def observed(self) -> str:
        return self.verdict.kind

    @property
    def signature(self) -> str:
        return self.verdict.signature

    @property
    def duration_s(self) -> float:
        return self.verdict.duration_s

    @property
    def picture(self):
        """The picture of its failure (``faultlab.lab.pictures``), computed from the recorded verdict alone."""
        from .pictures import picture

        return picture(self.verdict)

    def to_dict(self) -> dict:
        verdict = self.verdict.to_dict()
        verdict.update({name: list(verdict[name]) for name in ("evidence", "python_stack", "native_stack", "threads")})
        verdict["report_stacks"] = [{"title": s["title"], "frames": list(s["frames"])} for s in verdict["report_stacks"]]
        verdict["lock_waits"] = [{**w, "native": list(w["native"]), "python": list(w["python"])} for w in verdict["lock_waits"]]
        return {
            "case": self.case_id, "variant": self.variant, "sanitizer": self.sanitizer,
            "expected": self.expected, "observed": self.observed, "passed": self.passed,
            "signature": self.signature, "duration_s": self.duration_s,
            "verdict": verdict,
        }

    @classmethod
    def from_dict(cls, data, where: str = "result") -> "CaseRun":
        d = _object(data, where, ("case", "variant", "sanitizer", "expected", "observed", "passed", "signature",
                                  "duration_s", "verdict"))
        variant = _str(d, "variant", where)
        if variant not in VARIANTS:
            raise ResultsError(f"{where}.variant: {variant!r} is neither broken nor fixed")
        run = cls(_str(d, "case", where), variant, _str(d, "sanitizer", where), _str(d, "expected", where),
                  _bool(d, "passed", where), _verdict(d["verdict"], f"{where}.verdict"))
        copies = {"observed": (_str(d, "observed", where), run.observed),
                  "signature": (_str(d, "signature", where), run.signature),
                  "duration_s": (_number(d, "duration_s", where), run.duration_s)}
        for name, (written, derived) in copies.items():
            if written != derived:
                raise ResultsError(f"{where}.{name}: {written!r} disagrees with its verdict ({derived!r})")
        return run


@dataclass(frozen=True)
class Results:
    """A whole results file. ``created``, ``faultlab_version`` and ``project_root`` are None when read from version 1."""

    results: tuple[CaseRun, ...]
    cases: dict[str, CaseRecord] = field(default_factory=dict)
    configurations: tuple[str, ...] = ()  # the sanitizer configurations the run covered
    created: str | None = None  # ISO 8601, when the run was recorded
    faultlab_version: str | None = None  # of the faultlab that recorded it
    project_root: str | None = None  # absolute; the records' relative paths start there

    @classmethod
    def recorded(cls, results, cases: dict[str, CaseRecord], project_root: str) -> "Results":
        """A results file of a run that ends now, by this faultlab."""
        results = tuple(results)
        return cls(results=results, cases=dict(sorted(cases.items())), configurations=configurations_of(results),
                   created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   faultlab_version=installed_version(), project_root=project_root)

    def to_dict(self) -> dict:
        return {
            "faultlab_results": VERSION, "created": self.created, "faultlab_version": self.faultlab_version,
            "project_root": self.project_root, "configurations": list(self.configurations),
            "results": [r.to_dict() for r in self.results],
            "cases": {case_id: record.to_dict() for case_id, record in self.cases.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data) -> "Results":
        """Any version this faultlab reads, checked against its schema; a mismatch is a ResultsError."""
        if isinstance(data, list):  # faultlab run --json
            return cls._version_1(data, "")
        if not isinstance(data, dict) or "faultlab_results" not in data:
            raise ResultsError("neither a results object with 'faultlab_results' nor a list of results")
        version = data["faultlab_results"]
        if version == 1 and not isinstance(version, bool):
            d = _object(data, "", ("faultlab_results", "results"))
            return cls._version_1(d["results"], "results")
        if version != VERSION or isinstance(version, bool):
            raise ResultsError(f"faultlab_results is {version!r}; this faultlab reads versions 1 and {VERSION}")
        d = _object(data, "", ("faultlab_results", "created", "faultlab_version", "project_root", "configurations",
                               "results", "cases"))
        created = _optional_str(d, "created", "")
        if created is not None and not _TIMESTAMP.fullmatch(created):
            raise ResultsError(f"created: {created!r} is not an ISO 8601 date and time with its time zone")
        cases = _object(d["cases"], "cases", most=LIMITS["cases"])
        records = {case_id: CaseRecord.from_dict(record, f"cases[{case_id!r}]") for case_id, record in cases.items()}
        for case_id, record in records.items():
            if record.id != case_id:
                raise ResultsError(f"cases[{case_id!r}].id: {record.id!r} is not the id it is filed under")
        configurations = _strings(d, "configurations", "")
        if len(set(configurations)) < len(configurations):
            raise ResultsError(f"configurations: {configurations} names one more than once")
        return cls(
            results=tuple(CaseRun.from_dict(r, f"results[{i}]") for i, r in enumerate(_list(d, "results", ""))),
            cases=records, configurations=tuple(configurations), created=created,
            faultlab_version=_optional_str(d, "faultlab_version", ""),
            project_root=_optional_str(d, "project_root", ""),
        )

    @classmethod
    def _version_1(cls, entries, where: str) -> "Results":
        if not isinstance(entries, list):
            raise ResultsError(_at(where, f"expected a list, found {_type_name(entries)}"))
        _bounded(len(entries), LIMITS["results"], where or "results")
        results = tuple(CaseRun.from_dict(r, f"{where}[{i}]") for i, r in enumerate(entries))
        return cls(results=results, configurations=configurations_of(results))


def configurations_of(results) -> tuple[str, ...]:
    """The sanitizer configurations of ``results``, in the order faultlab lists them."""
    names = {r.sanitizer for r in results}
    order = {name: i for i, name in enumerate(CONFIGURATION_NAMES)}
    return tuple(sorted(names, key=lambda n: (order.get(n, len(order)), n)))


def installed_version() -> str:
    from importlib import metadata  # slow to import, and needed only when a file is written

    try:
        return metadata.version("faultlab")
    except metadata.PackageNotFoundError:
        return "0"


def loads(text: str | bytes, source: str = "the results") -> Results:
    """A results file's text as a model: at most MAX_BYTES, MAX_DEPTH deep, following the schema."""
    if len(text) > MAX_BYTES:
        raise ResultsError(f"{source} is larger than {MAX_BYTES >> 20} MiB, more than a results file can be")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ResultsError(f"{source} is not UTF-8 text ({exc.reason} at byte {exc.start}); {_HINT}") from None
    depth, entries = _shape(text)
    if depth > MAX_DEPTH:
        raise ResultsError(f"{source} nests deeper than {MAX_DEPTH} levels; a results file nests 6")
    if entries > MAX_ENTRIES:
        raise ResultsError(f"{source} holds more than {MAX_ENTRIES:,} list entries and object fields; "
                           f"a results file of {MAX_BYTES >> 20} MiB holds about 1,800,000")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ResultsError(f"{source} is not JSON ({exc}); {_HINT}") from None
    try:
        return Results.from_dict(data)
    except ResultsError as exc:
        raise ResultsError(f"{source} is not a faultlab results file: {_clipped(str(exc))}") from None


def load(path: str | PathLike) -> Results:
    """The results file at ``path``, reading no more than MAX_BYTES of it."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    return loads(raw, str(path))


# -- checking the parsed JSON against the schema, one field at a time ------------------------------


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _shape(text: str) -> tuple[int, int]:
    """How deep arrays and objects nest, and about how many entries and fields they hold (commas and openings
    outside strings), counted without recursion and in C: 64 MiB of brackets take a second."""
    structure = _STRING.sub("", text)
    entries = structure.count(",") + structure.count("[") + structure.count("{")
    brackets = structure.translate(_NOT_BRACKET).encode("utf-8", "surrogatepass")
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0), entries


def _clipped(message: str, most: int = 400) -> str:
    """A message that quotes a file's keys and values, at most ``most`` characters: its middle cut and marked."""
    if len(message) <= most:
        return message
    return f"{message[:most // 2]}…[{len(message) - most:,} characters]…{message[-most // 2:]}"


def _at(where: str, problem: str) -> str:
    """``results[3].verdict: problem``; a problem of the whole file has no place."""
    return f"{where}: {problem}" if where else problem


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def _object(value, where: str, names=None, *, most: int | None = None) -> dict:
    """``value`` as an object; with ``names``, it must have each of them and nothing else; with ``most``,
    it is keyed by data (case ids, configurations) and holds at most that many, each key a string of MAX_STRING."""
    if not isinstance(value, dict):
        raise ResultsError(_at(where, f"expected an object, found {_type_name(value)}"))
    if most is not None:
        _bounded(len(value), most, where)
        for key in value:
            _short(key, where)
    if names is not None and not (len(value) == len(names) and all(n in value for n in names)):
        missing = [n for n in names if n not in value]
        if missing:
            raise ResultsError(_at(where, f"missing {', '.join(missing)}"))
        extra = sorted(set(value) - set(names))
        if extra:
            raise ResultsError(_at(where, f"unknown field {', '.join(map(repr, extra))}"))
    return value


def _field(d: dict, name: str, where: str, wanted: str, ok) -> object:
    value = d[name]
    if not ok(value):
        raise ResultsError(_at(_join(where, name), f"expected {wanted}, found {_type_name(value)}"))
    return value


def _bounded(count: int, limit: int, where: str) -> None:
    if count > limit:
        raise ResultsError(_at(where, f"{count:,} entries, more than the {limit:,} a results file holds there"))


def _short(text: str, where: str, name: str | None = None) -> str:
    """``text``, at most MAX_STRING characters long; ``where`` (and ``name`` in it) says whose it is."""
    if len(text) > MAX_STRING:
        raise ResultsError(_at(_join(where, name) if name else where, f"a string of {len(text):,} characters, "
                                                                      f"longer than the {MAX_STRING:,} a results file holds"))
    return text


def _str(d, name, where) -> str:
    return _short(_field(d, name, where, "a string", lambda v: isinstance(v, str)), where, name)


def _optional_str(d, name, where) -> str | None:
    value = _field(d, name, where, "a string or null", lambda v: v is None or isinstance(v, str))
    return value if value is None else _short(value, where, name)


def _bool(d, name, where) -> bool:
    return _field(d, name, where, "a boolean", lambda v: isinstance(v, bool))


def _int(d, name, where) -> int:
    return _field(d, name, where, "an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))


def _optional_int(d, name, where) -> int | None:
    return _field(d, name, where, "an integer or null",
                  lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)))


def _finite(value) -> bool:
    """A number a float can hold: an integer past float's range is refused like Infinity (it cannot be formatted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _number(d, name, where) -> float:
    return _field(d, name, where, "a finite number", _finite)


def _optional_number(d, name, where) -> float | None:
    return _field(d, name, where, "a finite number or null", lambda v: v is None or _finite(v))


def _list(d, name, where) -> list:
    """``d[name]`` as a list of at most ``LIMITS[name]`` entries."""
    items = _field(d, name, where, "a list", lambda v: isinstance(v, list))
    _bounded(len(items), LIMITS[name], _join(where, name))
    return items


def _pins(value, where: str) -> dict[str, str]:
    """An ``Expect``'s pins: some of frame, module and access, each a string."""
    d = _object(value, where, most=LIMITS["pins"])
    extra = sorted(set(d) - {"frame", "module", "access"})
    if extra:
        raise ResultsError(_at(where, f"unknown field {', '.join(map(repr, extra))}"))
    pins = {name: _str(d, name, where) for name in d}
    if pins.get("access", "READ") not in ("READ", "WRITE"):
        raise ResultsError(_at(_join(where, "access"), f"{pins['access']!r} is not READ or WRITE"))
    return pins


def _strings(d, name, where) -> list[str]:
    items = _list(d, name, where)
    if set(map(type, items)) <= {str} and max(map(len, items), default=0) <= MAX_STRING:
        return items  # checked in C: 10,000 evidence lines are as quick as one
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ResultsError(_at(f"{_join(where, name)}[{i}]", f"expected a string, found {_type_name(item)}"))
        _short(item, f"{_join(where, name)}[{i}]")
    return items


def _frame(data, where: str) -> Frame:
    """A frame; the many well-formed ones of a long stack are checked in one step, the others field by field."""
    if type(data) is dict and len(data) == 3:
        function, module, line = data.get("function"), data.get("module"), data.get("line", "")
        if (type(function) is str and type(module) is str and (line is None or type(line) is int)
                and len(function) <= MAX_STRING and len(module) <= MAX_STRING):
            return Frame(function, module, line)
    d = _object(data, where, ("function", "module", "line"))
    return Frame(_str(d, "function", where), _str(d, "module", where), _optional_int(d, "line", where))


def _report_stack(data, where: str) -> ReportStack:
    d = _object(data, where, ("title", "frames"))
    return ReportStack(_str(d, "title", where),
                       tuple(_frame(f, f"{where}.frames[{i}]") for i, f in enumerate(_list(d, "frames", where))))


def _lock_wait(data, where: str) -> LockWait:
    d = _object(data, where, ("thread", "lock", "owner", "native", "python"))
    return LockWait(_str(d, "thread", where), _str(d, "lock", where), _str(d, "owner", where),
                    *(tuple(_frame(f, f"{where}.{name}[{i}]") for i, f in enumerate(_list(d, name, where)))
                      for name in ("native", "python")))


def _slot(data, where: str) -> Slot:
    d = _object(data, where, ("name", "type", "offset", "size", "value"))
    return Slot(_str(d, "name", where), _str(d, "type", where),
                *(_optional_int(d, name, where) for name in ("offset", "size", "value")))


def _declaration(data, where: str) -> Declaration:
    d = _object(data, where, ("kind", "name", "size", "align", "slots"))
    kind = _str(d, "kind", where)
    if kind not in DECLARATION_KINDS:
        raise ResultsError(_at(_join(where, "kind"), f"{kind!r} is not one of {', '.join(DECLARATION_KINDS)}"))
    return Declaration(kind, _str(d, "name", where), _optional_int(d, "size", where), _optional_int(d, "align", where),
                       tuple(_slot(s, f"{where}.slots[{i}]") for i, s in enumerate(_list(d, "slots", where))))


def _layout_diff(data, where: str) -> LayoutDiff:
    d = _object(data, where, ("picture", "old_header", "new_header", "old_label", "new_label", "old", "new"))
    if d["picture"] != LayoutDiff.picture:
        raise ResultsError(_at(_join(where, "picture"), f"{d['picture']!r} is not {LayoutDiff.picture!r}"))
    return LayoutDiff(*(_str(d, name, where) for name in ("old_header", "new_header", "old_label", "new_label")),
                      _declaration(d["old"], f"{where}.old"), _declaration(d["new"], f"{where}.new"))


# Verdict fields a file may lack: added to the verdict after files of this version were written.
# A file without a severity gets the one its kind and access grade today.
OPTIONAL_VERDICT_FIELDS = ("stalled_at_s", "called_at_s", "report_stacks", "lock_waits", "severity", "access", "access_size")
_OPTIONAL_NUMBERS = ("stalled_at_s", "called_at_s")


def _verdict(data, where: str) -> Verdict:
    names = [f.name for f in dataclasses.fields(Verdict)]
    d = _object(data, where)
    _object({n: d[n] for n in d if n not in OPTIONAL_VERDICT_FIELDS},
            where, [n for n in names if n not in OPTIONAL_VERDICT_FIELDS])
    return Verdict(
        kind=_str(d, "kind", where), mode=_str(d, "mode", where), cwe=_optional_str(d, "cwe", where),
        security=_bool(d, "security", where), summary=_str(d, "summary", where),
        evidence=tuple(_strings(d, "evidence", where)),
        python_stack=tuple(_frame(f, f"{where}.python_stack[{i}]") for i, f in enumerate(_list(d, "python_stack", where))),
        native_stack=tuple(_frame(f, f"{where}.native_stack[{i}]") for i, f in enumerate(_list(d, "native_stack", where))),
        threads=tuple(_strings(d, "threads", where)), signal=_optional_str(d, "signal", where),
        exit_code=_optional_int(d, "exit_code", where), duration_s=_number(d, "duration_s", where),
        signature=_str(d, "signature", where), sanitizer=_str(d, "sanitizer", where),
        isolation=_str(d, "isolation", where),
        **{n: _optional_number(d, n, where) for n in _OPTIONAL_NUMBERS if n in d},
        report_stacks=tuple(_report_stack(s, f"{where}.report_stacks[{i}]")
                            for i, s in enumerate(_list(d, "report_stacks", where) if "report_stacks" in d else ())),
        lock_waits=tuple(_lock_wait(w, f"{where}.lock_waits[{i}]")
                         for i, w in enumerate(_list(d, "lock_waits", where) if "lock_waits" in d else ())),
        **_graded(d, where),
    )


def _graded(d: dict, where: str) -> dict:
    """The verdict's severity and access, checked; an older file's severity graded from its kind and access."""
    access = _optional_str(d, "access", where) if "access" in d else None
    if access not in (None, "READ", "WRITE"):
        raise ResultsError(_at(_join(where, "access"), f"{access!r} is not READ or WRITE"))
    size = _optional_int(d, "access_size", where) if "access_size" in d else None
    grade = _str(d, "severity", where) if "severity" in d else severity(_str(d, "kind", where), access)
    if grade not in SEVERITIES:
        raise ResultsError(_at(_join(where, "severity"), f"{grade!r} is not one of {', '.join(SEVERITIES)}"))
    return {"severity": grade, "access": access, "access_size": size}
