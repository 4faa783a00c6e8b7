"""Compile a Rust program of ``native/`` with rustc into the content-addressed cache.

One source file, no crates: ``rustc`` alone builds it offline. The key covers the source,
rustc's version, the flags and the C libraries it links (each already a content-addressed
build of one run configuration and variant, so its path stands for its content), and the
build is serialised and atomic like a C library's (``build.compile_once``). A C library
built under a sanitizer leaves the sanitizer's symbols to the runtime that the runner
preloads, so the program is linked without insisting they resolve now.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import toolchain
from .build import BuildError, cache_root, compile_once, native_root

# Debug information and no optimisation, as the C libraries are built: stacks name every frame.
RUSTC_FLAGS = ("--edition", "2021", "-g", "-C", "opt-level=0", "-C", "debug-assertions=on")


def rustc() -> tuple[Path, str]:
    """The rustc to build with, and its version line; a ``BuildError`` for a person when there is none."""
    found = toolchain.find_rustc()
    if found is None:
        raise BuildError(toolchain.how_to_get("rustc"))
    return found, toolchain.version_of(found, "--version")


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
