"""The crash handler preloaded into a child: ``_preload/crash_frames.c``, built once into the build cache.

Why a preloaded handler: it costs nothing until a fatal signal, and then about a
millisecond to unwind the crashing thread in place, with the registers it died with. A
core file read by gdb costs the core's size in writes and a gdb start per crash, and where
it goes is the machine's ``core_pattern`` (often a pipe to systemd-coredump), not faultlab's
choice; attaching gdb to a dying process needs ptrace and stops the world. How the handler
keeps the program's own signal handling unchanged is said at the top of its source.

A child gets the handler when its configuration preloads no sanitizer runtime: ASan, UBSan,
TSan and LSan report a deadly signal with its stack themselves and own the handlers (ASan
refuses anyone else's SIGSEGV handler). The library is built with the compiler that builds
the libraries under test; without one, runs go on without native frames.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from . import cache
from .configurations import Configuration

SOURCE = Path(__file__).with_name("_preload") / "crash_frames.c"
CFLAGS = ("-O2", "-g", "-fPIC", "-shared", "-Wall", "-fno-omit-frame-pointer", "-Wl,-z,now")
FRAMES_SUFFIX = ".frames"  # the handler writes $FAULTLAB_DUMP_DIR/<pid>.frames

_built: dict[Path, Path] = {}
_failed: set[Path] = set()


def wanted(configuration: Configuration) -> bool:
    """Whether a child of ``configuration`` gets the handler: only when no sanitizer runtime is preloaded."""
    return not configuration.runtimes


def library() -> Path | None:
    """The built handler, built now if it is not in the cache; None when it cannot be built (a warning says why)."""
    root = cache.builds()
    target = _built.get(root)
    if target is not None and target.exists():
        return target
    if root in _failed:
        return None
    compiler = os.environ.get("CC", "gcc")
    try:
        target = _build(compiler, root)
    except (OSError, subprocess.SubprocessError) as exc:
        _failed.add(root)
        warnings.warn(f"faultlab: cannot build the crash handler with {compiler} ({exc}); crashes get no native frames "
                      "unless a sanitizer reports them", RuntimeWarning, stacklevel=2)
        return None
    _built[root] = target
    return target


def _build(compiler: str, root: Path) -> Path:
    if not shutil.which(compiler):
        raise OSError(f"{compiler} not found")
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30).stdout
    key = hashlib.sha256("\0".join([version, *CFLAGS]).encode() + SOURCE.read_bytes()).hexdigest()[:20]
    target = root / f"crash-handler-{key}" / "libfaultlab_crash_frames.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Concurrent builders each compile a whole file and rename it into place: the rename is atomic,
    # so nobody preloads a torn library, and the last one wins with the same bytes.
    fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        proc = subprocess.run([compiler, *CFLAGS, str(SOURCE), "-o", tmp, "-ldl"],
                              capture_output=True, text=True, errors="backslashreplace", timeout=120)
        if proc.returncode != 0:
            raise OSError(next((line for line in proc.stderr.splitlines() if "error" in line), proc.stderr.strip()[:200]))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def preload(env: dict[str, str], configuration: Configuration) -> dict[str, str]:
    """``env`` with the handler appended to ``LD_PRELOAD`` (after any runtime, which must come first), where wanted."""
    if not wanted(configuration):
        return env
    path = library()
    if path is None:
        return env
    entries = [e for e in env.get("LD_PRELOAD", "").replace(" ", ":").split(":") if e]
    if str(path) not in entries:
        env = {**env, "LD_PRELOAD": ":".join([*entries, str(path)])}
    return env
