"""docs/taxonomy.md, generated from the vocabulary of kinds and the report sources.

Both are data (``kinds.KINDS``; ``diagnosis/sources/*.py``, each with its markers and its
runtime frames), so the document cannot drift from what the classifier does: a test compares
the file with ``render()``. Regenerate with ``python -m faultlab.reports.taxonomy > docs/taxonomy.md``.
"""

from __future__ import annotations

import re

from ..diagnosis.kinds import KINDS, MODES
from ..diagnosis.sources import MARKERS, SOURCES

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
        "| kind | mode | CWE | security |",
        "|---|---|---|---|",
    ]
    for kind in KINDS.values():
        lines.append(f"| [`{kind.name}`](#{kind.name}) | {kind.mode} | {kind.cwe or '-'} | {'yes' if kind.security else 'no'} |")
    lines += ["", "Modes: " + ", ".join(f"`{m}`" for m in MODES) + ".", ""]
    for kind in KINDS.values():
        lines += [f"## {kind.name}", ""]
        lines.append(f"mode `{kind.mode}`, {kind.cwe or 'no CWE'}, {'security-relevant' if kind.security else 'not a security issue by itself'}.")
        lines += ["", kind.description, ""]
        for number, marker in enumerate(MARKERS, 1):
            if marker.kind != kind.name:
                continue
            label = f"- ({number}) **{marker.source}** ({declared[id(marker)]}):"
            if marker.mode:
                label += f" mode `{marker.mode}`:"
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
