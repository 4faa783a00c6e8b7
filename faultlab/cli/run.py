"""``faultlab run CASE_ID | --all``: run case variants and print their verdicts against the declared ones."""

from __future__ import annotations

import json

from ..diagnosis import configurations
from ..lab import catalog
from ..lab.execute import run_case
from ..lab.isolation import policy
from ..reports.terminal import format_verdict
from . import EXIT_FAULT, EXIT_OK, UsageError
from .progress import Progress


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run one case and print its verdicts")
    p.add_argument("case_id", nargs="?")
    p.add_argument("--all", action="store_true", help="run every case of the catalog")
    p.add_argument("--variant", default="both", choices=("broken", "fixed", "both"))
    p.add_argument("--sanitizer", choices=configurations.NAMES, help="one configuration (default: every one the case declares)")
    p.add_argument("--isolation", default=policy.DEFAULT_ISOLATION, choices=policy.ISOLATIONS,
                   help="fork each run from a warm server where sound (auto, the default, as pytest cases/ does), "
                        "always fork, or always spawn")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_cases)


def run_cases(args) -> int:
    if bool(args.case_id) == bool(args.all):
        raise UsageError("run needs one CASE_ID or --all")
    cases = catalog.discover() if args.all else [catalog.find(args.case_id)]
    variants = catalog.VARIANTS if args.variant == "both" else (args.variant,)
    if args.sanitizer and not args.all and args.sanitizer not in cases[0].expect:
        raise UsageError(f"{cases[0].id} declares no expectation under {args.sanitizer}; "
                         f"it has {', '.join(cases[0].expect)}")
    plan = [(c, v, s) for c in cases for s in ([args.sanitizer] if args.sanitizer else c.expect)
            if s in c.expect for v in variants]
    results = []
    # A bar on a terminal, "[i/N] ..." lines in a log; nothing but the JSON with --json.
    with Progress(len(plan), live=None if args.all and not args.json else False) as progress:
        for case, variant, sanitizer in plan:
            progress.start(f"{case.id} {variant} under {sanitizer}")
            result = run_case(case, variant, sanitizer, isolation=args.isolation)
            results.append(result)
            mark = "ok  " if result.passed else "FAIL"
            progress.done(f"{mark} {case.id} {variant} under {sanitizer}: {result.verdict.kind}"
                          if args.all and not args.json else None)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=1))
    elif not args.all:
        for r in results:
            mark = "as declared" if r.passed else f"EXPECTED {r.expectation}"
            print(format_verdict(r.verdict, title=f"{r.case_id} {r.variant} under {r.sanitizer} ({mark})"))
            print()
    else:
        print(f"{sum(r.passed for r in results)}/{len(results)} as declared")
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAULT
