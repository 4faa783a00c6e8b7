"""Compile the native libraries of ``native/`` on demand into a content-addressed cache.

The key covers the sources, every header they can see, the flags and the compiler's
version, so a stale build is never reused. Concurrent builds of one library (pytest-xdist
workers) produce a single build: a file lock serialises them and the shared object is
moved into place with an atomic rename, so nobody ever loads a torn ``.so``. The cache
lives outside the source tree and nothing is installed system-wide.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

from filelock import FileLock

from ..diagnosis import cache, configurations
from ..diagnosis.configurations import Configuration
from .toolchain import BuildError, jdk_home

BASE_CFLAGS = ("-g", "-O0", "-fPIC", "-shared", "-Wall", "-fno-omit-frame-pointer", "-pthread")
CLANG = "clang-16"


def project_root() -> Path:
    env = os.environ.get("FAULTLAB_ROOT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2]


def native_root() -> Path:
    return project_root() / "native"


def cache_root() -> Path:
    return cache.builds()


def compiler_for(configuration: Configuration) -> str:
    """The compiler command of a configuration: ``$CC`` or gcc, or clang-16 for coverage builds."""
    if configuration.compiler == "gcc":
        return os.environ.get("CC", "gcc")
    return CLANG if configuration.compiler == "clang" else configuration.compiler


@functools.lru_cache(maxsize=None)
def compiler_version(compiler: str) -> str:
    if not shutil.which(compiler):
        hint = "apt-get install clang-16 libclang-rt-16-dev" if "clang" in compiler else "apt-get install gcc"
        raise BuildError(f"{compiler} not found; run 'make cases' or {hint}")
    out = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else compiler


@functools.lru_cache(maxsize=None)
def _jdk_include() -> tuple[str, ...]:
    jdk = jdk_home()
    return (f"-I{jdk / 'include'}", f"-I{jdk / 'include' / 'linux'}")


def _inputs(sources: list[Path], includes: list[Path]) -> list[Path]:
    """Every file the compiler can read: the sources, and the headers beside them or in include dirs."""
    seen = set(sources)
    for folder in {s.parent for s in sources} | set(includes):
        seen.update(folder.rglob("*.h"))
    return sorted(seen)


def build_library(name: str, *, sources: tuple[str, ...] = (), includes: tuple[str, ...] = (),
                  python: bool = False, jni: bool = False, link: tuple[str, ...] = (),
                  configuration: Configuration | None = None, variant: str = "broken",
                  defines: tuple[str, ...] = ()) -> Path:
    """The path of ``lib<name>.so`` built for ``configuration`` (default: none) and ``variant``;
    built now if not cached. The configuration says the compiler and the instrumentation."""
    configuration = configuration or configurations.get("none")
    root = native_root()
    src_paths = [root / s for s in (sources or (f"{name}.c",))]
    for src in src_paths:
        if not src.exists():
            raise BuildError(f"{name}: source {src} not found")
    inc_paths = [root / i for i in includes]
    compiler = compiler_for(configuration)
    flags = [*BASE_CFLAGS, *configuration.cflags, *(f"-I{p}" for p in inc_paths), *(f"-D{d}" for d in defines)]
    if variant == "fixed":
        flags.append("-DFAULTLAB_FIXED")
    if python:
        flags += [f"-I{sysconfig.get_paths()['include']}"]
    if jni:
        flags += list(_jdk_include())
    key = hashlib.sha256()
    key.update(compiler_version(compiler).encode())
    key.update("\0".join(flags + list(link)).encode())
    for path in _inputs(src_paths, inc_paths):
        key.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        key.update(path.read_bytes())
    target = cache_root() / key.hexdigest()[:20] / f"lib{Path(name).name}.so"
    return compile_once(target, [compiler, *flags, *map(str, src_paths), "-o", "{output}", *link],
                        failure=f"{name}: {compiler} failed")


def build_cached(name: str, command: list[str], *, inputs: tuple[Path, ...], tool: str,
                 env: dict | None = None, directory: bool = False) -> Path:
    """``name`` made by ``command`` from ``inputs`` into the content-addressed cache, unless it is there already.

    For what ``build_library`` does not compile: a C program, a Go or Rust program, a Node
    addon. The key covers the inputs' content, the command (its flags and the paths of the
    libraries it links, which are cache paths and so content-addressed too) and ``tool``,
    the toolchain's version line, so a changed source or compiler is never served stale.
    ``{output}`` in ``command`` stands for what it writes; ``env`` is added to the compiler's.
    """
    key = hashlib.sha256(tool.encode() + b"\0" + "\0".join(command).encode())
    key.update("\0".join(f"{k}={v}" for k, v in sorted((env or {}).items())).encode())
    for path in sorted(inputs):
        key.update(path.name.encode() + b"\0" + path.read_bytes())
    target = cache_root() / key.hexdigest()[:20] / name
    return compile_once(target, command, failure=f"{name}: {Path(command[0]).name} failed", env=env,
                        directory=directory)


def compile_once(target: Path, command: list[str], *, failure: str, error=BuildError,
                 directory: bool = False, env: dict | None = None) -> Path:
    """``target``, produced by ``command`` (``{output}`` stands for what it writes) unless it exists.

    ``directory=True``: the command fills a directory (javac's ``-d``) rather than writing a
    file. One process builds while the others wait on the lock; the result appears by an
    atomic rename, so nobody sees a torn build. A failure raises ``error`` with ``failure``
    and the compiler's first error line.
    """
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / ".lock")):
        if target.exists():
            return target
        # Whoever holds the lock is the only builder of this folder: a ".build-*" left here is
        # the debris of a build that was killed (SIGKILL, a full disk) and never cleaned up.
        for debris in target.parent.glob(".build-*"):
            shutil.rmtree(debris, ignore_errors=True) if debris.is_dir() else debris.unlink(missing_ok=True)
        if directory:
            tmp = tempfile.mkdtemp(prefix=".build-", dir=target.parent)
        else:
            fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=target.suffix, dir=target.parent)
            os.close(fd)
        proc = subprocess.run([tmp if arg == "{output}" else arg for arg in command],
                              capture_output=True, text=True, errors="backslashreplace",
                              env={**os.environ, **env} if env else None)
        if proc.returncode != 0:
            if directory:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                os.unlink(tmp)
            lines = proc.stderr.splitlines()
            first = next((line for line in lines if ": error:" in line or ": fatal error:" in line), None) or next(
                (line for line in lines if "error" in line), proc.stderr.strip()[:200])
            raise error(f"{failure}: {first.strip()}")
        os.replace(tmp, target)
    return target
