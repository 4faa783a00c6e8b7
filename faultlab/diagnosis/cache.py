"""Where faultlab keeps what it makes once and reuses: builds, corpora, gdb's indexes.

``$FAULTLAB_CACHE`` when set, else ``$XDG_CACHE_HOME/faultlab`` (``~/.cache/faultlab``). The
rule lives here, in the lowest layer, so that the watchdog's own helpers (the crash handler
it preloads, gdb's index cache) and the lab's build cache agree on the place.
"""

from __future__ import annotations

import os
from pathlib import Path


def root() -> Path:
    env = os.environ.get("FAULTLAB_CACHE")
    return Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "faultlab"


def builds() -> Path:
    """The build cache: every library, program and class directory faultlab compiles, by content."""
    return root() / "build"
