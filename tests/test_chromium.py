"""The tests' browser (tests/chromium.py) leaves nothing behind: not in TMPDIR, not in its test's folder.

Chromium puts ``.org.chromium.Chromium.*`` in TMPDIR and cannot remove it when it is killed,
as every session of the tests ends; over many runs the shared /tmp fills with them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from chromium import CHROMIUM, Chromium, Page

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium not installed (make setup installs it)")


@pytest.fixture
def own_tmpdir(monkeypatch):
    """A TMPDIR of this test's own, short like /tmp (chromium's socket path must be): nobody else writes there."""
    tmpdir = Path(tempfile.mkdtemp(prefix="chromium-test-"))
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    yield tmpdir
    shutil.rmtree(tmpdir)


def test_a_browser_session_leaves_nothing_in_tmpdir_or_its_folder(tmp_path, own_tmpdir):
    workdir = tmp_path / "work"
    workdir.mkdir()
    before = sorted(os.listdir(own_tmpdir))
    page_file = workdir / "page.html"
    page_file.write_text("<p>hello</p>")
    browser = Chromium(workdir)
    try:
        page = Page(browser)
        page.open(page_file)
        assert page.evaluate("document.body.innerText") == "hello"
        assert any(browser.home.iterdir()) and any(browser.tmp.iterdir())  # it did write: in its own directories
        assert browser.tmp.parent == own_tmpdir
    finally:
        browser.close()
    assert sorted(os.listdir(own_tmpdir)) == before == []
    assert sorted(p.name for p in workdir.iterdir()) == ["chromium.log", "page.html"]
