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
from . import EXIT_OK, UsageError, options


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="turn a --faultlab-report results file into HTML and/or SARIF")
    p.add_argument("results", metavar="RESULTS.json")
    p.add_argument("--html", type=options.writable_file, metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--sarif", type=options.writable_file, metavar="OUT.sarif", help="write SARIF 2.1.0")
    p.set_defaults(func=report, stopped="report runs nothing, and its files are written whole or not at all")


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
    outputs = {}  # rendered first, then written together: both files or neither
    if args.html:
        outputs[args.html] = render(recorded)
    if args.sarif:
        outputs[args.sarif] = json.dumps(to_sarif(recorded), indent=1)
    try:
        atomic.write_all(outputs)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or 'the report'}: {exc.strerror or exc}") from None
    for path in outputs:
        print(f"wrote {path}: {len(recorded.results)} verdicts")
    return EXIT_OK
