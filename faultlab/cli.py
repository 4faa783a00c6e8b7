"""The ``faultlab`` command: diagnose any program, and list, run, build the catalog.

Errors a person can fix are one line on stderr and exit status 2; ``--debug`` shows
the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from . import build, catalog, sanitizers
from .classify import classify
from .progress import Progress
from .report import format_verdict
from .runner import run

EXIT_OK, EXIT_FAULT, EXIT_USAGE = 0, 1, 2

# Further subcommands, each module with ``register(subparsers)``; a subcommand's
# ``func(args)`` returns the exit status and raises UsageError for a person's mistake.
COMMAND_MODULES: tuple[str, ...] = ("faultlab.cli_bench", "faultlab.cli_workshop", "faultlab.cli_fuzz")


class UsageError(Exception):
    """The command line asks for something that cannot be done."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sanitizer", default="none", choices=sanitizers.NAMES, help="runtime to preload (default: none)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="hang watchdog (default: 30)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")


def cmd_diagnose(args) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise UsageError("diagnose needs a command: faultlab diagnose [options] -- COMMAND [ARGS...]")
    if not 0 < args.timeout < float("inf"):  # also refuses nan, which compares false
        raise UsageError("--timeout must be a positive number of seconds")
    if args.memory_mb is not None and not 0 < args.memory_mb < float("inf"):
        raise UsageError("--memory-mb must be a positive number of megabytes")
    memory = int(args.memory_mb * (1 << 20)) if args.memory_mb else None
    outcome = run(command, sanitizer=args.sanitizer, timeout=args.timeout, memory_limit=memory,
                  leaks=args.leaks, use_gdb=not args.no_gdb)
    if outcome.exit_code == 127 and outcome.stderr.startswith("faultlab: cannot start"):
        raise UsageError(outcome.stderr.removeprefix("faultlab: "))
    verdict = classify(outcome)
    print(json.dumps(verdict.to_dict()) if args.json else format_verdict(verdict))
    return EXIT_OK if verdict.ok else EXIT_FAULT


def cmd_list(args) -> int:
    cases = catalog.discover()
    if args.json:
        print(json.dumps([{"id": c.id, "mode": c.mode, "cwe": c.cwe, "title": c.title, "fix_in": c.fix_in,
                           "expect": c.expect, "explanation": c.explanation, "requires": list(c.requires),
                           "source": c.source} for c in cases], indent=1))
        return EXIT_OK
    for c in cases:
        configs = ", ".join(f"{s}: {k}" for s, k in c.expect.items())
        print(f"{c.id:<38} {c.cwe:<8} {configs}")
        print(f"    {c.title}")
    print(f"{len(cases)} cases")
    return EXIT_OK


def cmd_run(args) -> int:
    from .execute import run_case

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
            mark = "as declared" if r.passed else f"EXPECTED {r.expected}"
            print(format_verdict(r.verdict, title=f"{r.case_id} {r.variant} under {r.sanitizer} ({mark})"))
            print()
    else:
        print(f"{sum(r.passed for r in results)}/{len(results)} as declared")
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAULT


def cmd_build(args) -> int:
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


def cmd_doctor(args) -> int:
    from .doctor import cases_needing, checks

    results = checks()
    for name, ok, detail in results:
        print(f"{'ok     ' if ok else 'MISSING'} {name:<28} {detail}")
    for piece, ids in cases_needing([name for name, ok, _ in results if not ok]).items():
        if ids:
            print(f"without {piece}, these cases are skipped: {', '.join(ids)}")
    return EXIT_OK if all(ok for _, ok, _ in results) else EXIT_FAULT


def main_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faultlab", description="Reproduce FFI failure modes on purpose, and diagnose crashes.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of faultlab's own errors")
    sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)

    p = sub.add_parser("diagnose", help="run a command under the runner and classify what happened")
    _add_run_options(p)
    p.add_argument("--memory-mb", type=float, metavar="MB", help="bound the child's address space")
    p.add_argument("--leaks", action="store_true", help="report leaks (LeakSanitizer, with --sanitizer asan)")
    p.add_argument("--no-gdb", action="store_true", help="do not attach gdb for native stacks on a timeout")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    p.set_defaults(func=cmd_diagnose)

    p = sub.add_parser("list", help="show the catalog of cases")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run one case and print its verdicts")
    p.add_argument("case_id", nargs="?")
    p.add_argument("--all", action="store_true", help="run every case of the catalog")
    p.add_argument("--variant", default="both", choices=("broken", "fixed", "both"))
    p.add_argument("--sanitizer", choices=sanitizers.NAMES, help="one configuration (default: every one the case declares)")
    p.add_argument("--isolation", default="auto", choices=("auto", "fork", "spawn"),
                   help="fork each run from a warm server where sound (auto, the default, as pytest cases/ does), "
                        "always fork, or always spawn")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("build", help="build every native library of the catalog ahead of time")
    p.add_argument("--sanitizer", choices=sanitizers.NAMES)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("doctor", help="say which toolchain pieces are present and what is missing")
    p.set_defaults(func=cmd_doctor)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = main_parser().parse_args(argv)
        return args.func(args)
    except (UsageError, build.BuildError, catalog.CatalogError, sanitizers.SanitizerError) as exc:
        if debug:
            raise
        print(f"faultlab: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (faultlab ... | head): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAULT


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
