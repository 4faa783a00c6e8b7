"""Warm symbolization of sanitizer reports: the child prints its frames unsymbolized, faultlab names them.

The oracle is the runtime itself: every ASan case of the catalog is crashed twice, once
with ASan symbolizing its own report (``symbolize=1``, cold) and once with ``symbolize=0``
and faultlab's warm llvm-symbolizer, and the two verdicts must say the same thing.
"""

from __future__ import annotations

import dataclasses
import os
import re

import pytest

from faultlab.diagnosis import configurations, report_symbols, symbolize
from faultlab.diagnosis.classify import classify
from faultlab.lab import catalog
from faultlab.lab.isolation import policy

requires_symbolizer = pytest.mark.skipif(symbolize.command() is None, reason="llvm-symbolizer not found")

WARM = configurations.get("asan")
COLD = dataclasses.replace(WARM, parent_symbolizes=False)
ASAN_CASES = [c for c in catalog.discover() if "asan" in c.expect]
_ADDRESS = re.compile(r"0x[0-9a-f]+")


def _same(value) -> str:
    """A verdict field with its addresses blanked: two runs of one crash differ in nothing else."""
    return _ADDRESS.sub("0x", repr(value))


def _crash(case, configuration, isolation):
    case.build(configuration, "broken")
    outcome = policy.run_case(case, "broken", configuration, timeout=case.timeout, isolation=isolation)
    return outcome, classify(outcome)


@requires_symbolizer
@pytest.mark.parametrize("isolation", ["auto", "spawn"])
@pytest.mark.parametrize("case", ASAN_CASES, ids=[c.id for c in ASAN_CASES])
def test_warm_symbolization_gives_the_verdict_asan_gives_cold(case, isolation):
    cold_outcome, cold = _crash(case, COLD, isolation)
    warm_outcome, warm = _crash(case, WARM, isolation)
    for field in ("kind", "summary", "signature", "native_stack", "report_stacks", "evidence", "python_stack",
                  "access", "access_size"):
        assert _same(getattr(warm, field)) == _same(getattr(cold, field)), (field, cold_outcome.stderr[-3000:])
    assert cold_outcome.raw_stderr is None
    if "ERROR: AddressSanitizer" in warm_outcome.stderr:  # the raw report is kept, its frames as ASan printed them
        assert re.search(r"#0 0x[0-9a-f]+  \(/", warm_outcome.raw_stderr), warm_outcome.raw_stderr[:2000]
        assert not re.search(r"#0 0x[0-9a-f]+  \(/", warm_outcome.stderr.split("SUMMARY:")[0])


def test_the_child_symbolizes_only_where_faultlab_cannot(monkeypatch):
    env = WARM.environment({})
    assert ("symbolize=0" if symbolize.command() else "symbolize=1") in env["ASAN_OPTIONS"]
    assert "symbolize=1" in COLD.environment({})["ASAN_OPTIONS"]
    monkeypatch.setattr(symbolize, "command", lambda: None)
    assert "symbolize=1" in WARM.environment({})["ASAN_OPTIONS"]


# --- the rewriting, with a symbolizer that answers from a table --------------------------------

# Unsymbolized, as gcc's libasan printed it under symbolize=0 (lifetime/retained-buffer, cut).
RAW = """\
==4147==ERROR: AddressSanitizer: heap-use-after-free on address 0x607000364a60 at pc 0x7f953451c1d7 bp 0x7ffd sp 0x7ffd
READ of size 1 at 0x607000364a60 thread T0
    #0 0x7f953451c1d6  (/lib/libretained_buffer.so+0x11d6)
    #1 0x7f95354508e3  (/lib/libpython3.11.so.1.0+0x2508e3)
    #2 0x7f9535045249  (/lib/libunknown.so+0x27249)
    #3 0x55e867868080  (/usr/bin/python3.11+0x1080) (BuildId: 7f32)

freed by thread T0 here:
    #0 0x7f95358b76a8  (/lib/libasan.so.8+0xb76a8)

SUMMARY: AddressSanitizer: heap-use-after-free (/lib/libretained_buffer.so+0x11d6) \
"""
P = symbolize.Place
TABLE = {
    ("/lib/libretained_buffer.so", 0x11d6): (P("rb_checksum", "/src/retained_buffer.c", 18, 5),),
    ("/lib/libpython3.11.so.1.0", 0x2508e3): (P("_PyEval_EvalFrame", "./Include/internal/pycore_ceval.h", 73),
                                              P("PyEval_EvalCode", "Python/ceval.c", 1148)),
    ("/usr/bin/python3.11", 0x1080): (P("_start"),),
    ("/lib/libasan.so.8", 0xb76a8): (P("__interceptor_free", "../src/libsanitizer/asan_malloc_linux.cpp", 52),),
}


def _table(queries, style):
    return [TABLE.get(q, ()) for q in queries]


def test_frames_are_named_numbered_on_and_the_summary_follows():
    text = report_symbols.symbolized(RAW, "gcc", symbolizer_names=_table)
    assert "    #0 0x7f953451c1d6 in rb_checksum /src/retained_buffer.c:18\n" in text
    assert "    #1 0x7f95354508e3 in _PyEval_EvalFrame Include/internal/pycore_ceval.h:73\n" in text
    assert "    #2 0x7f95354508e3 in PyEval_EvalCode Python/ceval.c:1148\n" in text  # an inlined call: a frame of its own
    assert "    #3 0x7f9535045249  (/lib/libunknown.so+0x27249)\n" in text  # nothing known: as printed, numbered on
    assert "    #4 0x55e867868080 in _start (/usr/bin/python3.11+0x1080)\n" in text  # gcc's runtime: no build id
    assert "    #0 0x7f95358b76a8 in __interceptor_free ../src/libsanitizer/asan_malloc_linux.cpp:52\n" in text
    assert text.endswith("SUMMARY: AddressSanitizer: heap-use-after-free /src/retained_buffer.c:18 in rb_checksum")


def test_clangs_runtime_prints_columns_and_build_ids():
    text = report_symbols.symbolized(RAW, "llvm", symbolizer_names=_table)
    assert "#0 0x7f953451c1d6 in rb_checksum /src/retained_buffer.c:18:5\n" in text
    assert "#4 0x55e867868080 in _start (/usr/bin/python3.11+0x1080) (BuildId: 7f32)\n" in text


def test_a_report_without_unsymbolized_frames_is_left_alone():
    symbolized = "    #0 0x7f in rb_checksum /src/retained_buffer.c:18\n"
    assert report_symbols.symbolized(symbolized, "gcc", symbolizer_names=_table) is symbolized


def test_hostile_frames_are_bounded_and_never_name_what_is_not_a_regular_file(tmp_path):
    asked = []

    def counting(queries, style):
        asked.extend(queries)
        return [() for _ in queries]

    flood = "".join(f"    #{i} 0x1  (/lib/x.so+0x{i:x})\n" for i in range(report_symbols.MAX_QUERIES * 3))
    assert report_symbols.symbolized(flood, "gcc", symbolizer_names=counting) == flood
    assert len(asked) == report_symbols.MAX_QUERIES
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    line = f"    #0 0x1  ({fifo}+0x10)\n"
    assert report_symbols.symbolized(line, "gcc") == line  # never opened: a FIFO would block the symbolizer


def test_itanium_names_are_demangled_as_gccs_runtime_does_and_rusts_v0_names_are_not():
    assert report_symbols.demangled("_ZN1AIN1BIiEEE1fEv") in ("A<B<int> >::f()", "A<B<int>>::f()")
    assert report_symbols.demangled("_RNvNtCs1234_3std2rt19lang_start_internal").startswith("_RNv")
    assert report_symbols.demangled("rb_checksum") == "rb_checksum"


def test_lines_that_only_look_numbered_are_left_as_the_child_wrote_them():
    text = "#5 items left\n" + RAW.split("\n\n")[1] + "\n#7 more\n"
    out = report_symbols.symbolized(text, "gcc", symbolizer_names=_table)
    assert out.startswith("#5 items left\n") and out.endswith("\n#7 more\n")
