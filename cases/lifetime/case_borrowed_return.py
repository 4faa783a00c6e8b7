"""The binding keeps a pointer that the library only lent it, and reads it after the next call.

The library's rule: ``nt_name()`` returns its own result buffer, valid until the next
call, which frees it and allocates a new one (the contract of ``strerror``, ``inet_ntoa``,
``getenv``). The runtime's rule: a ``char *`` cdata returned by a call is a bare address;
cffi copies nothing and keeps nothing alive. The broken binding returns that cdata as if
it were a string, so the caller's first name points into freed memory once it asks for
a second one; ``ffi.string()`` then reads it (ASan: heap-use-after-free in ``strlen``
under ``b_string``). Without ASan, glibc hands the same block back to the next call, so
the first name silently reads as the second. The fix, in the binding, copies the result
with ``ffi.string()`` at once, while it is still valid.
"""

from faultlab import Case, Expect, Library

LIB = Library("lifetime/borrowed_return")
CDEF = """
const char *nt_name(int id);
void nt_release(void);
"""

borrowed_return = Case(
    id="lifetime/borrowed-return",
    mode="lifetime",
    cwe="CWE-416",
    title="A returned char* is kept past the library's next call, which frees it",
    explanation=__doc__,
    expect={"asan": Expect("heap-use-after-free", frame="keep_the_borrowed_pointer", access="READ")},
    fix_in="binding",
    libraries=(LIB,),
)


@borrowed_return.broken
def keep_the_borrowed_pointer():
    ffi, lib = LIB.cffi(CDEF)
    first = lib.nt_name(1)  # FLAW: a char* into the library's buffer, valid only until the next call
    second = lib.nt_name(2)
    names = [ffi.string(first), ffi.string(second)]
    lib.nt_release()
    assert names == [b"node-0001", b"node-0002"], names


@borrowed_return.fixed
def copy_the_result_at_once():
    ffi, lib = LIB.cffi(CDEF)
    first = ffi.string(lib.nt_name(1))  # FIX: bytes owned by Python, copied before the next call
    second = ffi.string(lib.nt_name(2))
    names = [first, second]
    lib.nt_release()
    assert names == [b"node-0001", b"node-0002"], names
