"""Compile the Java classes of ``native/`` with javac into the content-addressed cache, and name the JVM to run them.

The Java side of a JNI case is built like its C side (``faultlab.lab.build``): the key covers
the sources, the flags and the JDK's version, a file lock serialises concurrent builds,
and the finished class directory is moved into place with one atomic rename, so a
reader never sees half a build. The JVM options keep a short-lived JVM quick to start.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

from .build import BuildError, cache_root, compile_once, native_root
from .toolchain import jdk_home

JAVAC_FLAGS = ("-encoding", "UTF-8", "-g", "-Xlint:all")
# A JVM that lives for a fraction of a second: the shared class archive, the client
# compiler only, a small serial heap and no perf-data file in /tmp.
JVM_OPTIONS = ("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xss1m",
               "-XX:-UsePerfData")


@functools.lru_cache(maxsize=None)
def javac_version(jdk: Path) -> str:
    proc = subprocess.run([str(jdk / "bin" / "javac"), "-version"], capture_output=True, text=True)
    return (proc.stdout + proc.stderr).strip() or str(jdk)


def compile_classes(*sources: str, jdk: Path | None = None) -> Path:
    """The directory of the classes compiled from ``native/<source>`` files by ``jdk`` (default: ``jdk_home()``);
    compiled now if not cached."""
    jdk = jdk or jdk_home()
    root = native_root()
    paths = [root / s for s in sources]
    for path in paths:
        if not path.exists():
            raise BuildError(f"Java source {path} not found")
    key = hashlib.sha256(b"javac\0" + javac_version(jdk).encode() + "\0".join(JAVAC_FLAGS).encode())
    for path in sorted(paths):
        key.update(str(path.relative_to(root)).encode())
        key.update(path.read_bytes())
    command = [str(jdk / "bin" / "javac"), *JAVAC_FLAGS, "-d", "{output}", *map(str, paths)]
    return compile_once(cache_root() / key.hexdigest()[:20] / "classes", command, failure="javac failed",
                        directory=True)


def java_command(main_class: str, classes: Path, *, library_dir: Path | None = None,
                 args: tuple[str, ...] = ()) -> list[str]:
    """The argv that runs ``main_class`` from ``classes`` on the JDK's own JVM, finding JNI libraries in ``library_dir``."""
    argv = [str(jdk_home() / "bin" / "java"), *JVM_OPTIONS, "-cp", str(classes)]
    if library_dir is not None:
        argv.append(f"-Djava.library.path={library_dir}")
    return [*argv, main_class, *args]
