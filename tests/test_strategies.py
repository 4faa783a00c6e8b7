"""The shared Hypothesis strategies: what they draw, and that cffi takes their values back unchanged."""

import re
import subprocess
import sys
import textwrap

import cffi
import pytest
from hypothesis import Phase, find, given, settings

from faultlab.lab import strategies
from faultlab.lab.build import native_root


def examples(strategy, n: int = 300) -> list:
    """The first ``n`` values ``strategy`` draws under the deterministic settings the cases use."""
    drawn = []

    @settings(strategies.DETERMINISTIC, max_examples=n, phases=[Phase.generate])
    @given(strategy)
    def collect(value):
        drawn.append(value)

    collect()
    return drawn


def test_emoji_heavy_text_is_mostly_what_modified_utf8_spells_differently():
    texts = examples(strategies.emoji_heavy_text())
    chars = "".join(texts)
    special = sum(1 for c in chars if c == "\0" or ord(c) > 0xFFFF)
    assert special / len(chars) > 0.3, f"only {special} of {len(chars)} characters are NUL or supplementary"
    assert sum(1 for c in chars if c in strategies.EMOJI) / len(chars) > 0.1
    assert any(ord(c) < 0x80 for c in chars) and any(0x80 <= ord(c) <= 0xFFFF for c in chars)
    for text in texts:
        text.encode("utf-8")  # valid Unicode: no surrogate ever


def test_a_case_demonstration_reaches_emoji_nul_and_the_rest_of_unicode_in_its_few_examples():
    # A fixed variant's proof is the examples it passes: few, but the ones modified UTF-8 spells differently.
    texts = []

    @strategies.DEMONSTRATION
    @given(strategies.emoji_heavy_text())
    def collect(text):
        texts.append(text)

    collect()
    assert len(texts) == strategies.DEMONSTRATION.max_examples
    assert "" in texts
    assert sum(1 for t in texts if any(ord(c) > 0xFFFF for c in t)) > len(texts) // 2
    assert sum(1 for t in texts if "\0" in t) > len(texts) // 4
    assert any(0x80 <= ord(c) <= 0xFFFF for t in texts for c in t)


def test_emoji_heavy_text_respects_its_size_bounds():
    assert all(2 <= len(t) <= 5 for t in examples(strategies.emoji_heavy_text(min_size=2, max_size=5), 100))


def test_lone_surrogates_are_surrogates():
    assert all(0xD800 <= ord(c) <= 0xDFFF for c in examples(strategies.lone_surrogates(), 100))


def test_text_with_lone_surrogates_never_holds_a_pair():
    texts = examples(strategies.text_with_lone_surrogates())
    assert sum(1 for t in texts if any(0xD800 <= ord(c) <= 0xDFFF for c in t)) > len(texts) // 4
    for text in texts:
        for first, second in zip(text, text[1:]):
            assert not ("\ud800" <= first <= "\udbff" and "\udc00" <= second <= "\udfff"), ascii(text)


DRAW_IN_A_FRESH_INTERPRETER = textwrap.dedent("""
    import sys
    import cffi
    from hypothesis import Phase, given, settings
    from hypothesis import strategies as st
    from faultlab.lab import strategies

    if sys.argv[1] == "warm":
        strategies.warm_up()
    ffi = cffi.FFI()
    drawn = []

    @settings(strategies.DETERMINISTIC, max_examples=200, phases=[Phase.generate])
    @given(st.tuples(strategies.emoji_heavy_text(), strategies.text_with_lone_surrogates(),
                     strategies.c_integers(ffi, "int64_t")))
    def collect(value):
        drawn.append(value)

    collect()
    print(ascii(drawn))
""")


def test_warming_up_changes_no_drawn_example():
    # What a fork server's child draws after the server warmed up, against a cold interpreter's draws.
    cold, warm = (subprocess.run([sys.executable, "-c", DRAW_IN_A_FRESH_INTERPRETER, how], capture_output=True,
                                 text=True, check=True).stdout for how in ("cold", "warm"))
    assert cold.startswith("[(") and cold == warm


@pytest.fixture(scope="module")
def ffi():
    ffi = cffi.FFI()
    ffi.cdef("""
        enum mode { MODE_IDLE, MODE_RUN = 5, MODE_STOP };
        struct inner { int16_t x; uint8_t flags[3]; };
        struct everything {
            int8_t i8; uint8_t u8; int32_t i32; uint64_t u64; long l; _Bool ok;
            float f; double d; char name[8]; enum mode mode; struct inner inner; void *opaque;
        };
    """)
    return ffi


@pytest.mark.parametrize("ctype, low, high", [
    ("int8_t", -128, 127), ("uint8_t", 0, 255), ("int32_t", -2**31, 2**31 - 1), ("uint64_t", 0, 2**64 - 1),
    ("long", -2**63, 2**63 - 1), ("_Bool", 0, 1),
])
def test_c_integers_fit_their_type_and_reach_its_limits(ffi, ctype, low, high):
    for value in examples(strategies.c_integers(ffi, ctype), 100):
        assert low <= value <= high and int(ffi.cast(ctype, value)) == value
    assert find(strategies.c_integers(ffi, ctype), lambda v: v >= high) == high
    assert find(strategies.c_integers(ffi, ctype), lambda v: v <= low) == low


def test_beyond_draws_exactly_what_the_narrow_type_loses(ffi):
    values = examples(strategies.beyond(ffi, "int32_t", "int64_t"), 200)
    assert any(v > 0 for v in values) and any(v < 0 for v in values)
    for value in values:
        assert int(ffi.cast("int64_t", value)) == value
        assert int(ffi.cast("int32_t", value)) != value
    assert find(strategies.beyond(ffi, "int32_t", "int64_t"), lambda v: v > 0) == 2**31
    with pytest.raises(TypeError, match="int8_t holds nothing that int64_t cannot"):
        strategies.beyond(ffi, narrow="int64_t", wide="int8_t")


def test_field_values_come_back_unchanged_from_the_struct(ffi):
    draws = examples(strategies.field_values(ffi, "struct everything", opaque=strategies.st.just(ffi.NULL)), 200)
    assert len({d["mode"] for d in draws}) == 3
    for values in draws:
        record = ffi.new("struct everything *", values)
        for name in ("i8", "u8", "i32", "u64", "l", "f", "d", "mode"):
            assert getattr(record, name) == values[name], name
        assert bool(record.ok) == bool(values["ok"])
        assert ffi.string(record.name) == values["name"]
        assert record.inner.x == values["inner"]["x"] and list(record.inner.flags) == values["inner"]["flags"]


def test_a_pointer_field_needs_an_override(ffi):
    with pytest.raises(TypeError, match=r"no value strategy for void \* \(pointer\); pass one"):
        strategies.field_values(ffi, "struct everything")


def test_field_values_follow_the_header_version_they_are_given():
    """With the v1 and v2 headers of the abi-drift catalog, the same struct name has different fields."""
    headers = native_root() / "abi_drift" / "include"
    fields = {}
    for version in ("v1", "v2"):
        ffi = cffi.FFI()
        ffi.cdef((headers / version / "sensor.h").read_text())
        fields[version] = set(examples(strategies.field_values(ffi, "struct sensor_reading"), 1)[0])
    assert fields["v2"] - fields["v1"] == {"status"}


def test_an_override_must_name_a_field(ffi):
    with pytest.raises(TypeError, match="struct everything has no field nmae"):
        strategies.field_values(ffi, "struct everything", nmae=strategies.st.just(b""))


@pytest.mark.parametrize("ctype", ["long double", "wchar_t", "int *"])
def test_types_without_a_value_strategy_are_refused_by_name(ffi, ctype):
    with pytest.raises(TypeError, match=rf"no value strategy for {re.escape(ffi.typeof(ctype).cname)}"):
        strategies.c_values(ffi, ctype)
