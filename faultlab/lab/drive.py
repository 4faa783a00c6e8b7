"""The child's entry point: run one case variant, or call ``package.module:function``.

    python -m faultlab.lab.drive CASE_FILE CASE_ID VARIANT
    python -m faultlab.lab.drive --call package.module:function
"""

from __future__ import annotations

import importlib
import sys

from .catalog import Case, load_case
from .native import use_variant


def call_command(target: str) -> list[str]:
    """The command that calls ``package.module:function`` in a fresh interpreter."""
    return [sys.executable, "-m", "faultlab.lab.drive", "--call", target]


def call(target: str) -> None:
    module_name, _, function_name = target.partition(":")
    if not function_name:
        raise SystemExit(f"faultlab: --call needs package.module:function, not {target!r}")
    getattr(importlib.import_module(module_name), function_name)()


def run_variant(case: Case, variant: str) -> None:
    """Run one variant of a case in this process: the libraries it loads are that variant's."""
    driver = case.driver(variant)
    use_variant(variant)
    driver()


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "--call":
        call(argv[1])
        return
    if len(argv) != 3:
        raise SystemExit("usage: python -m faultlab.lab.drive CASE_FILE CASE_ID VARIANT | --call module:function")
    case_file, case_id, variant = argv
    run_variant(load_case(case_file, case_id), variant)


if __name__ == "__main__":
    main(sys.argv[1:])
