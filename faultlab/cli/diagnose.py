"""``faultlab diagnose [options] -- COMMAND``: run anyone's program under the runner and classify it.

Exit status: 0 when the program was fine (``ok``), 1 when a fault was found, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json

from ..diagnosis import configurations, stall
from ..diagnosis.classify import classify
from ..diagnosis.runner import run
from ..lab.pictures import picture
from ..reports.pictures import to_text
from ..reports.html import diagnosis_results, render, write_html
from ..reports.terminal import format_verdict
from . import EXIT_FAULT, EXIT_OK, UsageError, options


def register(subparsers) -> None:
    p = subparsers.add_parser("diagnose", help="run a command under the runner and classify what happened")
    p.add_argument("--sanitizer", default="none", choices=configurations.NAMES, help="runtime to preload (default: none)")
    p.add_argument("--timeout", type=options.seconds, default=30.0, metavar="SECONDS", help="hang watchdog (default: 30)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("--memory-mb", type=options.megabytes, metavar="MB", help="bound the child's address space")
    p.add_argument("--leaks", action="store_true", help="report leaks (LeakSanitizer, with --sanitizer asan)")
    p.add_argument("--no-gdb", action="store_true", help="do not attach gdb for native stacks on a timeout")
    p.add_argument("--deadlock-after", type=options.seconds_or_zero, default=stall.DEADLOCK_AFTER_S, metavar="SECONDS",
                   help="stop a child whose threads have all stood still in lock waits this long, once its native "
                        f"stacks confirm the deadlock (default: {stall.DEADLOCK_AFTER_S}; 0: wait for the timeout)")
    p.add_argument("--html", type=options.writable_file, metavar="OUT.html",
                   help="also write the verdict as an HTML page, with its failure's picture")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    p.set_defaults(func=diagnose)


def diagnose(args) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise UsageError("diagnose needs a command: faultlab diagnose [options] -- COMMAND [ARGS...]")
    memory = int(args.memory_mb * (1 << 20)) if args.memory_mb else None
    configuration = configurations.get(args.sanitizer).with_leaks(args.leaks)
    outcome = run(command, sanitizer=configuration, timeout=args.timeout, memory_limit=memory,
                  use_gdb=not args.no_gdb, deadlock_after=args.deadlock_after)
    if outcome.exit_code == 127 and outcome.stderr.startswith("faultlab: cannot start"):
        raise UsageError(outcome.stderr.removeprefix("faultlab: "))
    verdict = classify(outcome)
    print(json.dumps(verdict.to_dict()) if args.json else format_verdict(verdict))
    drawn = None if args.json else picture(verdict)
    if drawn is not None:
        print("\n".join(to_text(drawn, indent="  ")))
    if args.html:
        page = render(diagnosis_results(verdict, command, args.sanitizer), title="faultlab diagnose: " + " ".join(command))
        write_html(args.html, page, 1)
    return EXIT_OK if verdict.ok else EXIT_FAULT
