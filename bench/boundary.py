"""Nanoseconds per call across the boundary from every runtime faultlab teaches, and where batching pays.

The same one-line C function (``bl_add_one``, bench/native/boundary.c) is called once per
item from Python (ctypes, cffi ABI, cffi API, a C-API extension, measured in this process)
and from children that time their own loops: JNI on JDK 17 and on the JDK >= 22, a Panama
downcall, cgo, N-API and Rust ``extern "C"`` (bench/boundary_runtimes.py). The baseline is
a C program calling the same function through a pointer the compiler cannot see through,
measured in the same run. Then each runtime calls ``bl_sum`` over batches of 1, 2, 4, ...
items, and the **batch crossover** is the size from which one batched call costs at most
2x the C loop's own cost per item: the number to pick a batch size by. The material
faultlab is built from says ctypes costs roughly 300 ns a call, N-API 100-200 ns, cgo
100-500 ns and Rust almost nothing; this bench gives this machine's figures beside them.
"""

from __future__ import annotations

import array
import ctypes
import dataclasses
import hashlib
import importlib.machinery
import importlib.util
import platform
import sys
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.benchstats import Figure
from faultlab.lab import build, toolchain

from . import boundary_runtimes as runtimes
from .boundary_runtimes import Failed, Plan, Skipped

COMMAND = "faultlab bench boundary"
NATIVE = Path(__file__).with_name("native")
CDEF = "int bl_add_one(int x);\nlong long bl_sum(const int *xs, size_t n);"
BASELINE = "C, direct call through a pointer"
CROSSOVER_FACTOR = 2.0
FULL = Plan(calls=200_000, rounds=9, warmup=1, max_batch=1 << 16, items=1 << 18)
QUICK = Plan(calls=5_000, rounds=3, warmup=1, max_batch=1 << 8, items=1 << 10)


def crossover(per_item: dict[int, float], native_per_item: float, factor: float = CROSSOVER_FACTOR) -> int | None:
    """The smallest batch size from which on (at every larger size measured, too) one batched call costs at
    most ``factor`` x the native loop per item; None when the largest size measured is still above it."""
    found = None
    for size in sorted(per_item, reverse=True):
        if per_item[size] > factor * native_per_item:
            break
        found = size
    return found


def _load_extension(name: str, path: Path):
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def cffi_api_module(plain: Path):
    """The out-of-line API-mode module over the plain library, compiled once per content into the build cache.

    It links the very ``libboundary.so`` the other bindings load, so every binding runs the
    same machine code and only the crossing differs.
    """
    import cffi

    key = hashlib.sha256(f"{CDEF}\0{sys.version}\0{cffi.__version__}\0{plain}".encode())
    key.update((NATIVE / "boundary.h").read_bytes())
    out_dir = build.cache_root() / f"bench-cffi-{key.hexdigest()[:20]}"
    built = sorted(out_dir.glob("_bench_boundary_cffi*.so"))
    if not built:
        ffibuilder = cffi.FFI()
        ffibuilder.cdef(CDEF)
        ffibuilder.set_source("_bench_boundary_cffi", '#include "boundary.h"', include_dirs=[str(NATIVE)],
                              libraries=["boundary"], library_dirs=[str(plain.parent)],
                              runtime_library_dirs=[str(plain.parent)])
        built = [Path(ffibuilder.compile(tmpdir=str(out_dir), verbose=False))]
    return _load_extension("_bench_boundary_cffi", built[0])


def python_bindings(plain: Path, items: array.array) -> dict[str, tuple]:
    """``(add_one, sum_of_first(n))`` through every Python binding, over the same buffer of items."""
    import cffi

    ext_path = build.build_library("bench/boundary_ext", python=True,
                                   sources=("../bench/native/boundary_ext.c",), link=(str(plain),))
    lib = ctypes.CDLL(str(plain))
    lib.bl_add_one.argtypes, lib.bl_add_one.restype = (ctypes.c_int,), ctypes.c_int
    lib.bl_sum.argtypes, lib.bl_sum.restype = (ctypes.POINTER(ctypes.c_int), ctypes.c_size_t), ctypes.c_longlong
    as_ctypes = (ctypes.c_int * len(items)).from_buffer(items)
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    abi = ffi.dlopen(str(plain))
    as_abi = ffi.from_buffer("int[]", items)
    api = cffi_api_module(plain)
    as_api = api.ffi.from_buffer("int[]", items)
    ext = _load_extension("_bench_boundary_ext", ext_path)
    return {
        "ctypes": (lib.bl_add_one, lambda n: lib.bl_sum(as_ctypes, n)),
        "cffi ABI": (abi.bl_add_one, lambda n: abi.bl_sum(as_abi, n)),
        "cffi API": (api.lib.bl_add_one, lambda n: api.lib.bl_sum(as_api, n)),
        "C-API extension": (ext.add_one, lambda n: ext.sum(items, n)),
    }


def measure_in_process(add_one, sum_of_first, plan: Plan) -> dict:
    """The children's protocol run in this interpreter: warm-up rounds, then timed rounds of each loop."""
    samples = {"per_call": [], "per_item": {n: [] for n in plan.sizes}}
    for round_ in range(-plan.warmup, plan.rounds):
        start = time.perf_counter_ns()
        for i in range(plan.calls):
            add_one(i)
        per_call = (time.perf_counter_ns() - start) / plan.calls
        per_item = {}
        for n in plan.sizes:
            reps = range(max(1, plan.items // n))
            start = time.perf_counter_ns()
            for _ in reps:
                sum_of_first(n)
            per_item[n] = (time.perf_counter_ns() - start) / (len(reps) * n)
        if round_ >= 0:
            samples["per_call"].append(per_call)
            for n, value in per_item.items():
                samples["per_item"][n].append(value)
    return samples


def _python_add_one(x):
    return x + 1


def _scale(plan: Plan) -> list[Figure]:
    """A plain Python call and the empty loop, for scale: what any per-item Python loop pays anyway."""
    def per_call(fn) -> float:
        start = time.perf_counter_ns()
        for i in range(plan.calls):
            fn(i)
        return (time.perf_counter_ns() - start) / plan.calls

    def empty() -> float:
        start = time.perf_counter_ns()
        for _ in range(plan.calls):
            pass
        return (time.perf_counter_ns() - start) / plan.calls

    per_call(_python_add_one), empty()  # warm
    return [Figure("Python function call (for scale)", "ns/call", tuple(per_call(_python_add_one) for _ in range(plan.rounds))),
            Figure("empty Python for loop (for scale)", "ns/call", tuple(empty() for _ in range(plan.rounds)))]


def runtime_plan(plain: Path, items: array.array) -> list[tuple[str, str, object]]:
    """``(key, name, how)`` for every runtime but the C baseline; ``how`` measures it given a plan, or raises."""
    def child(start):
        def how(plan):
            built = start()
            return runtimes.measure(built, plan), built.version
        return how

    loaded: dict[str, tuple] = {}
    python_version = f"CPython {platform.python_version()}"

    def in_process(binding):
        def how(plan):
            loaded or loaded.update(python_bindings(plain, items))
            return measure_in_process(*loaded[binding], plan), python_version

        return how

    jdk, panama_jdk = toolchain.find_jdk(), toolchain.find_panama_jdk()
    jdk_name = f"JDK {toolchain.jdk_feature(jdk)}" if jdk else "JDK 17"
    panama_name = f"JDK {toolchain.jdk_feature(panama_jdk)}" if panama_jdk else f"JDK >= {toolchain.PANAMA_MIN_FEATURE}"

    def jni_on_panama_jdk():
        if panama_jdk is None:
            raise Skipped(f"no JDK >= {toolchain.PANAMA_MIN_FEATURE}: {toolchain.PANAMA_HINT}")
        if panama_jdk == jdk:
            raise Skipped(f"the JNI JDK is already {panama_jdk}; install a JDK 17 to compare the two")
        return runtimes.jni(plain, panama_jdk)

    return [
        ("ctypes", "ctypes", in_process("ctypes")),
        ("cffi-abi", "cffi ABI", in_process("cffi ABI")),
        ("cffi-api", "cffi API", in_process("cffi API")),
        ("c-api", "C-API extension", in_process("C-API extension")),
        ("jni", f"JNI ({jdk_name})", child(lambda: runtimes.jni(plain, jdk))),
        ("jni-panama-jdk", f"JNI ({panama_name})", child(jni_on_panama_jdk)),
        ("panama", f"Panama downcall ({panama_name})", child(lambda: runtimes.panama(plain))),
        ("cgo", "cgo", child(lambda: runtimes.cgo(plain))),
        ("napi", "N-API", child(lambda: runtimes.napi(plain))),
        ("rust", 'Rust extern "C"', child(lambda: runtimes.rust(plain))),
    ]


def run(quick: bool = False) -> dict:
    plan = QUICK if quick else FULL
    plain = build.build_library("bench/boundary", sources=("../bench/native/boundary.c",))
    items = array.array("i", (i % 1000 for i in range(plan.max_batch)))
    baseline = Baseline(runtimes.c_driver(plain), plan)
    records, figures, notes = [], [], []
    baseline.visit()
    for key, name, how in runtime_plan(plain, items):
        record = {"runtime": key, "name": name, "version": "", "status": "measured", "reason": ""}
        try:
            samples, record["version"] = how(plan)
        except Skipped as exc:
            record.update(status="skipped", reason=str(exc))
        except (Failed, build.BuildError) as exc:
            record.update(status="failed", reason=str(exc))
        else:
            figures.append(_measured(record, samples))
        records.append(record)
        if record["status"] != "measured":
            notes.append(f"{name}: {record['status']}: {record['reason']}")
        baseline.visit()
    records.insert(0, {"runtime": "c", "name": BASELINE, "version": baseline.child.version, "status": "measured",
                       "reason": ""})
    figures.insert(0, _measured(records[0], baseline.samples))
    figures += _scale(plan)
    benchstats.compare(figures, BASELINE)
    native_per_item = records[0]["batch"][-1]["median"]
    for record in records:
        if record["status"] == "measured":
            record["per_call"] = record["per_call"].to_dict()
            record["crossover"] = crossover({b["size"]: b["median"] for b in record["batch"]}, native_per_item)
    notes[:0] = _crossover_notes(records, native_per_item, plan) + [
        "every runtime calls the same libboundary.so (built -O0 like every faultlab library); each child "
        "times its own loop with its own clock after warm-up rounds (3 for the JVM and Node, 1 elsewhere); "
        f"the C baseline is sampled before the first runtime and after each ({baseline.visits} visits), so load "
        "that comes and goes on a shared machine touches it as much as the runtimes it is compared with"]
    return {
        "bench": "boundary",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "runtimes": records,
        "native_per_item_ns": native_per_item,
        "crossover_factor": CROSSOVER_FACTOR,
        "batch_sizes": plan.sizes,
        "targets": [],
        "notes": notes,
    }


class Baseline:
    """The C driver, sampled a few rounds at a time between the runtimes, its samples pooled into one figure."""

    ROUNDS_PER_VISIT = 2

    def __init__(self, child: runtimes.Child, plan: Plan):
        self.child, self.visits = child, 0
        self.plan = dataclasses.replace(plan, rounds=1 if plan is QUICK else self.ROUNDS_PER_VISIT)
        self.samples: dict = {"per_call": [], "per_item": {n: [] for n in plan.sizes}}

    def visit(self) -> None:
        try:
            samples = runtimes.measure(self.child, self.plan)
        except Failed as exc:
            raise build.BuildError(f"the C baseline of the boundary bench failed: {exc}") from None
        self.visits += 1
        self.samples["per_call"] += samples["per_call"]
        for n, values in samples["per_item"].items():
            self.samples["per_item"][n] += values


def _measured(record: dict, samples: dict) -> Figure:
    """The per-call figure of a measured runtime; its batch ladder summarised into its record."""
    figure = Figure(record["name"], "ns/call", tuple(samples["per_call"]), extra={"runtime": record["runtime"]})
    record["batch"] = [{"size": n, **_summary(s)} for n, s in sorted(samples["per_item"].items())]
    record["per_call"] = figure
    return figure


def _summary(samples: list[float]) -> dict:
    figure = Figure("", "ns/item", tuple(samples))
    return {k: v for k, v in figure.to_dict().items() if k in ("median", "min", "max", "spread")}


def _crossover_notes(records: list[dict], native_per_item: float, plan: Plan) -> list[str]:
    measured = [r for r in records if r["status"] == "measured"]
    sizes = ", ".join(f"{r['name']} {r['crossover'] if r['crossover'] else f'> {plan.max_batch:,}'}"
                      for r in measured)
    return [f"batch crossover (one batched call costs at most {CROSSOVER_FACTOR:g}x the C loop's "
            f"{native_per_item:.2f} ns per item from this many items on): {sizes}"]
