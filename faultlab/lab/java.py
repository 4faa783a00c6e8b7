"""Compile the Java classes of ``native/`` with javac into the content-addressed cache, and name the JVM to run them.

The Java side of a JNI or Panama case is built like its C side (``faultlab.lab.build``): the
key covers the sources, the flags and the JDK's version, a file lock serialises concurrent
builds, and the finished class directory is moved into place with one atomic rename, so a
reader never sees half a build. A case asks for a JDK of at least some version (Panama's
``java.lang.foreign`` is final since 22); the JVM options keep a short-lived JVM quick to
start. A crash's fatal error file lands in the run's own directory, never in the user's
working directory: the runner asks every JVM for that (``diagnosis.report_files``).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from .build import BuildError, cache_root, compile_once, native_root
from .toolchain import PANAMA_MIN_FEATURE, jdk_home, version_of

JAVAC_FLAGS = ("-encoding", "UTF-8", "-g", "-Xlint:all")
# A JVM that lives for a fraction of a second: the shared class archive, the client
# compiler only, a small serial heap and no perf-data file in /tmp.
JVM_OPTIONS = ("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xss1m",
               "-XX:-UsePerfData")
# A crash is reported on stdout (the classifier reads it there); the JVM writes no core file.
CRASH_OPTIONS = ("-XX:-CreateCoredumpOnCrash",)
# HotSpot's boundary checker: every JNI call checked, its verdict printed on stdout.
CHECKED_JNI = "-Xcheck:jni"
# The restricted methods of java.lang.foreign (downcalls, upcalls) without a warning.
NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED"
PANAMA_VERSION = PANAMA_MIN_FEATURE  # java.lang.foreign is final from here on


# The lines of a JDK's ``release`` file that name its exact build.
_RELEASE_KEYS = ("IMPLEMENTOR", "JAVA_RUNTIME_VERSION", "JAVA_VERSION", "OS_ARCH")


@functools.lru_cache(maxsize=None)
def jdk_build(jdk: Path) -> str:
    """The JDK's build, for the cache key: read from its ``release`` file (every JDK since 9 has one).

    Asking ``javac -version`` starts a JVM, about 0.2 s, and a case that compiles its
    classes runs in a forked child where no cache of this process survives: the release
    file is read in microseconds. A JDK without one is asked.
    """
    try:
        text = (jdk / "release").read_text(encoding="utf-8", errors="replace")[:65536]
    except OSError:
        text = ""
    fields = [line.strip() for line in text.splitlines() if line.split("=", 1)[0].strip() in _RELEASE_KEYS]
    if any(line.startswith("JAVA_VERSION=") for line in fields):
        return "\n".join(sorted(fields))
    return version_of(jdk / "bin" / "javac", "-version") or str(jdk)


def compile_classes(*sources: str, jdk: Path | None = None, minimum: int = 0) -> Path:
    """The directory of the classes compiled from ``native/<source>`` files by ``jdk``, or else by a
    JDK of at least version ``minimum``; compiled now if not cached."""
    jdk = jdk or jdk_home(minimum)
    root = native_root()
    paths = [root / s for s in sources]
    for path in paths:
        if not path.exists():
            raise BuildError(f"Java source {path} not found")
    key = hashlib.sha256(b"javac\0" + jdk_build(jdk).encode() + "\0".join(JAVAC_FLAGS).encode())
    for path in sorted(paths):
        key.update(str(path.relative_to(root)).encode())
        key.update(path.read_bytes())
    command = [str(jdk / "bin" / "javac"), *JAVAC_FLAGS, "-d", "{output}", *map(str, paths)]
    return compile_once(cache_root() / key.hexdigest()[:20] / "classes", command, failure="javac failed",
                        directory=True)


def java_command(main_class: str, classes: Path, *, library_dir: Path | None = None,
                 args: tuple[str, ...] = (), minimum: int = 0, options: tuple[str, ...] = ()) -> list[str]:
    """The argv that runs ``main_class`` from ``classes`` on a JDK of at least version ``minimum``,
    finding JNI libraries in ``library_dir``, with ``options`` (``CHECKED_JNI``, ``NATIVE_ACCESS``) before the class."""
    argv = [str(jdk_home(minimum) / "bin" / "java"), *JVM_OPTIONS, *CRASH_OPTIONS, *options, "-cp", str(classes)]
    if library_dir is not None:
        argv.append(f"-Djava.library.path={library_dir}")
    return [*argv, main_class, *args]


def checked_jni_command(main_class: str, sources: tuple[str, ...], library_dir: Path) -> list[str]:
    """A JNI case's child: ``java -Xcheck:jni MAIN_CLASS``, compiled from ``native/<sources>``, its
    JNI library found in ``library_dir`` (the build of the run's configuration and variant)."""
    return java_command(main_class, compile_classes(*sources), library_dir=library_dir, options=(CHECKED_JNI,))


def panama_command(main_class: str, sources: tuple[str, ...], library: Path, variant: str) -> list[str]:
    """A Panama case's child: ``java MAIN_CLASS LIBRARY VARIANT`` on a JDK with java.lang.foreign,
    compiled from ``native/<sources>``, the library being the build of the run's configuration and variant."""
    return java_command(main_class, compile_classes(*sources, minimum=PANAMA_VERSION), minimum=PANAMA_VERSION,
                        options=(NATIVE_ACCESS,), args=(str(library), variant))
