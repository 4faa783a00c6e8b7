"""The child's entry point: run one case variant, or call ``package.module:function``.

    python -m faultlab.drive CASE_FILE CASE_ID VARIANT
    python -m faultlab.drive --call package.module:function
"""

from __future__ import annotations

import importlib
import sys


def case_command(case_file: str, case_id: str, variant: str) -> list[str]:
    """The command that runs one case variant in a fresh interpreter."""
    return [sys.executable, "-m", "faultlab.drive", str(case_file), case_id, variant]


def call_command(target: str) -> list[str]:
    """The command that calls ``package.module:function`` in a fresh interpreter."""
    return [sys.executable, "-m", "faultlab.drive", "--call", target]


def call(target: str) -> None:
    module_name, _, function_name = target.partition(":")
    if not function_name:
        raise SystemExit(f"faultlab: --call needs package.module:function, not {target!r}")
    getattr(importlib.import_module(module_name), function_name)()


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "--call":
        call(argv[1])
        return
    if len(argv) != 3:
        raise SystemExit("usage: python -m faultlab.drive CASE_FILE CASE_ID VARIANT | --call module:function")
    from .catalog import load_case

    case_file, case_id, variant = argv
    case = load_case(case_file, case_id)
    case.driver(variant)()


if __name__ == "__main__":
    main(sys.argv[1:])
