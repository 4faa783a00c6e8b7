"""Build a Node-API addon of ``native/`` with gcc into the content-addressed cache, and the ``node`` argv that runs it.

No node-gyp: one C file compiled against node's own headers (``node_api.h``) is an addon,
and ``process.dlopen`` loads it under any name. The addon is built like a ``Library``: for
the run's configuration (its compiler and instrumentation; node itself is not instrumented,
so the runner preloads the sanitizer's runtime, as it does for Python) and for the variant
(``-DFAULTLAB_FIXED`` for the fixed one). The key covers the source, the Node-API headers,
the flags and the versions of the compiler and of node, whose ABI the addon is built for.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnosis.configurations import Configuration
from . import toolchain
from .build import BASE_CFLAGS, BuildError, build_cached, compiler_for, compiler_version, native_root

# The headers an addon of plain Node-API can include; their content is part of the key.
API_HEADERS = ("node_api.h", "node_api_types.h", "js_native_api.h", "js_native_api_types.h")


def node() -> tuple[Path, str]:
    """The node to run and build for, and its version; a ``BuildError`` for a person when there is none."""
    found = toolchain.find_node()
    if found is None:
        raise BuildError(toolchain.how_to_get("node"))
    return found, toolchain.version_of(found, "--version")


def headers() -> Path:
    """The folder with ``node_api.h``; a ``BuildError`` saying how to get it when there is none."""
    found = toolchain.node_headers()
    if found is None:
        raise BuildError(toolchain.how_to_get("node-headers"))
    return found


def addon(source: str, configuration: Configuration, variant: str) -> Path:
    """``native/<source>`` built as ``<stem>.node`` for ``configuration`` and ``variant``; compiled now if not cached."""
    path = native_root() / source
    if not path.exists():
        raise BuildError(f"addon source {path} not found")
    _, version = node()
    include = headers()
    compiler = compiler_for(configuration)
    flags = [*BASE_CFLAGS, *configuration.cflags, f"-I{include}", *(["-DFAULTLAB_FIXED"] if variant == "fixed" else [])]
    inputs = (path, *(include / h for h in API_HEADERS if (include / h).exists()))
    return build_cached(f"{path.stem}.node", [compiler, *flags, str(path), "-o", "{output}"], inputs=inputs,
                        tool=compiler_version(compiler) + "\0node " + version)


def command(script: str, addon_path: Path, variant: str, *, options: tuple[str, ...] = ()) -> list[str]:
    """``node [options] native/<script> <addon> <variant>``: the script loads the addon it is given."""
    program, _ = node()
    path = native_root() / script
    if not path.exists():
        raise BuildError(f"node script {path} not found")
    return [str(program), *options, str(path), str(addon_path), variant]
