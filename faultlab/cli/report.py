"""``faultlab report RESULTS.json --html OUT --sarif OUT``: a results file as an HTML page and/or SARIF.

It re-runs nothing: everything shown comes from the results file.
"""

from __future__ import annotations

import json
from pathlib import Path

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


def report(args) -> int:
    if not args.html and not args.sarif:
        raise UsageError("report needs --html OUT.html and/or --sarif OUT.sarif")
    results = load_results(args.results)
    if args.html:
        atomic.write_text(args.html, render(results))
        print(f"wrote {args.html}: {len(results)} verdicts")
    if args.sarif:
        atomic.write_text(args.sarif, json.dumps(to_sarif(results), indent=1))
        print(f"wrote {args.sarif}: {len(results)} verdicts")
    return EXIT_OK
