"""An error return (-1, "no such field") is passed on unchecked and becomes a shift by -1 in C.

The C rule: ``fm_width()`` reports a field it does not know by returning -1, and nothing
else; ``fm_mask()`` requires a width of 0 to 31 and, like most C, does not check. The
broken binding chains the two calls for every field of a header layout written for a
newer version of the library, one that has a ``checksum`` field. For ``checksum`` the -1
goes straight into ``1u << width``: undefined behaviour in C. A user sees no error at
all, only a mask that is wrong (x86 shifts by 31 instead), and packets parsed with it.
UBSan sees the shift itself: "shift exponent -1 is negative" in ``fm_mask``. The fix, in
the binding, checks each width before using it: a field the library does not know is
reported as such, never shifted by.
"""

from faultlab import Case, Expect, Library

LIB = Library("swallowed_error/field_mask")
CDEF = """
int fm_width(const char *name);
uint32_t fm_mask(int width);
"""
LAYOUT = ("version", "flags", "checksum", "length")  # the layout of a newer header format

error_into_shift = Case(
    id="swallowed-error/error-into-shift",
    mode="swallowed-error",
    cwe="CWE-252",
    title="a -1 'no such field' return is passed unchecked to C, which shifts by it",
    explanation=__doc__,
    expect={"ubsan": Expect("undefined-behavior", frame="fm_mask")},
    fix_in="binding",
    libraries=(LIB,),
)


@error_into_shift.broken
def mask_every_field():
    ffi, lib = LIB.cffi(CDEF)
    masks = {name: lib.fm_mask(lib.fm_width(name.encode())) for name in LAYOUT}  # FLAW: fm_width's -1 goes into a shift
    assert masks["version"] == 0xF


@error_into_shift.fixed
def check_each_width_first():
    ffi, lib = LIB.cffi(CDEF)
    widths = {name: lib.fm_width(name.encode()) for name in LAYOUT}
    unknown = sorted(name for name, width in widths.items() if width < 0)  # FIX: -1 means "no such field"
    assert unknown == ["checksum"], unknown
    masks = {name: lib.fm_mask(width) for name, width in widths.items() if width >= 0}
    assert masks == {"version": 0xF, "flags": 0xFF, "length": 0xFFFF}, masks
