"""A guided run for a room: each case's bug, the crash and its diagnosis, then the fix running clean.

For every case: the decisive FLAW line, the broken variant run under the case's first
sanitizer configuration (or the one asked for) with its verdict (kind, summary, the
evidence line that decided it, the top Python and native frames), then the FIX line
and the fixed variant's verdict. Colour and a live progress line on a terminal; plain
text, one line per finished run, anywhere else. Nothing is faked: every verdict is a
real child run through ``faultlab.lab.execute.run_case``.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ..diagnosis import configurations

from ..lab import catalog, requirements
from ..lab.build import BuildError
from ..lab.execute import CaseResult, run_case
from ..lab.isolation import policy
from ..lab.lessons import Marked, marked_lines
from ..lab.pictures import picture
from ..lab.results import CaseRun
from ..lab.layouts import LayoutDiff
from ..reports.pictures import to_text, with_layouts
from ..reports.terminal import fit, printable
from ..diagnosis.kinds import MODES
from .progress import Palette, Progress, colour_enabled, terminal_width
from ..diagnosis.signature import meaningful
from ..lab import lessons
from ..lab.build import project_root
from ..lab.results import Results
from ..reports.html import render, write_html
from . import EXIT_FAULT, EXIT_OK, UsageError, options


def select(target: str | None) -> list[catalog.Case]:
    """The cases of one failure mode (``swallowed_error`` or ``swallowed-error``), one case, or all."""
    cases = catalog.discover()
    if not target:
        return cases
    mode = target.replace("_", "-")
    if mode in MODES:
        chosen = [c for c in cases if c.mode == mode]
        if not chosen:
            raise catalog.CatalogError(f"the catalog has no {mode} case yet; 'faultlab list' shows what it has")
        return chosen
    return [catalog.find(target)]


class DemoView:
    """Everything the demo prints, in one place, so the plain and the coloured face say the same."""

    def __init__(self, palette: Palette, width: int):
        self.p, self.width = palette, width

    def case_header(self, index: int, total: int, case: catalog.Case, sanitizer: str) -> list[str]:
        rule = "━" * max(self.width - 1, 10) if self.p.enabled else "=" * max(self.width - 1, 10)
        head = printable(f"[{index}/{total}] {case.id}  {case.cwe}  under {sanitizer}")
        return ["", self.p.dim(rule), self.p.bold(head), *fit(printable(case.title), self.width, "  ")]

    def marked(self, label: str, marks: list[Marked]) -> list[str]:
        lines = []
        for m in marks[:2]:
            lines += fit(printable(f"{label} {m.path}:{m.line}"), self.width, "  ")
            for piece in fit(printable(m.code.strip()), self.width, "      "):
                lines.append(self.p.yellow(piece) if label == "bug" else self.p.green(piece))
            lines += [self.p.dim(x) for x in fit(printable(f"{m.tag}: {m.note}"), self.width, "      ")]
        return lines

    def layouts(self, layouts: tuple[LayoutDiff, ...]) -> list[str]:
        """What drifted between the versions of the case's headers, as compact tables (``to_text`` makes them printable)."""
        return [self.p.dim(line) if i == 0 else line for diff in layouts
                for i, line in enumerate(to_text(diff, self.width, "  "))]

    def verdict(self, result: CaseResult, layouts: tuple[LayoutDiff, ...] = ()) -> list[str]:
        """The verdict's lines; every string that came from the child is made printable before it is coloured.

        ``layouts``, the case's recorded layout diffs, put a drifted struct's fields on a ruler that fits it.
        """
        v = result.verdict
        p = self.p
        if result.passed:
            tag = "as declared" if result.variant == "broken" else "clean"
            judged = p.green(tag)
        else:
            judged = p.paint(f"EXPECTED {result.expectation}", "red", "bold")
        colour = "green" if v.kind == "ok" else "red"
        head = f"  {result.variant:<6} {p.paint(v.kind, colour, 'bold')}  {judged}  ({v.duration_s:.2f} s)"
        lines = [head]
        if v.kind == "ok" and result.passed:
            return lines
        decisive = printable(_decisive_evidence(v.evidence)) if v.evidence else ""
        summary = printable(v.summary)
        if not (decisive and summary.startswith(decisive)):  # an oracle's message is summary and evidence at once
            lines += fit(summary, self.width, "    ")
        if decisive:
            pieces = fit(decisive, self.width - 2, "    ")
            lines += [p.paint(("    > " if i == 0 else "      ") + piece[4:], "yellow", "bold")
                      for i, piece in enumerate(pieces)]
        python_top = meaningful(v.python_stack)[:1]
        native_top = meaningful(v.native_stack)[:2]
        if python_top:
            lines += fit(printable(f"Python  {python_top[0]}"), self.width, "    ")
        for frame in native_top:
            lines += fit(printable(f"native  {frame}"), self.width, "    ")
        drawn = with_layouts(picture(v), layouts)
        if drawn is not None:  # the picture says what the thread lines would, better
            return lines + [p.dim(line) if i == 0 else line for i, line in enumerate(to_text(drawn, self.width))]
        for thread in [printable(t) for t in v.threads if printable(t) != decisive][:2]:
            lines += fit(f"thread  {thread}", self.width, "    ")
        return lines


def _decisive_evidence(evidence: tuple[str, ...]) -> str:
    """The evidence line a person should look at: the access (READ/WRITE of size ...) when there is one."""
    for line in evidence[1:]:
        if line.lstrip().startswith(("READ of size", "WRITE of size", "Read of size", "Write of size")):
            return line.strip()
    return evidence[0].strip()


def _show_case(case: catalog.Case, config: str, view: "DemoView", progress: Progress,
               isolation: str, ran: list[CaseRun] | None = None) -> tuple[int, int]:
    """Show the bug, run the broken variant, show the fix, run the fixed one: (runs as declared, unexpected)."""
    declared = unexpected = 0
    marks = marked_lines(case)
    layouts = lessons.layout_diffs(case)
    for variant in catalog.VARIANTS:
        tag, label = ("FLAW", "bug") if variant == "broken" else ("FIX", "fix")
        for line in view.marked(label, [m for m in marks if m.tag == tag]):
            progress.echo(line)
        for line in view.layouts(layouts) if variant == "broken" else ():
            progress.echo(line)
        progress.start(f"{case.id}: {variant} under {config}")
        try:
            result = run_case(case, variant, config, isolation=isolation)
        except BuildError as exc:
            progress.done()
            progress.echo(view.p.red(printable(f"  {variant}: build failed: {exc}")))
            unexpected += 1
            continue
        progress.done()
        if ran is not None:
            ran.append(CaseRun(result.case_id, result.variant, result.sanitizer, result.expected, result.passed,
                               result.verdict))
        for line in view.verdict(result, layouts):
            progress.echo(line)
        declared += result.passed
        unexpected += not result.passed
    return declared, unexpected


def run_demo(cases: list[catalog.Case], *, sanitizer: str | None = None, pause: bool = False,
             isolation: str = policy.DEFAULT_ISOLATION,
             stream: TextIO | None = None, prompt_input: TextIO | None = None,
             ran: list[CaseRun] | None = None) -> bool:
    """Run each case broken then fixed and show it; True when every verdict came out as declared.

    ``pause`` waits for Enter between cases (q stops); ``sanitizer`` overrides each
    case's first declared configuration; ``ran``, when given, collects every run.
    """
    stream = stream or sys.stdout
    prompt_input = prompt_input or sys.stdin
    palette = Palette(colour_enabled(stream))
    view = DemoView(palette, min(terminal_width(stream), 100))
    declared = unexpected = skipped = shown = 0
    with Progress(2 * len(cases), stream=stream, colour=palette.enabled) as progress:
        for index, case in enumerate(cases, 1):
            shown += 1
            config = sanitizer or next(iter(case.expect))
            for line in view.case_header(index, len(cases), case, config):
                progress.echo(line)
            missing = requirements.missing(case)
            if missing:
                progress.echo(f"  skipped: {'; '.join(missing)}")
                progress.done()
                progress.done()
                skipped += 1
            else:
                ok, bad = _show_case(case, config, view, progress, isolation, ran)
                declared, unexpected = declared + ok, unexpected + bad
            if pause and index < len(cases):
                progress.echo(palette.dim("  press Enter for the next case, q then Enter to stop"))
                progress.hide()
                answer = prompt_input.readline()
                if not answer or answer.strip().lower() == "q":
                    break
        summary = f"{shown} case{'s' if shown != 1 else ''}: {declared} of {declared + unexpected} runs as declared"
        if shown < len(cases):
            summary += f" (stopped; {len(cases) - shown} not shown)"
        if skipped:
            summary += f", {skipped} skipped (missing toolchain)"
        progress.echo("")
        progress.echo(palette.paint(summary, "bold", "red" if unexpected else "green"))
    return unexpected == 0


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="run cases for a room: the broken variant's verdict, then the fix, clean")
    p.add_argument("target", nargs="?", metavar="MODE|CASE_ID", help="one failure mode or one case (default: all)")
    p.add_argument("--no-pause", action="store_true", help="do not wait for Enter between cases")
    p.add_argument("--sanitizer", choices=configurations.NAMES,
                   help="run under this configuration (default: the first each case declares)")
    p.add_argument("--isolation", default=policy.DEFAULT_ISOLATION, choices=policy.ISOLATIONS,
                   help="fork each run from a warm server where sound (auto, the default, as run and pytest do), "
                        "always fork, or spawn a fresh interpreter for each run")
    p.add_argument("--html", type=options.writable_file, metavar="OUT.html",
                   help="also write the runs as the HTML report, each failure's picture in full")
    p.set_defaults(func=demo)


def demo(args) -> int:
    cases = select(args.target)
    if args.sanitizer:
        cases = [c for c in cases if args.sanitizer in c.expect]
        if not cases:
            raise UsageError(f"no case of {args.target or 'the catalog'} declares an expectation under {args.sanitizer}")
    pause = not args.no_pause and sys.stdin.isatty()
    ran: list[CaseRun] = []
    ok = run_demo(cases, sanitizer=args.sanitizer, pause=pause, isolation=args.isolation, ran=ran)
    if args.html:
        records = {c.id: lessons.record(c) for c in cases if any(r.case_id == c.id for r in ran)}
        recorded = Results.recorded(ran, records, str(project_root().resolve()))
        write_html(args.html, render(recorded, title="faultlab demo"), len(ran))
    return EXIT_OK if ok else EXIT_FAULT
