"""A frame's module as a person reads it: a base name, named after the runtime its path gives away.

Every source's frame reader uses it, so ``libpython/ceval.c``, ``libc/raise.c`` and
``faultlab/drive.py`` are named alike whichever report printed them.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ._schema import RuntimePath

_PACKAGE = Path(__file__).resolve().parents[2].as_posix() + "/"  # the installed faultlab/, wherever it is


@functools.cache
def _rules() -> tuple[RuntimePath, ...]:
    # Late: the table is every source's, and the sources read frames with this module.
    from . import RUNTIME_PATHS

    return RUNTIME_PATHS


def module_name(path: str | None) -> str:
    """``path`` as a base name, prefixed with the runtime it belongs to when a source's ``RUNTIME_PATHS`` says so.

    A file of the installed package is ``faultlab/...`` first, wherever it is installed.
    """
    if not path:
        return ""
    if path.startswith(_PACKAGE):
        path = "faultlab/" + path[len(_PACKAGE):]
    for rule in _rules():
        if rule.regex.search(path):
            return f"{rule.runtime}/{os.path.basename(path)}"
    return os.path.basename(path)
