"""``faultlab report RESULTS.json --html OUT --sarif OUT``: a results file as an HTML page and/or SARIF.

It re-runs nothing and reads no case file: everything shown comes from the results file,
as it was recorded, so an old file renders the same anywhere, with or without ``cases/``.
"""

from __future__ import annotations

import json

from ..lab.results import Results, ResultsError, load
from ..reports import atomic
from ..reports.html import render
from ..reports.sarif import to_sarif
from . import EXIT_OK, UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="turn a --faultlab-report results file into HTML and/or SARIF")
    p.add_argument("results", metavar="RESULTS.json")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--sarif", metavar="OUT.sarif", help="write SARIF 2.1.0")
    p.set_defaults(func=report)


def load_results(path: str) -> Results:
    """A ``--faultlab-report`` file (or what ``faultlab run --json`` printed); a bad one is a UsageError."""
    try:
        return load(path)
    except ResultsError as exc:
        raise UsageError(str(exc)) from None


def report(args) -> int:
    if not args.html and not args.sarif:
        raise UsageError("report needs --html OUT.html and/or --sarif OUT.sarif")
    recorded = load_results(args.results)
    if args.html:
        atomic.write_text(args.html, render(recorded))
        print(f"wrote {args.html}: {len(recorded.results)} verdicts")
    if args.sarif:
        atomic.write_text(args.sarif, json.dumps(to_sarif(recorded), indent=1))
        print(f"wrote {args.sarif}: {len(recorded.results)} verdicts")
    return EXIT_OK
