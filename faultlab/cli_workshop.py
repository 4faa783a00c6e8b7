"""``faultlab explain``, ``faultlab demo`` and ``faultlab report``: the workshop and CI faces.

``explain CASE_ID`` prints what a case teaches (80 columns, or ``--json``); ``demo`` runs
cases for a room, broken then fixed; ``report RESULTS.json`` turns a ``--faultlab-report``
results file into a self-contained HTML page and/or SARIF 2.1.0. None of them re-runs
anything but ``demo``, whose purpose is to run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import catalog, sanitizers
from .cli import EXIT_FAULT, EXIT_OK, UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser("explain", help="show a case's rule, its decisive lines and its fix as a diff")
    p.add_argument("case_id", metavar="CASE_ID")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.add_argument("--width", type=int, default=80, metavar="COLUMNS", help="wrap at COLUMNS (default: 80)")
    p.set_defaults(func=cmd_explain)

    p = subparsers.add_parser("demo", help="run cases for a room: the broken variant's verdict, then the fix, clean")
    p.add_argument("target", nargs="?", metavar="MODE|CASE_ID", help="one failure mode or one case (default: all)")
    p.add_argument("--no-pause", action="store_true", help="do not wait for Enter between cases")
    p.add_argument("--sanitizer", choices=sanitizers.NAMES,
                   help="run under this configuration (default: the first each case declares)")
    p.set_defaults(func=cmd_demo)

    p = subparsers.add_parser("report", help="turn a --faultlab-report results file into HTML and/or SARIF")
    p.add_argument("results", metavar="RESULTS.json")
    p.add_argument("--html", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--sarif", metavar="OUT.sarif", help="write SARIF 2.1.0")
    p.set_defaults(func=cmd_report)


def cmd_explain(args) -> int:
    from .explain import explain, format_explanation

    if args.width < 40:
        raise UsageError("--width must be at least 40 columns")
    explanation = explain(catalog.find(args.case_id))
    print(json.dumps(explanation.to_dict(), indent=1) if args.json else format_explanation(explanation, args.width))
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import run_demo, select

    cases = select(args.target)
    if args.sanitizer:
        cases = [c for c in cases if args.sanitizer in c.expect]
        if not cases:
            raise UsageError(f"no case of {args.target or 'the catalog'} declares an expectation under {args.sanitizer}")
    pause = not args.no_pause and sys.stdin.isatty()
    ok = run_demo(cases, sanitizer=args.sanitizer, pause=pause)
    return EXIT_OK if ok else EXIT_FAULT


def load_results(path: str) -> list[dict]:
    """The results of a ``--faultlab-report`` file (or of ``faultlab run --json``); a person's mistake is a UsageError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not JSON ({exc}); write one with pytest cases/ --faultlab-report {path}") from None
    results = data.get("results") if isinstance(data, dict) and data.get("faultlab_results") == 1 else data
    if not isinstance(results, list) or not all(isinstance(r, dict) and {"case", "variant", "sanitizer", "verdict"} <= r.keys()
                                                for r in results):
        raise UsageError(f"{path} is not a faultlab results file; write one with pytest cases/ --faultlab-report {path}")
    return results


def cmd_report(args) -> int:
    from . import atomic

    if not args.html and not args.sarif:
        raise UsageError("report needs --html OUT.html and/or --sarif OUT.sarif")
    results = load_results(args.results)
    if args.html:
        from .html_report import render

        atomic.write_text(args.html, render(results))
        print(f"wrote {args.html}: {len(results)} verdicts")
    if args.sarif:
        from .sarif import to_sarif

        atomic.write_text(args.sarif, json.dumps(to_sarif(results), indent=1))
        print(f"wrote {args.sarif}: {len(results)} verdicts")
    return EXIT_OK
