"""One session, two owners: an ffi.gc destructor and a manual close both free it.

The runtime's rule: ``ffi.gc(ptr, destructor)`` makes the returned cdata the owner of
``ptr``; the destructor runs once, when that cdata dies. The library's rule:
``sess_close()`` is called exactly once per ``sess_open()``. The broken binding also
closes the session by hand, so the destructor frees it a second time when the cdata is
collected (ASan: attempting double-free; glibc: ``free(): double free detected in tcache
2`` and abort, because the block still sits in its tcache bin: nothing in between
allocates that size). The fix, in the binding, closes through ``ffi.release()``, which
runs the destructor now, exactly once, and disarms it.
"""

from faultlab import Case, Expect, Library

LIB = Library("lifetime/double_free")
CDEF = """
struct session;
struct session *sess_open(const char *peer);
unsigned sess_send(struct session *s, unsigned nbytes);
void sess_close(struct session *s);
"""

double_free = Case(
    id="lifetime/double-free",
    mode="lifetime",
    cwe="CWE-415",
    title="A session owned by an ffi.gc destructor is also closed by hand",
    explanation=__doc__,
    expect={"asan": Expect("double-free", frame="sess_close"),
            "none": Expect("double-free", frame="sess_close")},  # glibc's abort, with the crash handler's native stack
    fix_in="binding",
    libraries=(LIB,),
)


@double_free.broken
def close_by_hand_and_collect():
    ffi, lib = LIB.cffi(CDEF)
    session = ffi.gc(lib.sess_open(b"db.example:5432"), lib.sess_close)  # the cdata owns the session
    lib.sess_send(session, 42)
    lib.sess_close(session)  # FLAW: a second owner frees it by hand ...
    del session  # ... and the ffi.gc destructor frees it again


@double_free.fixed
def release_through_the_owner():
    ffi, lib = LIB.cffi(CDEF)
    session = ffi.gc(lib.sess_open(b"db.example:5432"), lib.sess_close)
    lib.sess_send(session, 42)
    ffi.release(session)  # FIX: runs the destructor now, once, and disarms it
    del session
