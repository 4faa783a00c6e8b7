"""The catalog as a whole: its size and shape, and the declarations' own checks."""

import inspect
import re
from collections import Counter

import pytest

from faultlab.lab import catalog
from faultlab.lab.build import native_root
from faultlab.diagnosis.kinds import KINDS, MODES

CASES = catalog.discover()


def test_catalog_has_twenty_cases_and_three_per_mode():
    assert len(CASES) >= 20
    per_mode = Counter(c.mode for c in CASES)
    thin = {m: per_mode[m] for m in MODES if m != "unknown" and per_mode[m] < 3}
    assert not thin, f"modes with fewer than 3 cases: {thin}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case_is_fully_declared(case):
    assert re.fullmatch(r"[a-z-]+/[a-z0-9]+(?:-[a-z0-9]+)*", case.id)
    assert re.fullmatch(r"CWE-\d+", case.cwe)
    assert len(case.explanation.split()) >= 30, "explanation should be a paragraph"
    assert case.title and "\n" not in case.title
    for sanitizer, expect in case.expect.items():
        assert expect.kind in KINDS and expect.kind != "ok"
    for library in case.libraries:
        for source in library.sources or (f"{library.name}.c",):
            assert (native_root() / source).exists(), source
    for source in case.sources:
        assert (native_root() / source).exists(), source


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_decisive_lines_are_marked(case):
    """Juliet's habit: the broken side says FLAW:, the fixed side says FIX:, in the driver, the C code or the program."""
    texts = [inspect.getsource(case.drivers["broken"]), inspect.getsource(case.drivers["fixed"])]
    root = native_root()
    texts += [(root / source).read_text() for source in case.sources]
    for library in case.libraries:
        for source in library.sources or (f"{library.name}.c",):
            texts.append((root / source).read_text())
    joined = "\n".join(texts)
    assert "FLAW:" in joined and "FIX:" in joined


def test_declaration_errors_say_what_is_wrong():
    with pytest.raises(catalog.CatalogError, match=r"id must start with its mode 'lifetime'/"):
        catalog.Case(id="threading/x", mode="lifetime", cwe="CWE-1", title="t", explanation="e",
                     expect={"asan": "heap-use-after-free"})
    with pytest.raises(catalog.CatalogError, match=r"unknown sanitizer 'msan'"):
        catalog.Case(id="lifetime/x", mode="lifetime", cwe="CWE-1", title="t", explanation="e",
                     expect={"msan": "heap-use-after-free"})
    with pytest.raises(catalog.CatalogError, match=r"expected kind 'ok' is not a fault kind"):
        catalog.Case(id="lifetime/x", mode="lifetime", cwe="CWE-1", title="t", explanation="e", expect={"none": "ok"})


def test_unknown_case_id_names_the_list_command():
    with pytest.raises(catalog.CatalogError, match=r"no case 'lifetime/nope'; 'faultlab list' shows the catalog"):
        catalog.find("lifetime/nope")
