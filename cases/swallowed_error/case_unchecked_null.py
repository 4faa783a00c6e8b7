"""The library returns NULL for "not found"; the binding reads a field through it.

The C rule: ``tb_lookup()`` returns NULL when the name is not in its table (the contract
of ``getenv``, ``getpwnam``, ``bsearch``). The runtime's rule: cffi does not check a
pointer before it reads through it, so ``entry.rgb`` on a NULL ``struct entry *`` is a
read at address 0x8 (the offset of ``rgb``). Without a sanitizer the process dies of
SIGSEGV (faulthandler: ``Fatal Python error: Segmentation fault``, with the Python line);
under ASan the report is ``SEGV on unknown address 0x000000000008``: a NULL dereference.
The fix, in the binding, compares the result with ``ffi.NULL`` before it reads through
it, and treats the name as unknown.
"""

from faultlab import Case, Expect, Library

LIB = Library("swallowed_error/unchecked_null")
CDEF = """
struct entry { const char *name; int rgb; };
const struct entry *tb_lookup(const char *name);
"""
NAMES = (b"red", b"mauve")

unchecked_null = Case(
    id="swallowed-error/unchecked-null",
    mode="swallowed-error",
    cwe="CWE-476",
    title="A NULL returned for 'not found' is dereferenced by the binding",
    explanation=__doc__,
    expect={"none": Expect("segv", frame="look_up_an_unknown_name"),
            "asan": Expect("null-deref", frame="look_up_an_unknown_name")},
    fix_in="binding",
    libraries=(LIB,),
)


@unchecked_null.broken
def look_up_an_unknown_name():
    ffi, lib = LIB.cffi(CDEF)
    colours = {}
    for name in NAMES:
        colours[name] = lib.tb_lookup(name).rgb  # FLAW: NULL for an unknown name, read through all the same
    assert colours[b"red"] == 0xFF0000


@unchecked_null.fixed
def check_for_null():
    ffi, lib = LIB.cffi(CDEF)
    colours = {}
    for name in NAMES:
        entry = lib.tb_lookup(name)
        colours[name] = None if entry == ffi.NULL else entry.rgb  # FIX: "not found" is checked before the read
    assert colours == {b"red": 0xFF0000, b"mauve": None}, colours
