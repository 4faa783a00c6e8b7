"""``faultlab bench [NAME ...] [--json] [--quick] [--chart FILE]``: faultlab's figures against their baselines.

The benches live in ``bench/`` at the project root, one module each; this command finds
them, runs those asked for (all by default) and prints their figures as tables, or as one
JSON document; ``--chart`` draws the boundary bench's cost per item against batch size.
It always exits 0 when the benches ran: a benchmark informs, it never fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys

from .. import benchstats
from ..lab import build
from ..reports import atomic
from ..reports.terminal import printable
from . import EXIT_OK, UsageError, options

NAMES = ("isolation", "suite", "fuzz", "boundary", "deadlock", "hostile", "crash", "symbolize")


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="measure isolation, suite, fuzzing, boundary, deadlock-verdict, hostile-output, crash-frame and ASan-symbolizing costs against baselines")
    p.add_argument("names", nargs="*", metavar="NAME", help=f"which benches ({', '.join(NAMES)}; default: all)")
    p.add_argument("--json", action="store_true", help="print every figure as one JSON document")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks that each bench runs, measures little")
    p.add_argument("--chart", type=options.chart_file, metavar="FILE.svg|FILE.png",
                   help="draw the boundary bench's cost per item against batch size, one line per runtime")
    p.set_defaults(func=run_benches)


def bench_module(name: str):
    """``bench.<name>`` from the project root, which is a source checkout, not an installed package."""
    root = build.project_root()
    if not (root / "bench" / f"{name}.py").exists():
        raise UsageError(f"bench/{name}.py not found under {root}; run faultlab bench in a faultlab checkout")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import bench.boundary
    import bench.boundary_chart
    import bench.crash
    import bench.deadlock
    import bench.fuzz
    import bench.hostile
    import bench.isolation
    import bench.suite
    import bench.symbolize

    return {"isolation": bench.isolation, "suite": bench.suite, "fuzz": bench.fuzz, "boundary": bench.boundary,
            "deadlock": bench.deadlock, "hostile": bench.hostile, "boundary_chart": bench.boundary_chart,
            "crash": bench.crash, "symbolize": bench.symbolize}[name]


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
            "load_average": os.getloadavg()}


def run_benches(args) -> int:
    names = args.names or list(NAMES)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise UsageError(f"no bench {', '.join(map(repr, unknown))}; choose from {', '.join(NAMES)}")
    if args.chart and "boundary" not in names:
        raise UsageError(f"--chart draws the boundary bench; add it: faultlab bench boundary --chart {args.chart}")
    if args.chart and importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--chart needs matplotlib; run 'make setup' or pip install -e '.[bench]'")
    results = []
    for name in names:
        result = bench_module(name).run(quick=args.quick)
        results.append(result)
        if name == "boundary" and args.chart:
            fmt = args.chart.suffix.lower().lstrip(".")
            atomic.write_bytes(args.chart, bench_module("boundary_chart").draw(result, fmt))
        if not args.json:
            # Children's words (a runtime's skip reason, a failed child's stderr) may be in it.
            print("\n".join(printable(line) for line in benchstats.render(result).split("\n")), end="\n\n", flush=True)
    if args.json:
        print(json.dumps({"faultlab_bench": 1, "machine": machine(), "benches": results}, indent=1))
    return EXIT_OK
