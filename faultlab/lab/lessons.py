"""What a case teaches, read from its own source: the rule it breaks, its decisive lines, its fix.

The case's source is the only truth. ``FLAW:`` and ``FIX:`` comments mark the decisive
lines (``# FLAW:`` in drivers, ``/* FLAW: */`` in C, ``// FLAW:`` in Java and Rust); the broken and fixed drivers give
the binding-side diff; ``#ifdef FAULTLAB_FIXED`` gives the native one, since the fixed
variant is the same C file compiled with ``-DFAULTLAB_FIXED``. The demo and ``explain``
show the lines found here, and a results file records them (``record``) for the SARIF
and HTML reporters, so every face shows the same lines. Where the case owns a header in
two versions (``include/v1/sensor.h`` beside ``include/v2/sensor.h``), the record keeps
the layouts of the declarations that drifted (``faultlab.lab.layouts``).
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnosis.kinds import CWE_NAMES, MODE_RULES
from . import catalog, layouts
from .build import native_root, project_root
from .expect import Expect
from .layouts import LayoutDiff
from .results import CaseRecord, Marked


_MARK = re.compile(r"(?P<lead>#|//|/\*)\s*(?P<tag>FLAW|FIX)\s*:\s*(?P<note>.*?)\s*(?:\*/\s*)?$")
_IF_FIXED = re.compile(r"^\s*#\s*(?:ifdef\s+FAULTLAB_FIXED\b|if\s+(?:defined\s*\(?\s*)?FAULTLAB_FIXED\b)")
_IF_NOT_FIXED = re.compile(r"^\s*#\s*(?:ifndef\s+FAULTLAB_FIXED\b|if\s+!\s*(?:defined\s*\(?\s*)?FAULTLAB_FIXED\b)")
_IF_ANY = re.compile(r"^\s*#\s*if")
_ELSE = re.compile(r"^\s*#\s*el(?:se|if)\b")
_ENDIF = re.compile(r"^\s*#\s*endif\b")
_LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"(?P<name>[^"]+)"')
_NATIVE_SUFFIXES = {".c", ".h", ".cc", ".cpp", ".hpp", ".java", ".rs", ".go", ".js"}


def relative(path: str | Path) -> str:
    """``path`` relative to the project root, for display and for SARIF URIs; absolute when outside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(project_root().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _marks_in(lines: list[str], path: Path, where_of) -> list[Marked]:
    found = []
    for index, text in enumerate(lines):
        m = _MARK.search(text)
        if not m:
            continue
        code, line = text[: m.start()].rstrip(), index + 1
        if not code.strip():  # a marker comment on its own line marks the next line of code
            for follow in range(index + 1, len(lines)):
                candidate = lines[follow].strip()
                if candidate and not candidate.startswith(("#", "//", "/*", "*")):
                    code, line = lines[follow].rstrip(), follow + 1
                    break
        where = where_of(line)
        if where:
            found.append(Marked(m.group("tag"), relative(path), line, code, m.group("note"), where))
    return found


def _driver_span(fn) -> range:
    """The lines of a driver function, decorators included; empty when its source is gone or changed."""
    try:
        lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return range(0)
    return range(start, start + len(lines))


def native_files(case: catalog.Case) -> list[Path]:
    """The case's program sources (a Java class, a Rust program: ``Case.sources``), then the files of its
    native libraries: sources, the local headers they include, same-named siblings."""
    root = native_root()
    files: list[Path] = []

    def add(path: Path) -> None:
        if path.is_file() and path not in files:
            files.append(path)

    for source in case.sources:
        add(root / source)
    for library in case.libraries:
        include_dirs = [root / i for i in library.includes]
        for source in (root / s for s in (library.sources or (f"{library.name}.c",))):
            add(source)
            if not source.is_file():
                continue
            for text in source.read_text(errors="replace").splitlines():
                m = _LOCAL_INCLUDE.match(text)
                if m:
                    for folder in (source.parent, *include_dirs):
                        add(folder / m.group("name"))
            for sibling in sorted(source.parent.glob(source.stem + ".*")):
                if sibling.suffix in _NATIVE_SUFFIXES:
                    add(sibling)
    return files


def marked_lines(case: catalog.Case) -> list[Marked]:
    """Every FLAW and FIX line of the case: its drivers and case-file code first, then its native files.

    In a case file that declares several cases, lines inside another case's drivers are
    not this case's.
    """
    marks: list[Marked] = []
    if case.source and Path(case.source).is_file():
        spans = {variant: _driver_span(fn) for variant, fn in case.drivers.items()}
        others = [_driver_span(fn) for other in catalog.cases_in(case.source) if other.id != case.id
                  for fn in other.drivers.values()]

        def where_of(line: int) -> str:
            for variant, span in spans.items():
                if line in span:
                    return f"{variant} driver"
            return "" if any(line in span for span in others) else "case file"

        marks += _marks_in(Path(case.source).read_text().splitlines(), Path(case.source), where_of)
    for path in native_files(case):
        marks += _marks_in(path.read_text(errors="replace").splitlines(), path, lambda line: "native")
    return marks


def variant_view(lines: list[str], *, fixed: bool) -> list[str]:
    """The lines the compiler sees for one variant, resolving only ``FAULTLAB_FIXED`` conditionals."""
    stack: list[bool | None] = []  # per open #if: None when it is not about FAULTLAB_FIXED, else branch kept
    out = []
    for text in lines:
        visible = all(s is not False for s in stack)
        if _IF_FIXED.match(text) or _IF_NOT_FIXED.match(text):
            stack.append(bool(_IF_FIXED.match(text)) == fixed)
            continue
        if _IF_ANY.match(text):
            stack.append(None)
        elif _ELSE.match(text) and stack and stack[-1] is not None:
            stack[-1] = not stack[-1]
            continue
        elif _ENDIF.match(text) and stack:
            if stack.pop() is not None:
                continue
        if visible:
            out.append(text)
    return out


def native_diffs(case: catalog.Case) -> list[tuple[str, str]]:
    """For each native file with ``FAULTLAB_FIXED`` conditionals: (path, unified diff broken -> fixed build)."""
    diffs = []
    for path in native_files(case):
        lines = path.read_text(errors="replace").splitlines()
        if not any(_IF_FIXED.match(t) or _IF_NOT_FIXED.match(t) for t in lines):
            continue
        name = relative(path)
        diff = difflib.unified_diff(variant_view(lines, fixed=False), variant_view(lines, fixed=True),
                                    f"{name} (broken build)", f"{name} (built with -DFAULTLAB_FIXED)",
                                    n=2, lineterm="")
        diffs.append((name, "\n".join(diff)))
    return diffs


def layout_diffs(case: catalog.Case) -> tuple[LayoutDiff, ...]:
    """Each declaration that drifted between the versions of a header the case owns: v1 against the v2 it builds with."""
    found: list[LayoutDiff] = []
    for old, new in layouts.version_pairs(p for p in native_files(case) if p.suffix == ".h"):
        found += layouts.diff_headers(old, new, old_label=old.parent.name, new_label=new.parent.name, relative=relative)
    return tuple(found)


def driver_diff(case: catalog.Case) -> str:
    """A unified diff from the broken driver to the fixed one; whole functions when they are short."""
    sources = {}
    for variant in catalog.VARIANTS:
        fn = case.drivers[variant]
        try:
            lines, start = inspect.getsourcelines(fn)
        except (OSError, TypeError):  # the file changed or went away since the case was loaded
            return ""
        sources[variant] = ([line.rstrip("\n") for line in lines], f"{variant}: {fn.__name__}() at line {start}")
    (broken, broken_label), (fixed, fixed_label) = sources["broken"], sources["fixed"]
    context = max(len(broken), len(fixed)) if max(len(broken), len(fixed)) <= 30 else 3
    return "\n".join(difflib.unified_diff(broken, fixed, broken_label, fixed_label, n=context, lineterm=""))


@dataclass(frozen=True)
class Explanation:
    id: str
    title: str
    mode: str
    cwe: str
    cwe_name: str
    rule: str
    explanation: str
    expect: dict[str, Expect]
    fix_in: str
    source: str
    flaws: tuple[Marked, ...]
    fixes: tuple[Marked, ...]
    driver_diff: str
    native_diffs: tuple[tuple[str, str], ...]
    runtime: str = "cpython"
    layouts: tuple[LayoutDiff, ...] = ()

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        # As the results file says it: the kind under "expect", the pins beside it.
        data["expect"] = {sanitizer: e.kind for sanitizer, e in self.expect.items()}
        data["pins"] = {sanitizer: e.pins() for sanitizer, e in self.expect.items() if e.pins()}
        data["native_diffs"] = [{"path": p, "diff": d} for p, d in self.native_diffs]
        data["layouts"] = [diff.to_dict() for diff in self.layouts]
        return data


def explain(case: catalog.Case) -> Explanation:
    r = record(case)
    return Explanation(
        id=r.id, title=r.title, mode=r.mode, cwe=r.cwe, cwe_name=r.cwe_name, rule=r.rule, explanation=r.explanation,
        expect={sanitizer: Expect(kind, **r.pins.get(sanitizer, {})) for sanitizer, kind in r.expect.items()},
        fix_in=r.fix_in, source=r.source, flaws=r.flaws, fixes=r.fixes,
        driver_diff=r.driver_diff, native_diffs=r.native_diffs, runtime=r.runtime, layouts=r.layouts,
    )


def record(case: catalog.Case) -> CaseRecord:
    """The case as a results file keeps it: what ``explain`` shows, and the files the case owns, as of now."""
    natives = native_files(case)
    return CaseRecord(
        id=case.id, title=case.title, mode=case.mode, cwe=case.cwe, cwe_name=CWE_NAMES.get(case.cwe, ""),
        rule=MODE_RULES.get(case.mode, ""), explanation=inspect.cleandoc(case.explanation or ""),
        expect={sanitizer: e.kind for sanitizer, e in case.expect.items()},
        pins={sanitizer: e.pins() for sanitizer, e in case.expect.items() if e.pins()},
        fix_in=case.fix_in, source=relative(case.source) if case.source else "",
        marks=tuple(marked_lines(case)),
        files=tuple(relative(p) for p in ([Path(case.source)] if case.source else []) + natives),
        driver_diff=driver_diff(case), native_diffs=tuple(native_diffs(case)), runtime=case.runtime,
        layouts=layout_diffs(case),
    )
