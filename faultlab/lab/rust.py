"""Compile a Rust program of ``native/`` with rustc into the content-addressed cache.

One source file, no crates: ``rustc`` alone builds it offline. The key covers the source,
rustc's version, the flags and the C libraries it links (each already a content-addressed
build of one run configuration and variant, so its path stands for its content), and the
build is serialised and atomic like a C library's (``build.compile_once``). A C library
built under a sanitizer leaves the sanitizer's symbols to the runtime that the runner
preloads, so the program is linked without insisting they resolve now.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from .build import BuildError, cache_root, compile_once, native_root

# Debug information and no optimisation, as the C libraries are built: stacks name every frame.
RUSTC_FLAGS = ("--edition", "2021", "-g", "-C", "opt-level=0", "-C", "debug-assertions=on")
HINT = "install it with rustup (https://rustup.rs) or put rustc on PATH"


def _candidates() -> list[Path]:
    """rustc on PATH, then in $CARGO_HOME/bin, then in root's ~/.cargo/bin (CI may run with another HOME)."""
    found = [Path(p) for p in (shutil.which("rustc"),) if p]
    if os.environ.get("CARGO_HOME"):
        found.append(Path(os.environ["CARGO_HOME"]) / "bin" / "rustc")
    found += [Path.home() / ".cargo" / "bin" / "rustc", Path("/root/.cargo/bin/rustc")]
    return found


def _answers(rustc: Path) -> str | None:
    """rustc's ``--version`` line, or None when it does not answer (a rustup proxy with no toolchain for this HOME)."""
    try:
        proc = subprocess.run([str(rustc), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


@functools.lru_cache(maxsize=None)
def find_rustc() -> tuple[Path, str] | None:
    """The first rustc that answers, and its version line; None when there is none."""
    for rustc in _candidates():
        if rustc.is_file() and (version := _answers(rustc)):
            return rustc, version
    return None


def rustc() -> tuple[Path, str]:
    found = find_rustc()
    if found is None:
        raise BuildError(f"no working rustc found; {HINT}")
    return found


def program(source: str, *, libraries: tuple[Path, ...] = ()) -> Path:
    """The executable compiled from ``native/<source>``, linked with the shared ``libraries``; compiled now if not cached."""
    path = native_root() / source
    if not path.exists():
        raise BuildError(f"Rust source {path} not found")
    compiler, version = rustc()
    flags = list(RUSTC_FLAGS)
    for library in libraries:
        name = library.name.removeprefix("lib").removesuffix(".so")
        flags += ["-L", f"native={library.parent}", "-l", f"dylib={name}",
                  "-C", f"link-arg=-Wl,-rpath,{library.parent}", "-C", "link-arg=-Wl,--allow-shlib-undefined"]
    key = hashlib.sha256(b"rustc\0" + version.encode() + "\0".join(flags).encode() + b"\0" + source.encode() + b"\0")
    key.update(path.read_bytes())
    # rustc writes its temporaries beside the output; the output's own name is what stacks show.
    command = [str(compiler), *flags, "--crate-name", path.stem, str(path), "-o", "{output}"]
    return compile_once(cache_root() / key.hexdigest()[:20] / path.stem, command, failure=f"{source}: rustc failed")
