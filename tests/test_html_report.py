"""The HTML report, looked at in a real browser: headless Debian chromium, as a person would see it.

Chromium is driven over the DevTools protocol on a pipe (tests/chromium.py), so the test
needs no driver binary and no Python package. A screenshot of every rendered report is kept: under the test's
tmp dir, and in ``$FAULTLAB_ARTIFACTS`` when that is set (CI can upload it). Set
``FAULTLAB_REPORT_RESULTS=results.json`` to check the report of your own run as well
(e.g. a full ``pytest cases/ --faultlab-report results.json``).
"""

from __future__ import annotations

import os
import re
import shutil
from itertools import product
from pathlib import Path

import pytest
from chromium import CHROMIUM, Chromium, Page
from command_line import fail_message, faultlab, run_pytest
from small_catalog import write_project

from faultlab.lab.results import CaseRun, load

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium not installed (make setup installs it)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Chromium(tmp_path_factory.mktemp("chromium"))
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A real run of the small catalog (one item fails on purpose) and its HTML report."""
    root = write_project(tmp_path_factory.mktemp("html"))
    proc = run_pytest(root, "--faultlab-report", "results.json")
    assert proc.returncode == 1 and "1 failed, 7 passed" in proc.stdout, fail_message(proc)
    report = faultlab(root, "report", "results.json", "--html", "report.html")
    assert report.returncode == 0, fail_message(report)
    return root / "results.json", root / "report.html"


def own_runs():
    path = os.environ.get("FAULTLAB_REPORT_RESULTS")
    return [pytest.param(Path(path).resolve(), id="FAULTLAB_REPORT_RESULTS")] if path else []


@pytest.fixture(params=["small-catalog", *own_runs()])
def report(request, small_run, tmp_path):
    if request.param == "small-catalog":
        return small_run
    results = request.param
    html = tmp_path / "report.html"
    proc = faultlab(None, "report", str(results), "--html", str(html))
    assert proc.returncode == 0, fail_message(proc)
    return results, html


def keep_screenshot(page: Page, tmp_path: Path, name: str, record_property) -> Path:
    shot = page.screenshot(tmp_path / f"{name}.png")
    artifacts = os.environ.get("FAULTLAB_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / shot.name)
    record_property("screenshot", str(shot))
    return shot


def expected_matrix(results: tuple[CaseRun, ...], cases) -> dict[tuple[str, str, str], tuple[int, int, int, int]]:
    """(mode, runtime, sanitizer) -> (broken as declared, broken total, fixed as declared, fixed total), from the file."""
    cells: dict[tuple[str, str, str], list[int]] = {}
    for r in results:
        runtime = cases[r.case_id].runtime if r.case_id in cases else "cpython"
        cell = cells.setdefault((r.case_id.split("/")[0], runtime, r.sanitizer), [0, 0, 0, 0])
        offset = 0 if r.variant == "broken" else 2
        cell[offset] += r.passed
        cell[offset + 1] += 1
    return {key: tuple(value) for key, value in cells.items()}


def test_the_report_is_one_self_contained_file(small_run):
    _, html_path = small_run
    html = html_path.read_text()
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?![#"']|data:)""", html), "a reference to another file"
    assert not re.search(r"https?://|@import|url\(", html), "something that would load from elsewhere"
    assert "<style>" in html and "<script>" in html


def test_the_console_check_sees_errors_when_there_are_some(browser, tmp_path):
    """The no-errors check below can fail: a page with a script error and a blocked load is caught."""
    page = Page(browser)
    bad = tmp_path / "bad.html"
    bad.write_text('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'unsafe-inline\'">'
                   '<img src="elsewhere.png"><script>console.error("told you"); notAFunction();</script>')
    page.open(bad)
    errors = page.errors()
    assert any("notAFunction is not defined" in e for e in errors), errors
    assert any("told you" in e for e in errors), errors
    assert any("Content Security Policy" in (e or "") for e in errors), errors


def test_the_page_loads_without_errors_and_the_matrix_matches_the_results(browser, report, tmp_path, record_property):
    results_path, html_path = report
    recorded = load(results_path)
    results = recorded.results
    page = Page(browser)
    page.open(html_path)
    assert page.errors() == []
    assert page.evaluate("document.title") == "faultlab report"
    expected = expected_matrix(results, recorded.cases)
    shown = page.evaluate("Array.from(document.querySelectorAll('#matrix td.cell'))"
                          ".map(td => [td.dataset.mode, td.dataset.runtime, td.dataset.sanitizer, td.innerText])")
    cells, empty = {}, set()
    for mode, runtime, sanitizer, text in shown:
        m = re.fullmatch(r"broken (\d+)/(\d+)\s+fixed (\d+)/(\d+)", text.strip())
        if m:
            cells[(mode, runtime, sanitizer)] = tuple(int(n) for n in m.groups())
        else:
            assert text.strip() == "–", text
            empty.add((mode, runtime, sanitizer))
    assert cells == expected
    rows, configs = {(m, rt) for m, rt, _ in expected}, {s for _, _, s in expected}
    assert empty == {(m, rt, s) for (m, rt), s in product(rows, configs)} - set(expected)
    declared = sum(r.passed for r in results)
    summary = page.evaluate("document.getElementById('summary').innerText")
    assert summary.startswith(f"{len(results)} verdicts · {declared} as declared · {len(results) - declared} unexpected")
    assert page.evaluate("document.querySelectorAll('details.card').length") == len({r.case_id for r in results})
    keep_screenshot(page, tmp_path, "report-" + results_path.parent.name, record_property)


def test_a_card_expands_when_clicked_and_shows_both_verdicts(browser, small_run, tmp_path, record_property):
    _, html_path = small_run
    page = Page(browser)
    page.open(html_path)
    card = "details.card[data-case='lifetime/demo-uaf']"
    body_shown = f"document.querySelector(\"{card} .card-body\").checkVisibility()"
    assert page.evaluate(f"document.querySelector(\"{card}\").open") is False
    assert page.evaluate(body_shown) is False, "a closed card shows only its header"
    # The unexpected verdict's card is open from the start: a failure is never hidden.
    assert page.evaluate("document.querySelector(\"details.card[data-case='lifetime/demo-mislabelled']\").open")
    page.click(f"{card} > summary")
    assert page.evaluate(f"document.querySelector(\"{card}\").open") is True
    assert page.evaluate(body_shown) is True
    panels = page.evaluate(f"Array.from(document.querySelectorAll(\"{card} .verdict\")).map(v => v.innerText)")
    assert len(panels) == 2
    assert panels[0].startswith("broken heap-use-after-free high READ as declared") and "READ of size 1" in panels[0]
    assert panels[1].startswith("fixed ok clean")
    assert "signature" in panels[0] and "CWE-416" in panels[0]
    # The stacks fold: the native frames appear on a click on their summary.
    frames = f"Array.from(document.querySelectorAll(\"{card} .verdict .stack:nth-of-type(2) li\")).filter(li => li.checkVisibility()).length"
    assert page.evaluate(frames) == 0
    page.click(f"{card} .verdict .stack:nth-of-type(2) > summary")
    assert page.evaluate(frames) > 0
    assert "touch_freed" in page.evaluate(f"document.querySelector(\"{card} .verdict .stack:nth-of-type(2)\").innerText")
    assert page.errors() == []
    keep_screenshot(page, tmp_path, "report-card-expanded", record_property)


def test_only_unexpected_hides_the_cards_that_came_out_as_declared(browser, small_run):
    _, html_path = small_run
    page = Page(browser)
    page.open(html_path)
    visible = ("Array.from(document.querySelectorAll('details.card'))"
               ".filter(c => c.checkVisibility()).map(c => c.dataset.case)")
    assert len(page.evaluate(visible)) == 3
    page.click("#only-unexpected")
    assert page.evaluate(visible) == ["lifetime/demo-mislabelled"]
    assert page.errors() == []
