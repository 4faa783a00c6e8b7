"""docs/taxonomy.md, generated from the vocabulary of kinds and the report sources.

Both are data (``kinds.KINDS``; ``diagnosis/sources/*.py``, each with its markers and its
runtime frames), so the document cannot drift from what the classifier does: a test compares
the file with ``render()``. Regenerate with ``python -m faultlab.reports.taxonomy > docs/taxonomy.md``.
"""

from __future__ import annotations

import re

from ..diagnosis.kinds import KINDS, MODES, SEVERITIES, SEVERITY_NOTES, SEVERITY_SOURCES
from ..diagnosis.sources import MARKERS, SOURCES
from ..diagnosis.sources._schema import ABNORMAL, ANY

REGENERATE = "python -m faultlab.reports.taxonomy > docs/taxonomy.md"


def _code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it contains."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _source_file(module) -> str:
    return "diagnosis/sources/" + module.__name__.rpartition(".")[2] + ".py"


def _declared_in() -> dict[int, str]:
    """Each marker (by identity) and the file of the source module that declares it."""
    return {id(m): _source_file(module) for module in SOURCES for m in getattr(module, "MARKERS", ())}


def _sources_section(numbers: dict[int, int]) -> list[str]:
    """Each report source: what it is, its markers by number, and the frames it calls its runtime's."""
    lines = ["# Report sources", "",
             "One module of `faultlab/diagnosis/sources/` per program that writes reports. Frames in a",
             "source's runtime modules or functions never enter a signature.", ""]
    for module in SOURCES:
        lines += [f"## `{_source_file(module)}`", "", (module.__doc__ or "").strip().splitlines()[0], ""]
        markers = getattr(module, "MARKERS", ())
        if markers:
            lines.append("- markers: " + ", ".join(f"({numbers[id(m)]}) `{m.kind}`" for m in markers))
        paths = getattr(module, "RUNTIME_PATHS", ())
        if paths:
            lines.append("- runtime paths: " + ", ".join(f"{_code(r.pattern)} → `{r.runtime}/`" for r in paths))
        for label, name in (("runtime modules", "RUNTIME_MODULES"), ("runtime functions", "RUNTIME_FUNCTIONS")):
            if getattr(module, name, ()):
                lines.append(f"- {label}: " + ", ".join(_code(p) for p in getattr(module, name)))
        if getattr(module, "SIGNAL_KINDS", None):
            lines.append("- signals: " + ", ".join(f"`{sig}` → `{kind}`" for sig, kind in module.SIGNAL_KINDS.items()))
        lines.append("")
    return lines


def _severity_section() -> list[str]:
    """The severity table: each grade's kinds, the rule for WRITE, the sources, and the grades that are faultlab's own."""
    lines = ["# Severity", "",
             "Every verdict has a `severity` (high, medium, low or none) and, where its report names one, an",
             "`access` (READ or WRITE, and its size). The grade is ClusterFuzz's: the kind's grade below,",
             "raised one level for a WRITE, to high at most (a heap-buffer-overflow WRITE is high, a READ",
             "medium). `none` is not a security issue; `security` is true for every other grade. SARIF",
             "results carry it as their `level` (high and medium: error; low and none: warning) and",
             "`security-severity` (8.1, 5.5, 3.0); the HTML report as a badge.", "",
             "| severity | kinds |", "|---|---|"]
    for grade in SEVERITIES:
        names = [f"`{k.name}`" for k in KINDS.values() if k.base_severity == grade]
        lines.append(f"| {grade} | {', '.join(names) or '-'} |")
    lines += ["", "Where ClusterFuzz grades no such crash, the grade is faultlab's, by analogy:", ""]
    lines += [f"- `{name}`: {why}." for name, why in SEVERITY_NOTES.items() if name in KINDS]
    lines += ["", "Sources:", ""] + [f"- {source}" for source in SEVERITY_SOURCES] + [""]
    return lines


def render() -> str:
    """The whole document: a summary table, each kind with the markers that decide it, then each report source."""
    declared = _declared_in()
    numbers = {id(m): number for number, m in enumerate(MARKERS, 1)}
    lines = [
        "# Verdict kinds and their markers",
        "",
        f"Generated from `faultlab/diagnosis/kinds.py` and `faultlab/diagnosis/sources/` by `{REGENERATE}`;",
        "do not edit by hand.",
        "",
        "The classifier tries the markers of every report source in precedence order (the number in",
        "parentheses) on the child's stderr, then stdout; the first that matches decides the kind.",
        "Markers without a pattern are decided by how the child ended, once no pattern matched.",
        "",
        "A marker decides only when the way the program ended agrees with it: by default a report",
        "decides a run that ended abnormally (a signal, a non-zero exit status, the watchdog); one",
        "marked *also at exit status 0* decides whatever the ending. A saved log read by",
        "`faultlab triage` knows neither exit status nor signal: a fatal report (every marker not",
        "marked otherwise) is taken as the proof that the program ended there, and one marked",
        "*not fatal by itself* (a traceback a program may print and go on) decides only when a",
        "fatal report shows in the same log. With no decisive marker, a log is `ok`.",
        "",
        "| kind | mode | CWE | severity |",
        "|---|---|---|---|",
    ]
    for kind in KINDS.values():
        lines.append(f"| [`{kind.name}`](#{kind.name}) | {kind.mode} | {kind.cwe or '-'} | {kind.base_severity} |")
    lines += ["", "Modes: " + ", ".join(f"`{m}`" for m in MODES) + ".", ""]
    lines += _severity_section()
    for kind in KINDS.values():
        lines += [f"## {kind.name}", ""]
        grade = f"severity {kind.base_severity}" if kind.base_severity != "none" else "not a security issue by itself"
        lines.append(f"mode `{kind.mode}`, {kind.cwe or 'no CWE'}, {grade}.")
        lines += ["", kind.description, ""]
        for number, marker in enumerate(MARKERS, 1):
            if marker.kind != kind.name:
                continue
            label = f"- ({number}) **{marker.source}** ({declared[id(marker)]}):"
            if marker.mode:
                label += f" mode `{marker.mode}`:"
            if marker.ending == ANY:
                label += " also at exit status 0:"
            elif marker.ending == ABNORMAL:
                label += " not fatal by itself:"
            if marker.pattern:
                lines.append(f"{label} {_code(marker.pattern)}")
                if marker.condition:
                    lines.append(f"  {marker.condition}")
            else:
                lines.append(f"{label} {marker.condition}")
            lines.append(f"  example: {_code(marker.example)}")
        lines.append("")
    lines += _sources_section(numbers)
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
