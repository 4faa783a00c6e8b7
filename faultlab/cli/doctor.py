"""``faultlab doctor``: which toolchain pieces and runtimes this machine has (with versions), and which cases need what is missing."""

from __future__ import annotations

import shutil

from ..diagnosis import configurations, crash_handler, symbolize
from ..fuzzing.coverage import check as native_coverage_check
from ..lab import build, catalog, toolchain
from ..reports.terminal import printable
from . import EXIT_FAULT, EXIT_OK


def register(subparsers) -> None:
    p = subparsers.add_parser("doctor", help="say which toolchain pieces are present and what is missing")
    p.set_defaults(func=doctor)


def checks() -> list[tuple[str, bool, str]]:
    results = []
    for compiler in ("gcc", build.CLANG):
        path = shutil.which(compiler)
        results.append((compiler, bool(path), build.compiler_version(compiler) if path else
                        f"needed for {'every case' if compiler == 'gcc' else 'fuzzing with native coverage'}"))
    for configuration in configurations.CONFIGURATIONS.values():
        if configuration.runtimes:
            try:
                results.append((f"{configuration.name} runtime", True, ":".join(configuration.preload())))
            except configurations.ConfigurationError as exc:
                results.append((f"{configuration.name} runtime", False, str(exc)))
    handler = crash_handler.library()
    results.append(("crash handler", handler is not None,
                    str(handler) if handler else "crashes without a sanitizer get no native frames"))
    symbolizer = symbolize.command()
    results.append(("llvm-symbolizer", symbolizer is not None, symbolizer or
                    "crash frames are named by the loader's exported symbols only, with no file or line "
                    "(apt-get install llvm-16)"))
    gdb = shutil.which("gdb")
    results.append(("gdb", bool(gdb), gdb or "native stacks of hung processes are not collected"))
    eu_stack = shutil.which("eu-stack")
    results.append(("eu-stack", bool(eu_stack), eu_stack or "a suspected deadlock is checked with gdb, "
                    "ten times slower, or not at all while fuzzing (apt-get install elfutils)"))
    results += runtimes()
    results.append(("native coverage", *native_coverage_check()))
    return results


def runtimes() -> list[tuple[str, bool, str]]:
    """The managed runtimes the cases and the boundary bench cross into: each with its version, or how to get it."""
    jdk, panama = toolchain.find_jdk(), toolchain.find_panama_jdk()
    go, rustc, node = toolchain.find_go(), toolchain.find_rustc(), toolchain.find_node()
    headers = toolchain.node_headers()
    return [
        ("jdk", jdk is not None, f"JDK {toolchain.jdk_feature(jdk)} at {jdk}" if jdk else toolchain.how_to_get("jdk")),
        ("panama-jdk", panama is not None, f"JDK {toolchain.jdk_feature(panama)} at {panama} (java.lang.foreign)"
         if panama else toolchain.how_to_get("panama-jdk")),
        ("go", go is not None, f"{toolchain.version_of(go, 'version')} at {go}" if go else toolchain.how_to_get("go")),
        ("rustc", rustc is not None,
         f"{toolchain.version_of(rustc, '--version')} at {rustc}" if rustc else toolchain.how_to_get("rustc")),
        ("node", node is not None, f"{toolchain.version_of(node, '--version')} at {node}" if node else
         toolchain.how_to_get("node")),
        ("node headers", headers is not None, str(headers) if headers else
         "node_api.h not found: apt-get install libnode-dev, or a Node with include/node"),
    ]


def cases_needing(missing: list[str]) -> dict[str, list[str]]:
    """For each missing toolchain piece, the ids of the cases that cannot run without it."""
    needs: dict[str, list[str]] = {piece: [] for piece in missing}
    for case in catalog.discover():
        for piece in case.requires:
            if piece in needs:
                needs[piece].append(case.id)
    return needs


def doctor(args) -> int:
    results = checks()
    for name, ok, detail in results:
        print(f"{'ok     ' if ok else 'MISSING'} {name:<28} {printable(detail)}")  # a tool's own words
    for piece, ids in cases_needing([name for name, ok, _ in results if not ok]).items():
        if ids:
            print(f"without {piece}, these cases are skipped: {', '.join(ids)}")
    return EXIT_OK if all(ok for _, ok, _ in results) else EXIT_FAULT
