"""``faultlab explain CASE_ID``: what a case teaches, in 80 columns or as JSON. It runs nothing."""

from __future__ import annotations

import json

from ..lab import catalog
from ..lab.lessons import explain
from ..reports.pictures import to_text
from ..reports.terminal import format_explanation
from . import EXIT_OK, UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser("explain", help="show a case's rule, its decisive lines and its fix as a diff")
    p.add_argument("case_id", metavar="CASE_ID")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument("--width", type=int, default=80, metavar="COLUMNS", help="wrap at COLUMNS (default: 80)")
    p.set_defaults(func=explain_case, stopped="explain runs nothing and writes nothing, so nothing was left behind")


def explain_case(args) -> int:
    if args.width < 40:
        raise UsageError("--width must be at least 40 columns")
    explanation = explain(catalog.find(args.case_id))
    if args.json:
        print(json.dumps(explanation.to_dict(), indent=1))
        return EXIT_OK
    print(format_explanation(explanation, args.width))
    if explanation.layouts:  # what drifted between the case's headers, laid out by cffi
        print("\nWhat drifted between the headers:")
        print("\n".join(line.rstrip() for diff in explanation.layouts for line in to_text(diff, args.width, "  ")))
    return EXIT_OK
