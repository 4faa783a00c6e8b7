"""Build a cgo program of ``native/`` with the go command into the content-addressed cache, and say how to run it.

One source file, no modules: GOPATH mode with no proxy builds it offline, and Go's own
build cache and GOPATH live inside faultlab's cache, never in the user's home. The key
covers the source, go's version, the flags and the C libraries it links (each already a
content-addressed build of one run configuration and variant, so its path stands for its
content); the build is serialised and atomic like a C library's (``build.build_cached``).

cgo checks the pointers a call hands to C (``cgocheck=1``, the default). The stricter
check, which also catches Go code storing a Go pointer into C memory, is switched on at
run time by ``GODEBUG=cgocheck=2`` up to Go 1.20 and at build time by
``GOEXPERIMENT=cgocheck2`` from Go 1.21 on, which refuses the old setting; ``command``
asks for it whichever way this Go wants.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from . import toolchain
from .build import BuildError, build_cached, cache_root, native_root

# Debug information and no optimisation or inlining in the program's own code, as the C
# libraries are built: a goroutine's stack names every function at its line.
GO_BUILD_FLAGS = ("-gcflags=-N -l",)
CGO_CFLAGS = "-g -O0 -fno-omit-frame-pointer"
# Go 1.21 moved the store check from GODEBUG to a build experiment.
CGOCHECK2_AT_BUILD = (1, 21)


def go() -> tuple[Path, str]:
    """The go command and its version line; a ``BuildError`` for a person when there is none."""
    found = toolchain.find_go()
    if found is None:
        raise BuildError(toolchain.how_to_get("go"))
    return found, toolchain.version_of(found, "version")


@functools.lru_cache(maxsize=None)
def release() -> tuple[int, int]:
    """This Go's (major, minor) from ``go version``: (1, 19) for ``go version go1.19.8 linux/amd64``."""
    m = re.search(r"\bgo(\d+)\.(\d+)", go()[1])
    if m is None:
        raise BuildError(f"cannot read the Go release from {go()[1]!r}")
    return int(m.group(1)), int(m.group(2))


def offline_environment(cache: Path) -> dict[str, str]:
    """The variables of a ``go build`` that needs no network: GOPATH mode (one file, no modules),
    no proxy, the local toolchain only, cgo on, and Go's build cache and GOPATH inside ``cache``."""
    return {"CGO_ENABLED": "1", "GO111MODULE": "off", "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local",
            "GOCACHE": str(cache / "go-build"), "GOPATH": str(cache / "gopath")}


def program(source: str, *, libraries: tuple[Path, ...] = (), store_check: bool = False) -> Path:
    """The executable built from ``native/<source>``, linked with the shared ``libraries``; built now if not cached.

    ``store_check``: built with cgo's store check where the build decides it (Go 1.21 on).
    """
    path = native_root() / source
    if not path.exists():
        raise BuildError(f"Go source {path} not found")
    command, version = go()
    links = " ".join(f"{lib} -Wl,-rpath,{lib.parent}" for lib in libraries)
    env = {**offline_environment(cache_root()), "CGO_CFLAGS": CGO_CFLAGS, "CGO_LDFLAGS": links}
    if store_check and release() >= CGOCHECK2_AT_BUILD:
        env["GOEXPERIMENT"] = "cgocheck2"
    # go build refuses to overwrite a file it did not write: it fills a fresh folder, naming the program after its file.
    folder = build_cached(path.stem, [str(command), "build", *GO_BUILD_FLAGS, "-o", "{output}", str(path)],
                          inputs=(path,), tool=version, env=env, directory=True)
    return folder / path.stem


def command(source: str, variant: str, *, libraries: tuple[Path, ...] = (), store_check: bool = False) -> list[str]:
    """The argv that runs the program of ``native/<source>`` on ``variant``, under cgo's store check if asked."""
    executable = str(program(source, libraries=libraries, store_check=store_check))
    if store_check and release() < CGOCHECK2_AT_BUILD:
        return ["/usr/bin/env", "GODEBUG=cgocheck=2", executable, variant]
    return [executable, variant]
