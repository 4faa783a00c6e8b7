"""The vocabulary of kinds, the marker table and docs/taxonomy.md agree with each other and with classify().

Each marker's example is a line a real tool prints; fed to the classifier as recorded
output it must come out as the marker's own kind, so no marker is shadowed by an earlier one.
"""

from pathlib import Path

import pytest

from faultlab.reports import taxonomy
from faultlab.diagnosis.classify import classify
from faultlab.diagnosis.kinds import KINDS
from faultlab.diagnosis.sources import MARKERS, SIGNAL_KINDS
from faultlab.diagnosis.outcome import Outcome, ThreadState

DOC = Path(__file__).parents[1] / "docs" / "taxonomy.md"
PATTERN_MARKERS = [m for m in MARKERS if m.pattern]


def marker_id(marker) -> str:
    return f"{marker.kind}-{marker.source}-{MARKERS.index(marker) + 1}"


def recorded(stderr: str = "", **facts) -> Outcome:
    facts = {"exit_code": 1, "signal": None, "timed_out": False, **facts}
    return Outcome(argv=("recorded",), duration_s=0.0, stdout="", stderr=stderr, **facts)


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_has_a_marker_with_an_example(name):
    examples = [m.example for m in MARKERS if m.kind == name]
    assert examples and all(e.strip() for e in examples), f"kind {name} has no marker with an example in faultlab/diagnosis/sources/"


def test_every_marker_names_a_known_kind_and_a_source():
    assert [m for m in MARKERS if m.kind not in KINDS or not m.source] == []
    assert [m for m in MARKERS if not m.pattern and not m.condition] == [], "a marker without a pattern needs its condition"
    assert set(SIGNAL_KINDS.values()) <= set(KINDS)


@pytest.mark.parametrize("marker", PATTERN_MARKERS, ids=marker_id)
def test_each_example_matches_its_own_pattern(marker):
    assert marker.regex.search(marker.example), f"{marker.example!r} does not match {marker.pattern!r}"


@pytest.mark.parametrize("marker", PATTERN_MARKERS, ids=marker_id)
def test_each_example_is_classified_as_its_kind(marker):
    # A swallowed exception is reported by a process that goes on and exits 0; the rest end in failure.
    exit_code = 0 if marker.kind == "swallowed-exception" else 1
    verdict = classify(recorded(marker.example + "\n", exit_code=exit_code))
    assert verdict.kind == marker.kind, f"{marker.example!r} is classified {verdict.kind}: an earlier marker shadows it"
    assert verdict.evidence[0] in marker.example  # the matched line is the first piece of evidence


BLOCKED = ThreadState(1, 1, "S", "futex_wait_queue", ("#0  futex_wait () at ../sysdeps/nptl/futex-internal.h:146",
                                                      "#1  take_gil () at Python/ceval_gil.h:231"))
RUNNING = ThreadState(1, 2, "R", "0", ("#0  spin_in_c () at spin.c:1",))
CONDITIONS = {
    "deadlock": recorded(exit_code=None, signal=15, timed_out=True, threads=(BLOCKED,)),
    "hang": recorded(exit_code=None, signal=15, timed_out=True, threads=(BLOCKED, RUNNING)),
    "trap": recorded(exit_code=None, signal=5),
    "killed": recorded(exit_code=None, signal=9),
    "exit-nonzero": recorded(exit_code=3),
    "ok": recorded(exit_code=0),
}


@pytest.mark.parametrize("kind", [m.kind for m in MARKERS if not m.pattern])
def test_each_condition_marker_is_decided_by_how_the_child_ended(kind):
    assert classify(CONDITIONS[kind]).kind == kind


def test_docs_taxonomy_is_generated_from_the_tables():
    assert DOC.read_text() == taxonomy.render(), f"docs/taxonomy.md is stale; regenerate it: {taxonomy.REGENERATE}"


def test_the_document_names_every_kind_and_every_example():
    text = taxonomy.render()
    for kind in KINDS.values():
        assert f"\n## {kind.name}\n\nmode `{kind.mode}`, {kind.cwe or 'no CWE'}," in text
        assert kind.description in text
    for marker in MARKERS:
        assert marker.example in text and f"**{marker.source}**" in text
