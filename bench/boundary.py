"""Nanoseconds per call across the Python/C boundary, binding by binding, and the batching rule.

The same one-line C function (``bl_add_one``, bench/native/boundary.c) is called once per
item through ctypes, cffi in ABI mode, cffi in API mode (out-of-line, compiled with
``ffibuilder.set_source``/``compile`` into the build cache), and a CPython C-API extension;
then the same work is done for 10^6 items in one call (``bl_sum``), through ctypes and
through the cffi API module. Baseline: the C-API extension, the cheapest way in. A plain
Python function call and the empty loop are shown for scale. The seed's table said "ctypes
roughly 300 ns" and "batch: cross once per batch, not once per item"; this bench gives the
local figures for both.
"""

from __future__ import annotations

import array
import ctypes
import hashlib
import importlib.machinery
import importlib.util
import sys
import time
from pathlib import Path

from faultlab import benchstats
from faultlab.lab import build
from faultlab.benchstats import Figure

COMMAND = "faultlab bench boundary"
NATIVE = Path(__file__).with_name("native")
CDEF = "int bl_add_one(int x);\nlong long bl_sum(const int *xs, size_t n);"
BASELINE = "C-API extension (METH_O)"
BATCH = 10**6


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


def bindings() -> dict[str, object]:
    """``bl_add_one`` through every binding, plus the batched ``bl_sum`` ones."""
    import cffi

    plain = build.build_library("bench/boundary", sources=("../bench/native/boundary.c",))
    ext_path = build.build_library("bench/boundary_ext", python=True,
                                   sources=("../bench/native/boundary_ext.c",), link=(str(plain),))
    lib = ctypes.CDLL(str(plain))
    lib.bl_add_one.argtypes, lib.bl_add_one.restype = (ctypes.c_int,), ctypes.c_int
    lib.bl_sum.argtypes, lib.bl_sum.restype = (ctypes.POINTER(ctypes.c_int), ctypes.c_size_t), ctypes.c_longlong
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    abi = ffi.dlopen(str(plain))
    api = cffi_api_module(plain)
    ext = _load_extension("_bench_boundary_ext", ext_path)
    return {"ctypes": lib, "cffi ABI": abi, "cffi API": api, "C-API extension": ext}


def _per_call(fn, n: int) -> float:
    items = range(n)
    start = time.perf_counter_ns()
    for i in items:
        fn(i)
    return (time.perf_counter_ns() - start) / n


def _empty_loop(n: int) -> float:
    items = range(n)
    start = time.perf_counter_ns()
    for i in items:
        pass
    return (time.perf_counter_ns() - start) / n


def _python_add_one(x):
    return x + 1


def run(quick: bool = False) -> dict:
    calls, batch, repeat = (10_000, 10_000, 3) if quick else (200_000, BATCH, 7)
    b = bindings()
    data = array.array("i", range(batch))
    as_ctypes = (ctypes.c_int * batch).from_buffer(data)
    api_ffi, api_lib = b["cffi API"].ffi, b["cffi API"].lib
    as_cffi = api_ffi.from_buffer("int[]", data)
    expected = sum(data) + batch
    assert b["ctypes"].bl_sum(as_ctypes, batch) == api_lib.bl_sum(as_cffi, batch) == expected
    plan = {
        "ctypes (argtypes set)": lambda: _per_call(b["ctypes"].bl_add_one, calls),
        "cffi ABI mode (dlopen)": lambda: _per_call(b["cffi ABI"].bl_add_one, calls),
        "cffi API mode (out-of-line)": lambda: _per_call(api_lib.bl_add_one, calls),
        BASELINE: lambda: _per_call(b["C-API extension"].add_one, calls),
        "Python function call": lambda: _per_call(_python_add_one, calls),
        "empty for loop": lambda: _empty_loop(calls),
        f"batched, ctypes, 1 call over {batch:,} items": lambda: _per_item(
            lambda: b["ctypes"].bl_sum(as_ctypes, batch), batch),
        f"batched, cffi API, 1 call over {batch:,} items": lambda: _per_item(
            lambda: api_lib.bl_sum(as_cffi, batch), batch),
    }
    samples: dict[str, list[float]] = {name: [] for name in plan}
    for name, fn in plan.items():
        fn()  # warm
    for _ in range(repeat):
        for name, fn in plan.items():
            samples[name].append(fn())
    figures = [Figure(name, "ns/item" if name.startswith("batched") else "ns/call", tuple(v))
               for name, v in samples.items()]
    benchstats.compare(figures, BASELINE)
    by_name = {f.name: f for f in figures}
    crossing = by_name["ctypes (argtypes set)"].median
    per_item = by_name[f"batched, ctypes, 1 call over {batch:,} items"].median
    notes = [
        f"the seed said ctypes costs roughly 300 ns a call; here: {crossing:.0f} ns "
        f"(cffi ABI {by_name['cffi ABI mode (dlopen)'].median:.0f}, cffi API "
        f"{by_name['cffi API mode (out-of-line)'].median:.0f}, C-API {by_name[BASELINE].median:.0f})",
        f"batching rule: one ctypes crossing costs as much as {crossing / per_item:,.0f} items of this work done "
        f"in C ({per_item:.2f} ns each); one call over {batch:,} items amortises the crossing to "
        f"{crossing / batch:.4f} ns per item, so cross once per batch, never once per item",
        "every binding calls the same libboundary.so, built -O0 like every faultlab library",
    ]
    return {
        "bench": "boundary",
        "command": COMMAND + (" --quick" if quick else ""),
        "quick": quick,
        "figures": [f.to_dict() for f in figures],
        "targets": [],
        "notes": notes,
    }


def _per_item(call, batch: int) -> float:
    """ns per item of a batched call, over enough calls to total 3 x 10^6 items (a single call is too noisy)."""
    calls = max(3, 3 * BATCH // batch)
    start = time.perf_counter_ns()
    for _ in range(calls):
        call()
    return (time.perf_counter_ns() - start) / (calls * batch)
