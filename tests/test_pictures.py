"""Each failure's picture, from its verdict alone: built from real runs, drawn safely from hostile ones.

The first part runs the catalog's broken variants (the cases whose kind has a picture)
and checks each picture against the verdict it came from; the second hands the drawing
code verdicts whose labels carry markup, quotes, control characters and huge counts; the
last renders the report of a real run in headless chromium, checks each picture's
elements against the verdicts (and each ABI drift's layout diff against its case record),
and keeps screenshots (tests/chromium.py,
``$FAULTLAB_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from chromium import CHROMIUM, Chromium, Page
from command_line import fail_message, faultlab, run_pytest

from faultlab.diagnosis.verdict import Frame, LockWait, ReportStack, Verdict
from faultlab.lab.pictures import KINDS_WITH_PICTURES, StructOnRuler, picture
from faultlab.lab.results import load
from faultlab.reports import pictures as drawing


ROOT = Path(__file__).parents[1]
PICTURED = ["threading/gil-lock-order-deadlock", "threading/reentrant-callback-deadlock", "threading/lock-order-inversion",
            "threading/unguarded-global", "lifetime/double-free", "lifetime/retained-buffer", "lifetime/borrowed-return",
            "abi-drift/struct-field-inserted", "abi-drift/struct-read-past-end", "encoding/length-units",
            "encoding/strict-decode", "encoding/jni-get-string-utf-chars", "encoding/lenient-decode"]


@pytest.fixture(scope="module")
def catalog_run(tmp_path_factory):
    """A real run of every catalog case whose kind has a picture, and its HTML report."""
    out = tmp_path_factory.mktemp("pictures")
    proc = run_pytest(ROOT, "-k", "broken", "-n", "2", "--faultlab-report", str(out / "results.json"))
    assert proc.returncode == 0, fail_message(proc)
    report = faultlab(None, "report", str(out / "results.json"), "--html", str(out / "report.html"))
    assert report.returncode == 0, fail_message(report)
    return load(out / "results.json"), out / "report.html"


def broken_runs(results):
    return [r for r in results.results if r.variant == "broken" and r.verdict.kind in KINDS_WITH_PICTURES]


def test_every_catalog_case_whose_kind_has_a_picture_gets_one(catalog_run):
    results, _ = catalog_run
    runs = broken_runs(results)
    assert {r.case_id for r in runs} >= set(PICTURED) - {"encoding/lenient-decode"} - {"lifetime/stack-escape"}
    missing = [(r.case_id, r.sanitizer, r.verdict.kind) for r in runs if r.picture is None]
    assert not missing, missing


def test_the_wait_for_graphs_close_their_cycles(catalog_run):
    results, _ = catalog_run
    for run in broken_runs(results):
        if run.picture.picture != "wait-for-graph":
            continue
        graph = run.picture
        cycle = graph.cycle
        assert cycle and {e.source for e in cycle} == {e.target for e in cycle}, (run.case_id, graph)
        relations = {e.relation for e in cycle}
        assert relations == {"waits for", "held by"}, graph
        if run.verdict.kind == "deadlock":
            assert {e.source for e in cycle if e.relation == "waits for"} <= {w.thread for w in run.verdict.lock_waits}


def test_the_lifelines_run_allocated_freed_then_the_bad_use(catalog_run):
    results, _ = catalog_run
    for run in broken_runs(results):
        if run.picture.picture != "lifeline" or run.sanitizer != "asan":
            continue
        events = run.picture.events
        last = "freed again" if run.verdict.kind == "double-free" else "used"
        assert [e.what for e in events] == ["allocated", "freed", last], (run.case_id, events)
        titles = [s.title for s in run.verdict.report_stacks]
        assert [e.title for e in events] == [titles[2], titles[1], titles[0]], (run.case_id, titles)


def test_the_rulers_measure_the_distance_past_the_end_from_the_evidence(catalog_run):
    results, _ = catalog_run
    for run in broken_runs(results):
        if run.picture.picture != "ruler":
            continue
        r = run.picture
        access = next(re.search(r"(READ|WRITE) of size (\d+) at (0x[0-9a-f]+)", e) for e in run.verdict.evidence
                      if re.search(r"(READ|WRITE) of size", e))
        region = next(re.search(r"(\d+)-byte region \[(0x[0-9a-f]+),(0x[0-9a-f]+)\)", e) for e in run.verdict.evidence
                      if "-byte region" in e)
        end = int(region.group(3), 16)
        assert r.beyond == int(access.group(3), 16) + int(access.group(2)) - end > 0, (run.case_id, r)


def test_the_byte_strips_mark_the_surrogate_pair_against_utf8(catalog_run):
    results, _ = catalog_run
    for run in broken_runs(results):
        if run.picture.picture != "byte-strip" or run.verdict.kind != "encoding-corruption":
            continue
        (cell,) = [c for c in run.picture.cells if c.differs]
        assert bytes(cell.expected)[:1] == b"\xf0" and bytes(cell.produced)[:1] == b"\xed", cell
        assert len(cell.produced) == 6 and cell.failed_here and cell.start == run.picture.position, cell


# --- hostile verdicts -------------------------------------------------------------------------------

EVIL = '<script>alert(1)</script>"\'&\x1b]0;owned\x07\u202e\x00' + "\\N\\G\\l"


def hostile_verdicts():
    frame = Frame(EVIL + "f", EVIL, 10 ** 18)
    waits = tuple(LockWait(f"tid {i}{EVIL}", f"mutex {EVIL}{i % 3}", f"tid {(i + 1) % 500}{EVIL}", (frame,) * 50,
                           (frame,) * 50) for i in range(500))
    yield Verdict("deadlock", "threading", None, False, EVIL, lock_waits=waits)
    yield Verdict("lock-order-inversion", "threading", None, False, EVIL, report_stacks=(
        ReportStack("Cycle in lock order graph: " + " => ".join(f"M{i} (0x{i:x})" for i in range(10_000))),
        *(ReportStack(f"Mutex M{i} acquired here while holding mutex M{i + 1} in thread T{i}:{EVIL}", (frame,) * 30)
          for i in range(300))))
    yield Verdict("double-free", "lifetime", None, False, EVIL, evidence=(EVIL,), report_stacks=(
        ReportStack(EVIL, (frame,) * 100), ReportStack("freed by thread T0 here:" + EVIL, (frame,)),
        ReportStack("previously allocated by thread T0 here:" + EVIL, (frame,))), python_stack=(frame,))
    yield Verdict("heap-buffer-overflow", "unknown", None, False, EVIL, evidence=(
        f"WRITE of size {10 ** 30} at 0xffffffffffffffffffff thread T0",
        f"0x1 is located {10 ** 30} bytes to the right of {10 ** 30}-byte region [0x0,0xffffffffffffffffffffffff)"))
    yield Verdict("encoding-corruption", "encoding", None, False, EVIL, evidence=(
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in position 99999999999999999999: " + EVIL,
        "faultlab: the bytes utf-8 could not decode, from byte 99999999999 of 1: " + "ed a0 bd " * 200))
    yield Verdict("silent-corruption", "encoding", None, False, EVIL, evidence=(
        "changed '" + "\\u202e<b>" * 30 + "' into '\\x00'",))
    yield Verdict("data-race", "threading", None, False, EVIL, report_stacks=tuple(
        ReportStack(f"Write of size {10 ** 20} at 0x1 by thread T{i} (mutexes: {EVIL}):", (frame,)) for i in range(50)))


@pytest.mark.parametrize("verdict", list(hostile_verdicts()), ids=lambda v: v.kind)
def test_a_hostile_verdict_draws_safely_and_bounded(verdict):
    drawn = picture(verdict)
    assert drawn is not None, verdict.kind
    page = drawing.to_html(drawn)
    assert "<script" not in page and "\x1b" not in page and "\x00" not in page, page[:500]
    assert len(page) < 400_000, len(page)
    for line in drawing.to_text(drawn, 80):
        assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e]", line), repr(line)
    assert len(drawing.to_text(drawn, 80)) < 80
    assert len(json.dumps(drawn.to_dict())) < 400_000


@pytest.mark.skipif(shutil.which("dot") is None, reason="dot draws the graph (make setup installs graphviz)")
def test_hostile_labels_reach_dot_as_strings_and_come_back_escaped():
    graph = picture(next(hostile_verdicts()))
    source = drawing.dot_source(graph)
    assert "\x1b" not in source and "\x00" not in source
    svg = drawing.svg(graph)
    assert svg is not None and svg.startswith("<svg") and "<script" not in svg and "http" not in svg


def test_without_dot_a_graph_is_a_table_of_its_edges(monkeypatch):
    monkeypatch.setattr(drawing.shutil, "which", lambda name: None)
    verdict = Verdict("deadlock", "threading", None, False, "", lock_waits=(
        LockWait("tid 1", "mutex 0x10", "tid 2"), LockWait("tid 2", "mutex 0x20", "tid 1")))
    page = drawing.to_html(picture(verdict))
    assert "<svg" not in page and page.count('class="edge cycle"') == 4, page


# --- in a browser ----------------------------------------------------------------------------------------

def keep(page: Page, tmp_path: Path, name: str, selector: str) -> Path:
    import base64

    clip = page.evaluate(f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
        el.scrollIntoView(); const r = el.getBoundingClientRect();
        return {{x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height, scale: 1}}; }})()""")
    data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
    shot = tmp_path / f"{name}.png"
    shot.write_bytes(base64.b64decode(data))
    if os.environ.get("FAULTLAB_ARTIFACTS"):
        Path(os.environ["FAULTLAB_ARTIFACTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(os.environ["FAULTLAB_ARTIFACTS"]) / shot.name)
    return shot


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium not installed (make setup installs it)")
def test_the_report_shows_each_picture_as_its_verdict_says(catalog_run, tmp_path):
    results, html = catalog_run
    browser = Chromium(tmp_path)
    try:
        page = Page(browser)
        page.open(html)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        laid_out = set()
        for run in broken_runs(results):
            drawn = run.picture
            section = (f'#case-{run.case_id.replace("/", "-")} section.pair[data-sanitizer="{run.sanitizer}"] '
                       f'.picture[data-picture="{drawn.picture}"]')
            assert page.evaluate(f"!!document.querySelector({json.dumps(section)})"), section
            if drawn.picture == "wait-for-graph":
                shown = page.evaluate(f"""Array.from(document.querySelectorAll({json.dumps(section + ' tr.edge.cycle')}))
                    .map(r => [r.dataset.source, r.dataset.relation, r.dataset.target])""")
                assert sorted(map(tuple, shown)) == sorted((e.source, e.relation, e.target) for e in drawn.cycle)
                if shutil.which("dot"):
                    edges = page.evaluate(f"document.querySelectorAll({json.dumps(section + ' svg g.edge')}).length")
                    assert edges == len(drawn.edges), run.case_id
            elif drawn.picture == "lifeline":
                shown = page.evaluate(f"""Array.from(document.querySelectorAll({json.dumps(section + ' li.event')}))
                    .map(e => [e.dataset.what, e.querySelector('.event-title').textContent])""")
                assert shown == [[e.what, e.title] for e in drawn.events], run.case_id
            elif drawn.picture == "ruler":
                beyond = page.evaluate(f"document.querySelector({json.dumps(section + ' .ruler')}).dataset.beyond")
                legend = page.evaluate(f"document.querySelector({json.dumps(section + ' .outside')}).textContent")
                assert int(beyond) == drawn.beyond and legend.startswith(f"reaches {drawn.beyond} byte")
                record = results.cases.get(run.case_id)
                fields = drawing.with_layouts(drawn, record.layouts if record else ())
                if isinstance(fields, StructOnRuler):  # an ABI drift's overflow: both versions' fields on the ruler
                    shown = page.evaluate(f"""Array.from(document.querySelectorAll({json.dumps(section + ' .struct-lanes .lane')}))
                        .map(l => [l.dataset.version, Array.from(l.querySelectorAll('.field')).map(f => f.textContent),
                                   Array.from(l.querySelectorAll('.field.past-end')).map(f => f.textContent)])""")
                    versions = {"old": (fields.layout.old_label, fields.layout.old),
                                "new": (fields.layout.new_label, fields.layout.new)}
                    block, other = versions[fields.block_version], versions["new" if fields.block_version == "old" else "old"]
                    assert shown == [[block[0], [f.name for f in block[1].slots], []],
                                     [other[0], [f.name for f in other[1].slots], list(fields.fields_outside)]], shown
                    laid_out.add((run.case_id, run.sanitizer))
            elif drawn.picture == "byte-strip":
                marked = page.evaluate(f"document.querySelectorAll({json.dumps(section + ' td.differs')}).length")
                assert marked == 3 * sum(c.differs for c in drawn.cells), run.case_id
            elif drawn.picture == "data-race":
                sides = page.evaluate(f"document.querySelectorAll({json.dumps(section + ' .access')}).length")
                assert sides == 2
            keep(page, tmp_path, f"picture-{run.case_id.replace('/', '-')}-{run.sanitizer}", section)
        assert ("abi-drift/struct-read-past-end", "asan") in laid_out, laid_out
        for case_id, record in results.cases.items():  # the layout diffs, from the records alone
            for diff in record.layouts:
                table = f'#case-{case_id.replace("/", "-")} .lesson table.layout-diff[data-name={json.dumps(diff.name)}]'
                rows = page.evaluate(f"""Array.from(document.querySelectorAll({json.dumps(table + ' tr.slot')}))
                    .map(r => [r.dataset.name, r.dataset.change, Array.from(r.cells).slice(1, 3).map(c => c.textContent)])""")
                assert rows == [[r.name, r.change, [drawing.cell_text(diff.old, r.old), drawing.cell_text(diff.new, r.new)]]
                                for r in diff.rows], (case_id, rows)
                assert any(r[1] for r in rows), (case_id, rows)
                keep(page, tmp_path, f"layout-{case_id.replace('/', '-')}",
                     f'#case-{case_id.replace("/", "-")} .lesson .picture[data-picture="layout-diff"]')
        assert {case_id for case_id, record in results.cases.items() if record.layouts} >= {
            "abi-drift/struct-read-past-end", "abi-drift/struct-field-inserted", "abi-drift/return-widened",
            "abi-drift/enum-renumbered"}
        assert page.errors() == []
    finally:
        browser.close()


# --- on the command line ---------------------------------------------------------------------------------

OVERFLOW_C = r"""
#include <stdlib.h>
int main(void) {
    char *block = malloc(40);
    block[44] = 1; /* FLAW: 5 bytes past the end of a 40-byte block */
    free(block);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the C program")
def test_diagnose_draws_the_picture_of_anyones_program(compile_c, tmp_path):
    program = compile_c(OVERFLOW_C, "overflow", sanitizer="asan", shared=False)
    page = tmp_path / "crash.html"
    proc = faultlab(None, "diagnose", "--sanitizer", "asan", "--html", str(page), "--", str(program))
    assert proc.returncode == 1, fail_message(proc)
    assert "memory ruler:" in proc.stdout, fail_message(proc)
    assert "WRITE reaches 5 bytes past the end (1 byte outside the block)" in proc.stdout, fail_message(proc)
    html = page.read_text()
    assert 'data-picture="ruler"' in html and 'data-beyond="5"' in html
    assert not re.search(r"https?://|@import|url\(", html)


def test_demo_prints_the_wait_for_graph_under_the_verdict(tmp_path):
    page = tmp_path / "room.html"
    proc = faultlab(None, "demo", "threading/reentrant-callback-deadlock", "--no-pause", "--html", str(page))
    assert proc.returncode == 0, fail_message(proc)
    assert re.search(r"cycle: tid (\d+) -waits for-> mutex 0x[0-9a-f]+ -held by-> tid \1\b", proc.stdout), fail_message(proc)
    assert 'data-picture="wait-for-graph"' in page.read_text()
