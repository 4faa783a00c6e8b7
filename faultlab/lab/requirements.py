"""What a case needs from the machine beyond Python and gcc, whether it is here, and how to get it.

A case names the pieces it requires (``requires=("jdk22",)``); a piece that cannot be found
makes the case skip with a line that says what is missing and how to get it. ``jdk`` is
any JDK, ``jdkN`` one of at least version N, ``rustc`` a rustc that answers; any other
piece is a command on PATH (``gdb``, ``clang``).
"""

from __future__ import annotations

import re

from . import java, rust, toolchain

_JDK = re.compile(r"^jdk(?P<minimum>\d+)?$")
HINTS = {
    "gdb": "apt-get install gdb",
    "clang": "apt-get install clang-16 libclang-rt-16-dev",
}


def available(piece: str) -> bool:
    """Whether a piece a case may require is on this machine."""
    jdk = _JDK.match(piece)
    if jdk:
        return java.find_jdk(int(jdk.group("minimum") or 0)) is not None
    if piece == "rustc":
        return rust.find_rustc() is not None
    return toolchain.available(piece)


def how_to_get(piece: str) -> str:
    """One line: what the piece is and how to get it."""
    jdk = _JDK.match(piece)
    if jdk:
        return java.missing_jdk(int(jdk.group("minimum") or 0))
    if piece == "rustc":
        return f"no working rustc found; {rust.HINT}"
    return f"{piece} not found; " + HINTS.get(piece, f"install {piece} or put it on PATH")


def missing(case) -> list[str]:
    """For each piece the case requires that is not here, the line that says so; empty when it can run."""
    return [how_to_get(piece) for piece in case.requires if not available(piece)]
