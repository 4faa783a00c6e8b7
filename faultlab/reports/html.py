"""A results file as one self-contained HTML page: a matrix to scan, then a card per case to read.

The page needs nothing but itself (inline CSS and a few lines of JS, no network, no
external assets), so it can be mailed, attached to a CI run or opened from a USB stick
in a workshop. The matrix counts, per failure mode and sanitizer configuration, how many
broken variants produced their declared fault and how many fixed variants ran clean;
each card puts a case's broken and fixed verdicts side by side with their evidence,
collapsible stacks, the CWE, the signature, the decisive lines and the fix. Everything
comes from the results file (``faultlab.lab.results``), never from today's case files.
"""

from __future__ import annotations

import datetime
import html
import re
from collections import defaultdict
from importlib import resources
from string import Template

from ..diagnosis import configurations
from ..diagnosis.kinds import CWE_NAMES, MODES
from ..diagnosis.signature import meaningful
from ..diagnosis.verdict import Verdict
from ..lab.results import RUNTIMES, VARIANTS, CaseRecord, CaseRun, Results
from .pictures import GraphBudget, layouts_panel, picture_panel
from .terminal import printable

MAX_FRAMES_DRAWN = 200  # a crash's stack is rarely deeper; a recursion's is cut
MAX_LINES_SHOWN = 200  # of a verdict's evidence and of its threads: a real one has a dozen at most
_ACCESS = re.compile(r"^\s*(?:READ|WRITE|Read|Write|Atomic \w+) of size")


def _e(text) -> str:
    """Escaped for HTML, each line's controls and bidi characters shown as their escapes, as on a
    terminal: a browser honours U+202E and the isolates, so a child's text could reorder the page's."""
    lines = str(text).split("\n")  # kept: a fix's code and a diff are several lines in a <pre>
    return html.escape("\n".join(printable(line) for line in lines), quote=True)


def _template() -> Template:
    return Template((resources.files("faultlab") / "templates" / "report.html").read_text(encoding="utf-8"))


def latest(results) -> dict[tuple[str, str, str], CaseRun]:
    """One result per (case, variant, sanitizer); a later entry (a rerun) replaces an earlier one."""
    return {(r.case_id, r.variant, r.sanitizer): r for r in results}


def mode_of(case_id: str) -> str:
    return case_id.split("/", 1)[0]


def runtime_of(case_id: str, cases: dict[str, CaseRecord]) -> str:
    """The case's runtime as its record says; ``cpython`` for a case recorded without one."""
    return cases[case_id].runtime if case_id in cases else "cpython"


def matrix_counts(results, cases: dict[str, CaseRecord] | None = None) -> dict[tuple[str, str, str], dict[str, list[int]]]:
    """(mode, runtime, sanitizer) -> {"broken": [as declared, total], "fixed": [as declared, total]}."""
    counts: dict[tuple[str, str, str], dict[str, list[int]]] = defaultdict(lambda: {"broken": [0, 0], "fixed": [0, 0]})
    for (case_id, variant, sanitizer), r in latest(results).items():
        cell = counts[(mode_of(case_id), runtime_of(case_id, cases or {}), sanitizer)][variant]
        cell[0] += r.passed
        cell[1] += 1
    return dict(counts)


def _rank(value: str, order) -> tuple[int, str]:
    return (order.index(value) if value in order else len(order), value)


def _ordered(values, order) -> list[str]:
    rank = {v: i for i, v in enumerate(order)}
    return sorted(set(values), key=lambda v: (rank.get(v, len(rank)), v))


def _matrix(results, cases: dict[str, CaseRecord]) -> str:
    """One row per mode and runtime (the runtimes of a mode in RUNTIMES' order), one column per configuration."""
    counts = matrix_counts(results, cases)
    rows_of = sorted({(m, rt) for m, rt, _ in counts},
                     key=lambda row: (_ordered((m for m, _, _ in counts), MODES).index(row[0]), _rank(row[1], RUNTIMES)))
    configs = _ordered((s for _, _, s in counts), configurations.NAMES)
    head = "".join(f"<th scope=col>{_e(s)}</th>" for s in configs)
    rows = []
    for mode, runtime in rows_of:
        cells = []
        where = f'data-mode="{_e(mode)}" data-runtime="{_e(runtime)}"'
        for sanitizer in configs:
            cell = counts.get((mode, runtime, sanitizer))
            if not cell:
                cells.append(f'<td class="cell empty" {where} data-sanitizer="{_e(sanitizer)}">–</td>')
                continue
            (bp, bt), (fp, ft) = cell["broken"], cell["fixed"]
            status = "good" if bp == bt and fp == ft else "bad"
            cells.append(
                f'<td class="cell {status}" {where} data-sanitizer="{_e(sanitizer)}">'
                f'<a href="#mode-{_e(mode)}"><span class="count broken-count">broken {bp}/{bt}</span>'
                f'<span class="count fixed-count">fixed {fp}/{ft}</span></a></td>')
        rows.append(f"<tr><th scope=row>{_e(mode)} · {_e(runtime)}</th>{''.join(cells)}</tr>")
    return (f'<table id="matrix"><thead><tr><th>mode · runtime \\ sanitizer</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _frames(title: str, frames) -> str:
    """A stack, its first ``MAX_FRAMES_DRAWN`` frames drawn: a results file's stack may be as long as its size allows."""
    if not frames:
        return ""
    shown = meaningful(frames)
    meaningful_ones = set(shown)
    items = "".join(
        f'<li class="{"meaningful" if f in meaningful_ones else "runtime"}"><code>{_e(f.function)}</code>'
        f' <span class="where">{_e(f.module)}{":" + str(f.line) if f.line else ""}</span></li>'
        for f in frames[:MAX_FRAMES_DRAWN])
    more = len(frames) - MAX_FRAMES_DRAWN
    rest = f'<p class="muted">{more:,} more frames not shown</p>' if more > 0 else ""
    return (f'<details class="stack"><summary>{_e(title)} ({len(frames)} frames, {len(shown)} meaningful)</summary>'
            f"<ol>{items}</ol>{rest}</details>")


def _not_shown(total: int, what: str) -> str:
    more = total - MAX_LINES_SHOWN
    return f'<p class="muted">{more:,} more {what} not shown</p>' if more > 0 else ""


def _evidence(verdict: Verdict) -> str:
    if not verdict.evidence:
        return ""
    shown = verdict.evidence[:MAX_LINES_SHOWN]
    decisive = next((i for i, line in enumerate(shown) if _ACCESS.match(line)), 0)
    lines = "".join(f"<mark>{_e(line)}</mark>\n" if i == decisive else f"{_e(line)}\n" for i, line in enumerate(shown))
    return f'<pre class="evidence">{lines}</pre>{_not_shown(len(verdict.evidence), "lines of evidence")}'


def _threads(verdict: Verdict) -> str:
    if not verdict.threads:
        return ""
    items = "".join(f"<li>{_e(t)}</li>" for t in verdict.threads[:MAX_LINES_SHOWN])
    return (f'<details class="stack"><summary>threads ({len(verdict.threads)})</summary><ul>{items}</ul>'
            f'{_not_shown(len(verdict.threads), "threads")}</details>')


def _verdict_panel(result: CaseRun | None, variant: str, case: CaseRecord | None = None) -> str:
    if result is None:
        return f'<div class="verdict missing"><h4>{variant}</h4><p>not run</p></div>'
    v = result.verdict
    passed = result.passed
    declared = (case.expectation(result.sanitizer, variant) if case else "") or result.expected
    judged = ("as declared" if variant == "broken" else "clean") if passed else f"expected {declared}"
    status = f"signal {v.signal}" if v.signal else f"exit status {v.exit_code}"
    parts = [
        f'<div class="verdict {"pass" if passed else "fail"} {"fault" if v.kind != "ok" else "ok"}" '
        f'data-variant="{variant}" data-kind="{_e(v.kind)}">',
        f'<h4>{variant} <span class="kind">{_e(v.kind)}</span>{_severity(v)} <span class="judged">{_e(judged)}</span></h4>',
        f'<p class="summary">{_e(v.summary)}</p>',
        f'<p class="meta">{_e(status)} · {v.duration_s:.2f} s · isolation {_e(v.isolation)}'
        f'{" · " + _e(v.cwe) if v.cwe else ""}<br>signature <code class="signature">{_e(v.signature)}</code></p>',
        _evidence(v),
        _frames("Python stack", v.python_stack),
        _frames("native stack", v.native_stack),
        _threads(v),
        "</div>",
    ]
    return "".join(parts)


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "head"
    return {"+": "add", "-": "del"}.get(line[:1], "ctx")


def _literals(escaped: str) -> str:
    """Docstring literals (````ffi.new````) as code."""
    return re.sub(r"``(.+?)``", r"<code>\1</code>", escaped)


def _lesson(e: CaseRecord) -> str:
    marks = "".join(
        f'<li class="{m.tag.lower()}"><span class="tag">{m.tag}</span> <code class="path">{_e(m.path)}:{m.line}</code>'
        f" <span class=note>{_e(m.note)}</span><pre>{_e(m.code.strip())}</pre></li>"
        for m in (*e.flaws, *e.fixes))
    diffs = [("driver", e.driver_diff), *((path, diff) for path, diff in e.native_diffs)]
    rendered = []
    for label, diff in diffs:
        if not diff:
            continue
        lines = "".join(f'<span class="{_diff_class(line)}">{_e(line)}</span>\n' for line in diff.splitlines())
        rendered.append(f'<details class="diff"><summary>the fix: {_e(label)} diff</summary><pre>{lines}</pre></details>')
    rule = f'<p class="rule"><strong>The rule broken:</strong> {_e(e.rule)}</p>' if e.rule else ""
    story = "".join(f"<p>{_literals(_e(' '.join(p.split())))}</p>" for p in re.split(r"\n\s*\n", e.explanation) if p.strip())
    return (f'<div class="lesson">{rule}{story}<ul class="marks">{marks}</ul>{layouts_panel(e.layouts)}'
            f'{"".join(rendered)}</div>')


def _badge(sanitizer: str, pair: dict[str, CaseRun]) -> str:
    """``asan: broken heap-use-after-free · fixed ok``, green when both came out as declared; edged by the worst severity."""
    observed = " · ".join(f"{variant} {pair[variant].observed}" for variant in VARIANTS if variant in pair)
    status = "pass" if all(r.passed for r in pair.values()) else "fail"
    worst = max((r.verdict.severity for r in pair.values()), key=lambda grade: _SEVERITY_RANK.get(grade, 0), default="none")
    if worst == "none":
        return f'<span class="badge {status}">{_e(sanitizer)}: {_e(observed)}</span>'
    return (f'<span class="badge {status} sev-{_e(worst)}" title="severity {_e(worst)}">'
            f'{_e(sanitizer)}: {_e(observed)}</span>')


_SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3}


def _severity(v: Verdict) -> str:
    """The verdict's grade as a small badge (none shows nothing), with the access that raised it."""
    if v.severity == "none":
        return ""
    access = f" {v.access}" if v.access else ""
    return f' <span class="severity sev-{_e(v.severity)}">{_e(v.severity)}{_e(access)}</span>'


def _card(case_id: str, rows: dict[str, dict[str, CaseRun]], case: CaseRecord | None, graphs: GraphBudget) -> str:
    all_results = [r for pair in rows.values() for r in pair.values()]
    ok = all(r.passed for r in all_results)
    cwe = case.cwe if case else next((r.verdict.cwe for r in all_results if r.verdict.cwe), "")
    title = case.title if case else ""
    badges = "".join(_badge(sanitizer, rows[sanitizer]) for sanitizer in _ordered(rows, configurations.NAMES))
    lesson = _lesson(case) if case else ""
    pairs = "".join(
        f'<section class="pair" data-sanitizer="{_e(sanitizer)}"><h3>under {_e(sanitizer)}</h3>'
        f'<div class="side-by-side">{_verdict_panel(rows[sanitizer].get("broken"), "broken", case)}'
        f'{_verdict_panel(rows[sanitizer].get("fixed"), "fixed", case)}</div>'
        f'{picture_panel(rows[sanitizer].get("broken"), case.layouts if case else (), graphs)}</section>'
        for sanitizer in _ordered(rows, configurations.NAMES))
    cwe_title = case.cwe_name if case else CWE_NAMES.get(cwe or "", "")
    runtime = case.runtime if case else "cpython"
    return (
        f'<details class="card {"ok" if ok else "unexpected"}" id="case-{_e(case_id.replace("/", "-"))}" '
        f'data-case="{_e(case_id)}" data-runtime="{_e(runtime)}" data-status="{"ok" if ok else "unexpected"}"{"" if ok else " open"}>'
        f'<summary><span class="case-id">{_e(case_id)}</span> <span class="runtime">{_e(runtime)}</span> <span class="cwe" title="{_e(cwe_title)}">{_e(cwe or "")}</span>'
        f' <span class="title">{_e(title)}</span> <span class="badges">{badges}</span></summary>'
        f'<div class="card-body">{lesson}{pairs}</div></details>')


def render(recorded: Results, *, title: str = "faultlab report") -> str:
    """The whole page for a results file: its verdicts, and its cases as they were recorded."""
    results, cases = recorded.results, recorded.cases
    grouped: dict[str, dict[str, dict[str, dict[str, CaseRun]]]] = defaultdict(lambda: defaultdict(dict))
    for (case_id, variant, sanitizer), r in sorted(latest(results).items()):
        grouped[mode_of(case_id)][case_id].setdefault(sanitizer, {})[variant] = r
    sections = []
    graphs = GraphBudget()
    for mode in _ordered(grouped, MODES):
        cards = "".join(_card(case_id, dict(rows), cases.get(case_id), graphs)
                        for case_id, rows in sorted(grouped[mode].items()))
        sections.append(f'<section class="mode" id="mode-{_e(mode)}"><h2>{_e(mode)}</h2>{cards}</section>')
    unique = latest(results).values()
    declared = sum(r.passed for r in unique)
    case_count = len({c for c, _, _ in latest(results)})
    summary = (f'<span id="total">{len(unique)} verdicts</span> · <span id="declared">{declared} as declared</span>'
               f' · <span id="unexpected" class="{"bad" if declared < len(unique) else ""}">{len(unique) - declared} unexpected</span>'
               f' · {case_count} case{"" if case_count == 1 else "s"}')
    return _template().substitute(
        title=_e(title), generated=_e(datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        summary=summary, matrix=_matrix(results, cases), cards="".join(sections) or "<p>No verdicts in this results file.</p>",
    )


def write_html(path, page: str, verdicts: int) -> None:
    """Write a rendered page whole (or not at all) and say so in one line; a failure is one line too."""
    from . import atomic

    try:
        atomic.write_text(path, page)
    except OSError as exc:
        raise SystemExit(f"faultlab: cannot write {path}: {exc.strerror or exc}") from None
    import sys

    print(f"wrote {path}: {verdicts} verdict{'' if verdicts == 1 else 's'}", file=sys.stderr)


def diagnosis_results(verdict: Verdict, command: list[str], sanitizer: str) -> Results:
    """One ``faultlab diagnose`` verdict as a results file of one run, so the report renders it like a case's."""
    import os

    name = os.path.basename(command[0]) if command else "command"
    run = CaseRun(f"diagnose/{name}", "broken", sanitizer, verdict.kind, True, verdict)
    return Results((run,), configurations=(sanitizer,))
