"""Reports are written whole or not at all, and readable like any file the user writes."""

import os
import stat

import pytest

from faultlab.reports import atomic


def test_a_report_replaces_the_old_one_and_gets_the_usual_mode(tmp_path):
    path = tmp_path / "out" / "results.json"
    atomic.write_text(path, "old")
    old_umask = os.umask(0o022)
    try:
        atomic.write_text(path, "new")
    finally:
        os.umask(old_umask)
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "results.json"
    atomic.write_text(path, "old")
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(path, "a lone surrogate \udc80 cannot be encoded")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_an_image_is_written_as_its_bytes(tmp_path):
    path = tmp_path / "chart.png"
    atomic.write_bytes(path, b"\x89PNG\r\n\x1a\n\x00\xff")
    assert path.read_bytes() == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]
