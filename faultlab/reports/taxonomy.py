"""docs/taxonomy.md, generated from the vocabulary of kinds and the classifier's marker table.

Both tables are data (``kinds.KINDS``, ``markers.MARKERS``), so the document cannot drift
from what the classifier does: a test compares the file with ``render()``. Regenerate with
``python -m faultlab.reports.taxonomy > docs/taxonomy.md``.
"""

from __future__ import annotations

import re

from ..diagnosis.kinds import KINDS, MODES
from ..diagnosis.markers import MARKERS

REGENERATE = "python -m faultlab.reports.taxonomy > docs/taxonomy.md"


def _code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it contains."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render() -> str:
    """The whole document: a summary table, then each kind with the markers that decide it."""
    lines = [
        "# Verdict kinds and their markers",
        "",
        f"Generated from `faultlab/kinds.py` and `faultlab/markers.py` by `{REGENERATE}`; do not edit by hand.",
        "",
        "The classifier tries the markers in table order (the number in parentheses) on the child's",
        "stderr, then stdout; the first that matches decides the kind. Markers without a pattern are",
        "decided by how the child ended, once no pattern matched.",
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
            if marker.pattern:
                lines.append(f"- ({number}) **{marker.source}**: {_code(marker.pattern)}")
                if marker.condition:
                    lines.append(f"  {marker.condition}")
            else:
                lines.append(f"- ({number}) **{marker.source}**: {marker.condition}")
            lines.append(f"  example: {_code(marker.example)}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
