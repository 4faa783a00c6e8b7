"""Where the toolchain pieces are on this machine: compilers, gdb, the JDKs, Go, rustc, node and its headers.

One place answers "is it here, where, which version, and how to get it": the build, the
cases that need a runtime, ``faultlab doctor`` and the boundary bench all ask here, so
they never disagree about what this machine has.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
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
    """Whether a toolchain piece a case may require is present: jdk, panama-jdk, go, rustc, node, gdb, clang, or any command."""
    finders = {"jdk": find_jdk, "panama-jdk": find_panama_jdk, "go": find_go, "rustc": find_rustc, "node": find_node}
    if piece in finders:
        return finders[piece]() is not None
    if piece == "clang":
        return shutil.which("clang-16") is not None
    return shutil.which(piece) is not None


# ---- the other runtimes' toolchains: where each is, its version, and how to get it when missing ----

PANAMA_MIN_FEATURE = 22  # java.lang.foreign is final from JDK 22 on

GO_HINT = "apt-get install golang-go (make setup does)"
RUSTC_HINT = "install rustup (rustup.rs) or apt-get install rustc"
NODE_HINT = "apt-get install nodejs, or a Node 20 with its headers"
PANAMA_HINT = f"install a JDK >= {PANAMA_MIN_FEATURE} (e.g. Temurin 25) under /usr/lib/jvm or set JAVA_HOME"


def jdk_feature(home: Path) -> int | None:
    """The JDK's feature release (17, 25, ...) from its ``release`` file; None when it does not say."""
    try:
        text = (home / "release").read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)(?:\.|")', text, re.MULTILINE)
    if not match:
        return None
    feature = int(match.group(1))
    return 8 if feature == 1 else feature  # "1.8.0_x" is JDK 8


@functools.lru_cache(maxsize=None)
def find_panama_jdk() -> Path | None:
    """A JDK home able to compile and run java.lang.foreign (feature >= 22): JAVA_HOME first, then /usr/lib/jvm, newest first."""
    candidates = [Path(os.environ["JAVA_HOME"])] if os.environ.get("JAVA_HOME") else []
    jvm = Path("/usr/lib/jvm")
    homes = [h for h in jvm.glob("*") if not h.is_symlink()] if jvm.is_dir() else []
    candidates += sorted(homes, key=lambda h: jdk_feature(h) or 0, reverse=True)
    for home in candidates:
        if (home / "bin" / "javac").exists() and (jdk_feature(home) or 0) >= PANAMA_MIN_FEATURE:
            return home
    return None


@functools.lru_cache(maxsize=None)
def find_go() -> Path | None:
    """The ``go`` command: PATH first, then where Debian's golang-go puts it."""
    return _first_command("go", [Path("/usr/lib/go/bin/go")])


@functools.lru_cache(maxsize=None)
def find_rustc() -> Path | None:
    """``rustc``: PATH first, then $CARGO_HOME/bin, ~/.cargo/bin and /root/.cargo/bin (CI may run with another HOME)."""
    homes = [Path(os.environ["CARGO_HOME"])] if os.environ.get("CARGO_HOME") else []
    homes += [Path.home() / ".cargo", Path("/root/.cargo")]
    return _first_command("rustc", [home / "bin" / "rustc" for home in homes])


@functools.lru_cache(maxsize=None)
def find_node() -> Path | None:
    """The ``node`` command on PATH."""
    return _first_command("node", [])


@functools.lru_cache(maxsize=None)
def node_headers(node: Path | None = None) -> Path | None:
    """The folder with node_api.h for ``node`` (its own prefix's include/node first, then /usr/include/node)."""
    node = node or find_node()
    folders = [Path(os.path.realpath(node)).parent.parent / "include" / "node"] if node else []
    folders.append(Path("/usr/include/node"))
    return next((f for f in folders if (f / "node_api.h").exists()), None)


@functools.lru_cache(maxsize=None)
def version_of(command: Path, *args: str) -> str:
    """The first line a tool prints about its version (``go version``, ``rustc --version``); "" when it will not say."""
    try:
        proc = subprocess.run([str(command), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[0].strip() if proc.returncode == 0 and lines else ""


def _first_command(name: str, fallbacks: list[Path]) -> Path | None:
    found = shutil.which(name)
    if found:
        return Path(found)
    return next((p for p in fallbacks if p.is_file() and os.access(p, os.X_OK)), None)
