"""Where the toolchain pieces are on this machine: compilers, sanitizer runtimes, gdb, a JDK."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path


class BuildError(Exception):
    """A native library could not be built, or a toolchain piece it needs is missing; one line for a person."""


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


def jdk_home() -> Path:
    """The JDK to build and run JNI code with; a ``BuildError`` for a person when there is none."""
    jdk = find_jdk()
    if jdk is None:
        raise BuildError("no JDK found (javac and include/jni.h); install openjdk-17-jdk or set JAVA_HOME")
    return jdk


def available(piece: str) -> bool:
    """Whether a toolchain piece a case may require is present: jdk, gdb, clang, or any command."""
    if piece == "jdk":
        return find_jdk() is not None
    if piece == "clang":
        return shutil.which("clang-16") is not None
    return shutil.which(piece) is not None
