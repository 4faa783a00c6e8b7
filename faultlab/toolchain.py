"""Where the toolchain pieces are on this machine: compilers, sanitizer runtimes, gdb, a JDK."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path


@functools.lru_cache(maxsize=None)
def find_jdk() -> Path | None:
    """A JDK home with javac and include/jni.h: JAVA_HOME first, then javac on PATH."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    javac = shutil.which("javac")
    if javac:
        candidates.append(Path(os.path.realpath(javac)).parent.parent)
    candidates += sorted(Path("/usr/lib/jvm").glob("*")) if Path("/usr/lib/jvm").is_dir() else []
    for home in candidates:
        if (home / "bin" / "javac").exists() and (home / "include" / "jni.h").exists():
            return home
    return None


def available(piece: str) -> bool:
    """Whether a toolchain piece a case may require is present: jdk, gdb, clang, or any command."""
    if piece == "jdk":
        return find_jdk() is not None
    if piece == "clang":
        return shutil.which("clang-16") is not None
    return shutil.which(piece) is not None
