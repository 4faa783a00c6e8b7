"""Hypothesis strategies for what crosses an FFI boundary: tricky text and C struct values.

Cases use them to drive a round trip through a library until the broken binding shows
its fault; the fuzz harnesses use the same ones, so both hunt the same inputs. A case
that uses them runs Hypothesis with ``DEMONSTRATION`` settings (``DETERMINISTIC`` ones),
so a broken variant fails the same way on every run and a fixed one passes on every run.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

# Derandomized, no example database, no deadline and no timing-based health check:
# the examples and their order depend on nothing but the code, never on the clock.
DETERMINISTIC = settings(derandomize=True, database=None, deadline=None, max_examples=100,
                         suppress_health_check=list(HealthCheck), print_blob=False)

# What a case runs. A case demonstrates a fault rather than hunting for one: its broken
# variant fails on its first examples, and its fixed variant passes the same examples; the
# hunt over many inputs is the fuzz harnesses' (fuzz/) and the tests' (DETERMINISTIC's 100).
# No explain phase: it re-runs a failing example under a tracer to name the lines only
# failing runs reach, which in a case is the line that raises ``Detected``.
DEMONSTRATION = settings(DETERMINISTIC, max_examples=25, phases=[p for p in Phase if p is not Phase.explain])

# Real emoji, all outside the Basic Multilingual Plane: UTF-16 needs a surrogate pair for
# each, UTF-8 four bytes and modified UTF-8 six.
EMOJI = tuple("😀😂🥲🎉🚀🔥👍🧪🦀🐍💾🧵🪲🫠🌍🎵")


def supplementary_characters() -> st.SearchStrategy[str]:
    """One character above U+FFFF: a well-known emoji, or any supplementary code point."""
    return st.one_of(st.sampled_from(EMOJI), st.characters(min_codepoint=0x10000))


def bmp_characters() -> st.SearchStrategy[str]:
    """One character of the Basic Multilingual Plane, NUL included, surrogates excluded."""
    return st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",))


def _text_of(alphabet: st.SearchStrategy[str], min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # Not st.text(alphabet): it merges the alphabet into one set of code points and draws
    # from that, mostly small ones; a list of one_of draws picks each branch as often.
    return st.lists(alphabet, min_size=min_size, max_size=max_size).map("".join)


def emoji_heavy_text(*, min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    """Valid Unicode text in which supplementary characters and NUL are common, not rare.

    Every character is a Unicode scalar value, so ``text.encode("utf-8")`` never fails;
    more than half of them are ones that modified UTF-8 spells differently from UTF-8.
    """
    alphabet = st.one_of(supplementary_characters(), st.sampled_from(EMOJI), st.just("\0"),
                         st.characters(max_codepoint=0x7F), bmp_characters())
    return _text_of(alphabet, min_size, max_size)


def lone_surrogates() -> st.SearchStrategy[str]:
    """One surrogate code point, U+D800..U+DFFF: legal in a Java string, not encodable as UTF-8."""
    return st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


def _break_surrogate_pairs(text: str) -> str:
    out = []
    for char in text:
        if out and "\ud800" <= out[-1] <= "\udbff" and "\udc00" <= char <= "\udfff":
            out.append("-")  # a high half followed by a low half would be one character in UTF-16
        out.append(char)
    return "".join(out)


def text_with_lone_surrogates(*, min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    """Emoji-heavy text with unpaired surrogates mixed in, as a Java string may hold.

    No high surrogate is directly followed by a low one, so every surrogate stays
    unpaired through UTF-16 and a correct modified UTF-8 round trip preserves the text.
    """
    alphabet = st.one_of(supplementary_characters(), lone_surrogates(), st.just("\0"), bmp_characters())
    return _text_of(alphabet, min_size, max_size).map(_break_surrogate_pairs)


def warm_up() -> None:
    """Do once, now, what Hypothesis does on the first examples of every process that draws,
    so that the processes forked from this one (the fork server's children) find it done.

    Two things: the text strategies' Unicode tables (read from disk and merged into
    intervals, then cached with the strategies), and the constants Hypothesis mines from
    the source of every local module loaded so far (it mixes them into its draws). Both
    come out the same whenever they are computed, so no drawn example changes; a child
    only mines the modules it imports itself.
    """
    for strategy in (emoji_heavy_text(), text_with_lone_surrogates()):
        strategy.validate()
    mine_local_constants = getattr(providers, "_get_local_constants", None)  # private; older Hypothesis mines nothing
    if mine_local_constants is not None:
        mine_local_constants()


# -- C values ------------------------------------------------------------------------------------

_FLOATS = {"float": 32, "double": 64}
_NEITHER = ("long double", "wchar_t", "char16_t", "char32_t")  # primitives cffi does not take ints or floats for


def _ctype(ffi, ctype):
    """A cffi type from its name or itself (``ffi.typeof`` refuses a type it is given)."""
    return ffi.typeof(ctype) if isinstance(ctype, str) else ctype


def _limits(ffi, ctype) -> tuple[int, int]:
    ctype = _ctype(ffi, ctype)
    bits = 8 * ffi.sizeof(ctype)
    if ctype.cname == "_Bool":
        return 0, 1
    if int(ffi.cast(ctype, -1)) < 0:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def c_integers(ffi, ctype) -> st.SearchStrategy[int]:
    """Every value the C integer type ``ctype`` (a name or a cffi type) can hold, the limits included."""
    return st.integers(*_limits(ffi, ctype))


def beyond(ffi, narrow, wide) -> st.SearchStrategy[int]:
    """Values of the integer type ``wide`` that ``narrow`` cannot hold: what a widened return loses."""
    (low, high), (wide_low, wide_high) = _limits(ffi, narrow), _limits(ffi, wide)
    above = [st.integers(high + 1, wide_high)] if wide_high > high else []
    below = [st.integers(wide_low, low - 1)] if wide_low < low else []
    if not above and not below:
        raise TypeError(f"{_ctype(ffi, wide).cname} holds nothing that {_ctype(ffi, narrow).cname} cannot")
    return st.one_of(*above, *below)


def c_values(ffi, ctype) -> st.SearchStrategy:
    """Python values that cffi accepts for ``ctype`` and gives back unchanged.

    Integers and ``_Bool`` cover their whole range, enums their declared enumerators,
    ``float``/``double`` every finite value of their width, ``char[N]`` NUL-free byte
    strings shorter than N, other arrays lists of N items, structs dicts (``field_values``).
    Pointers, ``long double`` and the wide character types get no strategy (``TypeError``):
    give those fields one yourself.
    """
    ctype = _ctype(ffi, ctype)
    if ctype.kind == "enum":
        return st.sampled_from(sorted(ctype.elements))
    if ctype.kind == "struct":
        return field_values(ffi, ctype)
    if ctype.kind == "array":
        if ctype.item.cname == "char":
            return st.binary(max_size=ctype.length - 1).map(lambda b: b.replace(b"\0", b"."))
        return st.lists(c_values(ffi, ctype.item), min_size=ctype.length, max_size=ctype.length)
    if ctype.kind == "primitive" and ctype.cname not in _NEITHER:
        if ctype.cname in _FLOATS:
            return st.floats(width=_FLOATS[ctype.cname], allow_nan=False, allow_infinity=False)
        if ctype.cname == "char":
            return st.binary(min_size=1, max_size=1)
        return c_integers(ffi, ctype)
    raise TypeError(f"no value strategy for {ctype.cname} ({ctype.kind}); pass one for this field yourself")


def field_values(ffi, struct_type, **overrides: st.SearchStrategy) -> st.SearchStrategy[dict]:
    """A dict of field name -> value for ``struct_type``, fit for ``ffi.new(f"{struct_type} *", values)``.

    ``overrides`` replaces the strategy of the named fields (pointers, or a narrower range).
    With the ``ffi`` of one header version, the values are exactly what that version's
    layout can carry, so comparing them after a trip through the library shows drift.
    """
    ctype = _ctype(ffi, struct_type)
    if ctype.kind != "struct":
        raise TypeError(f"{ctype.cname} is not a struct")
    names = [name for name, _ in ctype.fields]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise TypeError(f"{ctype.cname} has no field {', '.join(unknown)}")
    return st.fixed_dictionaries({name: overrides[name] if name in overrides else c_values(ffi, field.type)
                                  for name, field in ctype.fields})
