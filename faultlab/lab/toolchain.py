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


def _is_jdk(home: Path) -> bool:
    return (home / "bin" / "javac").exists() and (home / "bin" / "java").exists() and (home / "include" / "jni.h").exists()


@functools.lru_cache(maxsize=None)
def find_jdk(minimum: int = 0) -> Path | None:
    """A JDK home (javac, java, include/jni.h) of at least feature version ``minimum``: JAVA_HOME
    first, then javac on PATH, then the newest under /usr/lib/jvm that is recent enough."""
    homes = [Path(os.environ["JAVA_HOME"])] if os.environ.get("JAVA_HOME") else []
    javac = shutil.which("javac")
    if javac:
        homes.append(Path(os.path.realpath(javac)).parent.parent)
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        homes += sorted((h for h in jvm.iterdir() if not h.is_symlink()), key=lambda h: -(jdk_feature(h) or 0))
    return next((h for h in homes if _is_jdk(h) and (jdk_feature(h) or 0) >= minimum), None)


def find_panama_jdk() -> Path | None:
    """A JDK able to compile and run java.lang.foreign (feature >= 22)."""
    return find_jdk(PANAMA_MIN_FEATURE)


def jdk_home(minimum: int = 0) -> Path:
    """The JDK to build and run with; a ``BuildError`` for a person when there is none that recent."""
    jdk = find_jdk(minimum)
    if jdk is None:
        raise BuildError(missing_jdk(minimum))
    return jdk


def missing_jdk(minimum: int = 0) -> str:
    """What a person reads when no JDK of at least ``minimum`` is found, and how to get one."""
    if minimum >= PANAMA_MIN_FEATURE:
        return f"no JDK >= {minimum} found (java.lang.foreign); install one (e.g. Temurin 25) under /usr/lib/jvm or set JAVA_HOME"
    if minimum:
        return f"no JDK >= {minimum} found; install one under /usr/lib/jvm or set JAVA_HOME"
    return f"no JDK found (javac and include/jni.h); {JDK_HINT}"


def available(piece: str) -> bool:
    """Whether a toolchain piece a case may require is present: jdk, jdkN (at least version N),
    panama-jdk, go, rustc, node, node-headers, clang, or any command on PATH."""
    jdk = re.fullmatch(r"jdk(\d+)?", piece)
    if jdk:
        return find_jdk(int(jdk.group(1) or 0)) is not None
    finders = {"panama-jdk": find_panama_jdk, "go": find_go, "rustc": find_rustc, "node": find_node,
               "node-headers": node_headers}
    if piece in finders:
        return finders[piece]() is not None
    if piece == "clang":
        return shutil.which("clang-16") is not None
    return shutil.which(piece) is not None


def how_to_get(piece: str) -> str:
    """One line: which piece is missing and how to get it."""
    jdk = re.fullmatch(r"jdk(\d+)?", piece)
    if jdk:
        return missing_jdk(int(jdk.group(1) or 0))
    hints = {"panama-jdk": missing_jdk(PANAMA_MIN_FEATURE), "go": f"go not found; {GO_HINT}",
             "rustc": f"no working rustc found; {RUSTC_HINT}", "node": f"node not found; {NODE_HINT}",
             "node-headers": f"node_api.h not found; {NODE_HEADERS_HINT}",
             "gdb": "gdb not found; apt-get install gdb",
             "clang": "clang-16 not found; apt-get install clang-16 libclang-rt-16-dev"}
    return hints.get(piece, f"{piece} not found; install {piece} or put it on PATH")


# ---- the other runtimes' toolchains: where each is, its version, and how to get it when missing ----

PANAMA_MIN_FEATURE = 22  # java.lang.foreign is final from JDK 22 on

JDK_HINT = "apt-get install openjdk-17-jdk-headless or set JAVA_HOME"
GO_HINT = "apt-get install golang-go (make setup does)"
RUSTC_HINT = "install rustup (rustup.rs) or apt-get install rustc"
NODE_HINT = "apt-get install nodejs, or a Node 20 with its headers"
NODE_HEADERS_HINT = "apt-get install libnode-dev, or a Node whose prefix has include/node"
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
def find_go() -> Path | None:
    """The ``go`` command: PATH first, then where Debian's golang-go puts it."""
    return _first_command("go", [Path("/usr/lib/go/bin/go")])


@functools.lru_cache(maxsize=None)
def find_rustc() -> Path | None:
    """A ``rustc`` that answers ``--version``: PATH first, then $CARGO_HOME/bin, ~/.cargo/bin and
    /root/.cargo/bin (CI may run with another HOME, where a rustup proxy has no toolchain)."""
    homes = [Path(os.environ["CARGO_HOME"])] if os.environ.get("CARGO_HOME") else []
    homes += [Path.home() / ".cargo", Path("/root/.cargo")]
    found = [Path(p) for p in (shutil.which("rustc"),) if p]
    found += [home / "bin" / "rustc" for home in homes]
    return next((r for r in found if r.is_file() and os.access(r, os.X_OK) and version_of(r, "--version")), None)


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
