"""Compile the Java classes of ``native/`` with javac into the content-addressed cache, and name the JVM to run them.

The Java side of a JNI case is built like its C side (``faultlab.build``): the key covers
the sources, the flags and the JDK's version, a file lock serialises concurrent builds,
and the finished class directory is moved into place with one atomic rename, so a
reader never sees half a build. The JVM options keep a short-lived JVM quick to start.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from filelock import FileLock

from .build import BuildError, cache_root, native_root
from .toolchain import find_jdk

JAVAC_FLAGS = ("-encoding", "UTF-8", "-g", "-Xlint:all")
# A JVM that lives for a fraction of a second: the shared class archive, the client
# compiler only, a small serial heap and no perf-data file in /tmp.
JVM_OPTIONS = ("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xss1m",
               "-XX:-UsePerfData")


def jdk_home() -> Path:
    jdk = find_jdk()
    if jdk is None:
        raise BuildError("no JDK found (javac and include/jni.h); install openjdk-17-jdk or set JAVA_HOME")
    return jdk


@functools.lru_cache(maxsize=None)
def javac_version(jdk: Path) -> str:
    proc = subprocess.run([str(jdk / "bin" / "javac"), "-version"], capture_output=True, text=True)
    return (proc.stdout + proc.stderr).strip() or str(jdk)


def compile_classes(*sources: str) -> Path:
    """The directory of the classes compiled from ``native/<source>`` files; compiled now if not cached."""
    jdk = jdk_home()
    root = native_root()
    paths = [root / s for s in sources]
    for path in paths:
        if not path.exists():
            raise BuildError(f"Java source {path} not found")
    key = hashlib.sha256(b"javac\0" + javac_version(jdk).encode() + "\0".join(JAVAC_FLAGS).encode())
    for path in sorted(paths):
        key.update(str(path.relative_to(root)).encode())
        key.update(path.read_bytes())
    out_dir = cache_root() / key.hexdigest()[:20]
    target = out_dir / "classes"
    if target.is_dir():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out_dir / ".lock")):
        if target.is_dir():
            return target
        tmp = tempfile.mkdtemp(prefix=".classes-", dir=out_dir)
        cmd = [str(jdk / "bin" / "javac"), *JAVAC_FLAGS, "-d", tmp, *map(str, paths)]
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="backslashreplace")
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            first = next((line for line in proc.stderr.splitlines() if "error:" in line), proc.stderr.strip()[:200])
            raise BuildError(f"javac failed: {first.strip()}")
        os.rename(tmp, target)
    return target


def java_command(main_class: str, classes: Path, *, library_dir: Path | None = None,
                 args: tuple[str, ...] = ()) -> list[str]:
    """The argv that runs ``main_class`` from ``classes`` on the JDK's own JVM, finding JNI libraries in ``library_dir``."""
    argv = [str(jdk_home() / "bin" / "java"), *JVM_OPTIONS, "-cp", str(classes)]
    if library_dir is not None:
        argv.append(f"-Djava.library.path={library_dir}")
    return [*argv, main_class, *args]
