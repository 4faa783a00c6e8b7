"""``faultlab build [--sanitizer NAME]``: build every native library of the catalog ahead of time."""

from __future__ import annotations

from ..diagnosis import configurations
from ..lab import catalog
from . import EXIT_OK
from .progress import Progress


def register(subparsers) -> None:
    p = subparsers.add_parser("build", help="build every native library of the catalog ahead of time")
    p.add_argument("--sanitizer", choices=configurations.NAMES)
    p.set_defaults(func=build_all)


def build_all(args) -> int:
    cases = catalog.discover()
    configs = [args.sanitizer] if args.sanitizer else sorted({s for c in cases for s in c.expect})
    plan = [(case, s, v) for case in cases for s in configs if s in case.expect or args.sanitizer
            for v in catalog.VARIANTS]
    count = 0
    with Progress(len(plan)) as progress:  # a bar on a terminal; in a log, only the summary below
        for case, s, v in plan:
            progress.start(f"building {case.id} ({s}, {v})")
            case.build(s, v)
            count += len(case.libraries)
            progress.done()
    print(f"built {count} library variants for {len(cases)} cases ({', '.join(configs)})")
    return EXIT_OK
