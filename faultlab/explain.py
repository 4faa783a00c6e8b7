"""What a case teaches, read from its own source: the rule it breaks, its decisive lines, its fix.

The case's source is the only truth. ``FLAW:`` and ``FIX:`` comments mark the decisive
lines (``# FLAW:`` in drivers, ``/* FLAW: */`` in C); the broken and fixed drivers give
the binding-side diff; ``#ifdef FAULTLAB_FIXED`` gives the native one, since the fixed
variant is the same C file compiled with ``-DFAULTLAB_FIXED``. The demo, the SARIF and
the HTML reporters point at the lines found here, so every face shows the same lines.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from . import catalog
from .build import native_root, project_root

# The runtime's rule each failure mode breaks, as an instructor would say it.
MODE_RULES = {
    "lifetime": "Memory has one owner at a time. Python's garbage collector and C's malloc/free do not see "
                "each other's references, so whoever frees a block must know that nobody on the other side "
                "still points into it.",
    "abi-drift": "Caller and callee must agree on the layout. Every signature, struct field, size and "
                 "calling convention the binding declares must match the library that is actually loaded; "
                 "nothing checks this at run time.",
    "threading": "The Python C-API may only be called by a thread that holds the GIL, and state shared "
                 "between threads on the C side needs its own locks, taken in one order.",
    "swallowed-error": "Every error must reach someone who can act on it. A C return code must be checked, "
                       "and an exception raised in a callback cannot travel through C frames: the FFI layer "
                       "prints it and returns a default.",
    "encoding": "Both sides must agree on the bytes of a string. JNI's modified UTF-8 is not UTF-8 "
                "(surrogate pairs for emoji, C0 80 for NUL), and a length counts bytes, code units or "
                "code points, never all three.",
}

# Names of the weaknesses faultlab's kinds and cases point to (MITRE CWE 4.x).
CWE_NAMES = {
    "CWE-119": "Improper Restriction of Operations within the Bounds of a Memory Buffer",
    "CWE-121": "Stack-based Buffer Overflow",
    "CWE-122": "Heap-based Buffer Overflow",
    "CWE-125": "Out-of-bounds Read",
    "CWE-131": "Incorrect Calculation of Buffer Size",
    "CWE-135": "Incorrect Calculation of Multi-Byte String Length",
    "CWE-172": "Encoding Error",
    "CWE-176": "Improper Handling of Unicode Encoding",
    "CWE-188": "Reliance on Data/Memory Layout",
    "CWE-190": "Integer Overflow or Wraparound",
    "CWE-252": "Unchecked Return Value",
    "CWE-253": "Incorrect Check of Function Return Value",
    "CWE-362": "Concurrent Execution using Shared Resource with Improper Synchronization ('Race Condition')",
    "CWE-369": "Divide By Zero",
    "CWE-390": "Detection of Error Condition Without Action",
    "CWE-391": "Unchecked Error Condition",
    "CWE-400": "Uncontrolled Resource Consumption",
    "CWE-401": "Missing Release of Memory after Effective Lifetime",
    "CWE-415": "Double Free",
    "CWE-416": "Use After Free",
    "CWE-476": "NULL Pointer Dereference",
    "CWE-562": "Return of Stack Variable Address",
    "CWE-573": "Improper Following of Specification by Caller",
    "CWE-590": "Free of Memory not on the Heap",
    "CWE-617": "Reachable Assertion",
    "CWE-628": "Function Call with Incorrectly Specified Arguments",
    "CWE-667": "Improper Locking",
    "CWE-681": "Incorrect Conversion between Numeric Types",
    "CWE-686": "Function Call With Incorrect Argument Type",
    "CWE-687": "Function Call With Incorrectly Specified Argument Value",
    "CWE-704": "Incorrect Type Conversion or Cast",
    "CWE-755": "Improper Handling of Exceptional Conditions",
    "CWE-758": "Reliance on Undefined, Unspecified, or Implementation-Defined Behavior",
    "CWE-762": "Mismatched Memory Management Routines",
    "CWE-764": "Multiple Locks of a Critical Resource",
    "CWE-787": "Out-of-bounds Write",
    "CWE-788": "Access of Memory Location After End of Buffer",
    "CWE-825": "Expired Pointer Dereference",
    "CWE-833": "Deadlock",
    "CWE-835": "Loop with Unreachable Exit Condition ('Infinite Loop')",
    "CWE-838": "Inappropriate Encoding for Output Context",
    "CWE-843": "Access of Resource Using Incompatible Type ('Type Confusion')",
}

FIX_PLACES = {"binding": "in the binding (the Python driver)", "native": "in the C library",
              "both": "in the binding and in the C library"}

_MARK = re.compile(r"(?P<lead>#|//|/\*)\s*(?P<tag>FLAW|FIX)\s*:\s*(?P<note>.*?)\s*(?:\*/\s*)?$")
_IF_FIXED = re.compile(r"^\s*#\s*(?:ifdef\s+FAULTLAB_FIXED\b|if\s+(?:defined\s*\(?\s*)?FAULTLAB_FIXED\b)")
_IF_NOT_FIXED = re.compile(r"^\s*#\s*(?:ifndef\s+FAULTLAB_FIXED\b|if\s+!\s*(?:defined\s*\(?\s*)?FAULTLAB_FIXED\b)")
_IF_ANY = re.compile(r"^\s*#\s*if")
_ELSE = re.compile(r"^\s*#\s*el(?:se|if)\b")
_ENDIF = re.compile(r"^\s*#\s*endif\b")
_LOCAL_INCLUDE = re.compile(r'^\s*#\s*include\s+"(?P<name>[^"]+)"')
_COMMENT_START = re.compile(r"\s(#|//|/\*)")
_NATIVE_SUFFIXES = {".c", ".h", ".cc", ".cpp", ".hpp", ".java"}


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
    """The files of the case's native libraries: sources, the local headers they include, same-named siblings."""
    root = native_root()
    files: list[Path] = []

    def add(path: Path) -> None:
        if path.is_file() and path not in files:
            files.append(path)

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
    expect: dict[str, str]
    fix_in: str
    source: str
    flaws: tuple[Marked, ...]
    fixes: tuple[Marked, ...]
    driver_diff: str
    native_diffs: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["native_diffs"] = [{"path": p, "diff": d} for p, d in self.native_diffs]
        return data


def explain(case: catalog.Case) -> Explanation:
    marks = marked_lines(case)
    return Explanation(
        id=case.id, title=case.title, mode=case.mode, cwe=case.cwe, cwe_name=CWE_NAMES.get(case.cwe, ""),
        rule=MODE_RULES.get(case.mode, ""), explanation=inspect.cleandoc(case.explanation or ""),
        expect=dict(case.expect), fix_in=case.fix_in, source=relative(case.source) if case.source else "",
        flaws=tuple(m for m in marks if m.tag == "FLAW"), fixes=tuple(m for m in marks if m.tag == "FIX"),
        driver_diff=driver_diff(case), native_diffs=tuple(native_diffs(case)),
    )


def known_cases() -> dict[str, catalog.Case]:
    """Every case of the catalog that loads, by id; a case file that does not load is left out, not fatal.

    Reporters use this to enrich results; a half-written case elsewhere must not stop a report.
    """
    cases = {}
    for path in catalog.case_files():
        try:
            for case in catalog.cases_in(path):
                cases.setdefault(case.id, case)
        except Exception:  # noqa: BLE001 - any error in someone's case file only costs that file's details
            continue
    return cases


# -- the terminal face ----------------------------------------------------------------------------

def _split_comment(text: str) -> tuple[str, str]:
    """(code, trailing comment) when the line ends with a comment outside string quotes."""
    for m in _COMMENT_START.finditer(text):
        before = text[: m.start()]
        if before.strip() and before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            return before.rstrip(), text[m.start(1):]
    return text, ""


def fit(text: str, width: int, prefix: str = "") -> list[str]:
    """``prefix + text`` in lines of at most ``width`` columns.

    A long line that ends in a comment shows the comment on its own line above the
    code, indented like it (the same program); anything still too long is wrapped with
    a deeper indent.
    """
    if len(prefix) + len(text) <= width:
        return [prefix + text]
    code, comment = _split_comment(text)
    indent = text[: len(text) - len(text.lstrip())]
    if comment:
        return fit(indent + comment, width, prefix) + fit(code, width, prefix)
    room = max(width - len(prefix), 20)
    pieces = textwrap.wrap(text.strip(), width=room, initial_indent=indent, subsequent_indent=indent + "    ",
                           break_long_words=True, break_on_hyphens=False) or [""]
    return [prefix + p for p in pieces]


def _fit_diff(diff: str, width: int, indent: str = "  ") -> list[str]:
    out = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            out += fit(line, width, indent)
        else:
            out += fit(line[1:], width, indent + line[:1])
    return out


def _paragraphs(text: str, width: int, indent: str = "  ") -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.strip():
            out += textwrap.wrap(" ".join(para.split()), width=width, initial_indent=indent, subsequent_indent=indent)
            out.append("")
    return out[:-1] if out else out


def _mark_lines(marks: tuple[Marked, ...], width: int) -> list[str]:
    out = []
    for m in marks:
        out += fit(f"{m.path}:{m.line} ({m.where})", width, "  ")
        out += fit(m.code.strip(), width, "      ")
        out += fit(f"{m.tag}: {m.note}", width, "      ")
    return out


def format_explanation(e: Explanation, width: int = 80) -> str:
    lines = fit(f"{e.id}  [{e.mode}, {e.cwe}{': ' + e.cwe_name if e.cwe_name else ''}]", width)
    lines += fit(e.title, width)
    lines.append("")
    if e.rule:
        lines.append(f"The rule broken ({e.mode}):")
        lines += _paragraphs(e.rule, width)
        lines.append("")
    if e.explanation:
        lines.append("What happens:")
        lines += _paragraphs(e.explanation, width)
        lines.append("")
    lines.append("Caught by:")
    lines += [f"  {sanitizer:<15} -> {kind}" for sanitizer, kind in e.expect.items()]
    lines += textwrap.wrap(f"The fixed variant must come out ok under each; the fix is "
                           f"{FIX_PLACES.get(e.fix_in, e.fix_in)}.", width, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    lines.append("The flaw:" if e.flaws else "The flaw: (no FLAW: comment marks it)")
    lines += _mark_lines(e.flaws, width)
    if e.fixes:
        lines.append("")
        lines.append("The fix:")
        lines += _mark_lines(e.fixes, width)
    lines.append("")
    lines += fit(f"Broken -> fixed driver ({e.source}):", width)
    lines += _fit_diff(e.driver_diff, width) if e.driver_diff else ["  (the drivers' source is not available)"]
    for path, diff in e.native_diffs:
        lines.append("")
        lines += fit(f"Broken -> fixed native code ({path}):", width)
        lines += _fit_diff(diff, width)
    if not e.native_diffs and e.fix_in in ("native", "both"):
        lines.append("")
        lines.append("  (no #ifdef FAULTLAB_FIXED found in the native sources)")
    return "\n".join(line.rstrip() for line in lines)
