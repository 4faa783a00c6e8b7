"""``faultlab``'s entry point: the parser of every subcommand, and errors turned into exit status 2.

The subcommands are imported here by name, one module each, the way pypa/build keeps its
command line in ``__main__`` apart from the library it drives.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from ..diagnosis import configurations, containment
from ..lab import build, catalog
from ..reports.terminal import printable
from . import EXIT_FAULT, EXIT_USAGE, UsageError
from . import bench, demo, diagnose, doctor, explain, fuzz, report, run, triage
from . import build as build_command
from . import list as list_command

# In the order ``faultlab --help`` lists them.
COMMANDS = (diagnose, triage, list_command, run, build_command, doctor, bench, explain, demo, report, fuzz)
# What a command stopped by a signal leaves behind, unless it says otherwise (``set_defaults(stopped=...)``):
# most run children, which containment kills, removing their files.
STOPPED = "the run was killed and its files removed"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def main_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faultlab", description="Reproduce FFI failure modes on purpose, and diagnose crashes.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of faultlab's own errors")
    sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=_Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning is one line for a person, like an error: ``faultlab: warning: ...``."""
    print(f"faultlab: warning: {printable(str(message))}", file=file or sys.stderr)  # it quotes the environment


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    warnings.showwarning = _show_warning
    debug = "--debug" in argv
    try:
        args = main_parser().parse_args(argv)
        # SIGTERM, SIGHUP (a CI timeout, a closed terminal) and SIGINT kill the current run's whole tree
        # and remove its files before faultlab exits with 128 + the signal's number.
        with containment.stopping_runs_on_signals():
            return args.func(args)
    except containment.Interrupted as exc:
        print(f"faultlab: {exc}; {getattr(args, 'stopped', STOPPED)}", file=sys.stderr)
        return exc.exit_status
    except (UsageError, build.BuildError, catalog.CatalogError, configurations.ConfigurationError) as exc:
        if debug:
            raise
        print(f"faultlab: {printable(str(exc))}", file=sys.stderr)  # it may quote a file or a child
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
