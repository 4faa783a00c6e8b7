"""What a case needs from the machine beyond Python and gcc: the lines that say what is missing and how to get it.

A case names the pieces it requires (``requires=("panama-jdk",)``); ``toolchain`` says
whether each is here. A piece that is not makes the case skip with its line.
"""

from __future__ import annotations

from . import toolchain


def missing(case) -> list[str]:
    """For each piece the case requires that is not here, the line that says so; empty when it can run."""
    return [toolchain.how_to_get(piece) for piece in case.requires if not toolchain.available(piece)]
