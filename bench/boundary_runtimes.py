"""The boundary bench's children: one program per runtime, built into the cache, that times its own loops.

Each child calls ``bl_add_one`` and ``bl_sum`` of the same ``libboundary.so`` the Python
bindings load, runs the same protocol (``CALLS ROUNDS WARMUP MAX_BATCH ITEMS`` in, one JSON
line of per-call and per-item samples out; see bench/native/boundary_driver.c) and times
itself with its runtime's own clock, so process start-up and JIT compilation never enter
a figure: they are spent in the warm-up rounds. A runtime this machine lacks is a
``Skipped`` naming what is missing and how to get it; a child that fails is a ``Failed``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from faultlab.lab import build, java, toolchain
from faultlab.lab import go as go_build

NATIVE = Path(__file__).with_name("native")
JVM_OPTIONS = ("-Xshare:auto", "-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-XX:-UsePerfData")
CHILD_TIMEOUT_S = 120


class Skipped(Exception):
    """A runtime this machine does not have; the message says what is missing and how to get it."""


class Failed(Exception):
    """A runtime's child could not be built or did not print what the protocol asks; one line for a person."""


@dataclass(frozen=True)
class Plan:
    """How much every child measures: the protocol's five numbers (``warmup`` is a floor: JITs get more)."""

    calls: int
    rounds: int
    warmup: int
    max_batch: int
    items: int

    @property
    def sizes(self) -> list[int]:
        return [1 << k for k in range(self.max_batch.bit_length()) if 1 << k <= self.max_batch]

    def argv(self, warmup: int) -> list[str]:
        return [str(n) for n in (self.calls, self.rounds, warmup, self.max_batch, self.items)]

    def expected_check(self, warmup: int) -> int:
        """The checksum a child that made every call and summed every batch prints: it cannot skip work unseen."""
        per_round = self.calls * (self.calls + 1) // 2
        for n in self.sizes:
            per_round += max(1, self.items // n) * sum(i % 1000 + 1 for i in range(n))
        return (warmup + self.rounds) * per_round


@dataclass(frozen=True)
class Child:
    """A built child: the argv before the protocol's numbers, the runtime's version, its warm-up rounds."""

    argv: tuple[str, ...]
    version: str
    warmup: int = 1


def measure(child: Child, plan: Plan) -> dict:
    """The child's samples ``{"per_call": [...], "per_item": {size: [...]}}``, checked against the plan."""
    warmup = max(plan.warmup, child.warmup)
    argv = [*child.argv, *plan.argv(warmup)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, errors="backslashreplace",
                              timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Failed(f"{Path(argv[0]).name} did not finish in {CHILD_TIMEOUT_S} s") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise Failed(f"{Path(argv[0]).name} exited {proc.returncode}: {tail}")
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        raise Failed(f"{Path(argv[0]).name} printed no JSON line: {lines[-1][:100]}") from None
    if result.get("check") != plan.expected_check(warmup):
        raise Failed(f"{Path(argv[0]).name} skipped work: checksum {result.get('check')}, "
                     f"expected {plan.expected_check(warmup)}")
    return {"per_call": [float(s) for s in result["per_call"]],
            "per_item": {int(n): [float(s) for s in v] for n, v in result["per_item"].items()}}


def c_driver(plain: Path) -> Child:
    """The baseline: C calling through volatile pointers, -O2 so the loop itself is as cheap as C's can be."""
    gcc = build.compiler_version("gcc")
    source = NATIVE / "boundary_driver.c"
    program = build.build_cached("boundary_driver", [
        "gcc", "-O2", "-g", "-Wall", f"-I{NATIVE}", str(source), "-o", "{output}", str(plain),
        f"-Wl,-rpath,{plain.parent}"], inputs=(source, NATIVE / "boundary.h"), tool=gcc)
    return Child((str(program),), f"gcc {gcc.split(')')[-1].strip()}" if ")" in gcc else gcc)


def jni(plain: Path, jdk: Path | None) -> Child:
    """JNI on ``jdk``: the classes compiled once by the JNI JDK (class files run on every later JVM)."""
    if jdk is None:
        raise Skipped("no JDK found (javac and include/jni.h): apt-get install openjdk-17-jdk-headless")
    glue = build.build_library("bench/boundary_jni", jni=True, sources=("../bench/native/boundary_jni.c",),
                               link=(str(plain), f"-Wl,-rpath,{plain.parent}"))
    classes = java.compile_classes("../bench/native/BoundaryLoop.java", "../bench/native/BoundaryJni.java")
    return _java_child(jdk, classes, "BoundaryJni", glue)


def panama(plain: Path) -> Child:
    """A java.lang.foreign downcall on the newest JDK >= 22."""
    jdk = toolchain.find_panama_jdk()
    if jdk is None:
        raise Skipped(f"no JDK >= {toolchain.PANAMA_MIN_FEATURE}: {toolchain.PANAMA_HINT}")
    classes = java.compile_classes("../bench/native/BoundaryLoop.java", "../bench/native/BoundaryPanama.java",
                                   jdk=jdk)
    return _java_child(jdk, classes, "BoundaryPanama", plain)


def _java_child(jdk: Path, classes: Path, main_class: str, library: Path) -> Child:
    feature = toolchain.jdk_feature(jdk)
    native_access = ("--enable-native-access=ALL-UNNAMED",) if (feature or 0) >= 22 else ()
    argv = (str(jdk / "bin" / "java"), *JVM_OPTIONS, *native_access, f"-Dfaultlab.boundary.library={library}",
            "-cp", str(classes), main_class)
    # C2 compiles a hot loop after some 10^4 iterations: three warm-up rounds of the whole plan are far past it.
    return Child(argv, f"JDK {feature}", warmup=3)


def cgo(plain: Path) -> Child:
    go = toolchain.find_go()
    if go is None:
        raise Skipped(f"go not found: {toolchain.GO_HINT}")
    version = toolchain.version_of(go, "version")
    source = NATIVE / "boundary_cgo.go"
    env = {**go_build.offline_environment(build.cache_root()), "CGO_CFLAGS": f"-O2 -g -I{NATIVE}",
           "CGO_LDFLAGS": f"{plain} -Wl,-rpath,{plain.parent}"}
    folder = build.build_cached("boundary_cgo", [str(go), "build", "-o", "{output}", str(source)],
                                inputs=(source, NATIVE / "boundary.h"), tool=version, env=env, directory=True)
    return Child((str(folder / "boundary_cgo"),), version.removeprefix("go version ").split()[0])


def napi(plain: Path) -> Child:
    node = toolchain.find_node()
    if node is None:
        raise Skipped(f"node not found: {toolchain.NODE_HINT}")
    headers = toolchain.node_headers(node)
    if headers is None:
        raise Skipped("node_api.h not found: apt-get install libnode-dev, or a Node with include/node")
    version = toolchain.version_of(node, "--version")
    source = NATIVE / "boundary_napi.c"
    addon = build.build_cached("boundary_napi.node", [
        "gcc", "-O2", "-g", "-Wall", "-fPIC", "-shared", f"-I{headers}", f"-I{NATIVE}", str(source),
        "-o", "{output}", str(plain), f"-Wl,-rpath,{plain.parent}"],
        inputs=(source, NATIVE / "boundary.h", headers / "node_api.h", headers / "js_native_api.h"),
        tool=build.compiler_version("gcc") + "\0" + version)
    # TurboFan optimises a hot loop within a few thousand iterations; three warm-up rounds are past it.
    return Child((str(node), str(NATIVE / "boundary_napi.js"), str(addon)), f"Node {version}", warmup=3)


def rust(plain: Path) -> Child:
    rustc = toolchain.find_rustc()
    if rustc is None:
        raise Skipped(f"rustc not found: {toolchain.RUSTC_HINT}")
    version = toolchain.version_of(rustc, "--version")
    source = NATIVE / "boundary.rs"
    program = build.build_cached("boundary_rust", [
        str(rustc), "--edition=2021", "-C", "opt-level=2", "-L", str(plain.parent),
        "-C", f"link-arg=-Wl,-rpath,{plain.parent}", str(source), "-o", "{output}"],
        inputs=(source,), tool=version)
    return Child((str(program),), version.split(" (")[0])
