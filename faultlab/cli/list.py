"""``faultlab list [--json]``: the catalog, one case a line with its runtime, CWE and expected kinds and pins."""

from __future__ import annotations

import json

from ..lab import catalog
from . import EXIT_OK


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="show the catalog of cases")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=list_cases, stopped="list runs nothing and writes nothing, so nothing was left behind")


def list_cases(args) -> int:
    cases = catalog.discover()
    if args.json:
        print(json.dumps([{"id": c.id, "mode": c.mode, "cwe": c.cwe, "title": c.title, "runtime": c.runtime,
                           "fix_in": c.fix_in,
                           "expect": {s: e.kind for s, e in c.expect.items()},
                           "pins": {s: e.pins() for s, e in c.expect.items() if e.pins()},
                           "explanation": c.explanation, "requires": list(c.requires),
                           "source": c.source} for c in cases], indent=1))
        return EXIT_OK
    for c in cases:
        configs = ", ".join(f"{s}: {e}" for s, e in c.expect.items())
        print(f"{c.id:<38} {c.runtime:<8} {c.cwe:<8} {configs}")
        print(f"    {c.title}")
    print(f"{len(cases)} cases")
    return EXIT_OK
