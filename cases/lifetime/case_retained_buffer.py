"""C keeps a pointer to a buffer that Python owns, and Python frees it.

The runtime's rule: an ``ffi.new`` buffer lives exactly as long as its cdata object.
The library's rule: a registered buffer must outlive the registration. The broken
binding passes a temporary, so the buffer is freed while C still points at it; the
next call reads freed memory (ASan: heap-use-after-free). The fix, in the binding,
keeps the buffer referenced until ``rb_unregister()``.
"""

import gc

from faultlab import Case, Expect, Library

LIB = Library("lifetime/retained_buffer")
CDEF = """
void rb_register(const unsigned char *buf, size_t len);
unsigned rb_checksum(void);
void rb_unregister(void);
"""

retained_buffer = Case(
    id="lifetime/retained-buffer",
    mode="lifetime",
    cwe="CWE-416",
    title="C retains a pointer to an ffi.new buffer that Python then frees",
    explanation=__doc__,
    expect={"asan": Expect("heap-use-after-free", frame="rb_checksum", access="READ")},
    fix_in="binding",
    libraries=(LIB,),
)


@retained_buffer.broken
def register_a_temporary():
    ffi, lib = LIB.cffi(CDEF)
    payload = b"the quick brown fox"
    lib.rb_register(ffi.new("unsigned char[]", payload), len(payload))  # FLAW: the cdata dies with this line
    gc.collect()
    lib.rb_checksum()


@retained_buffer.fixed
def keep_the_buffer_alive():
    ffi, lib = LIB.cffi(CDEF)
    payload = b"the quick brown fox"
    buf = ffi.new("unsigned char[]", payload)  # FIX: the binding owns the buffer until unregistered
    lib.rb_register(buf, len(payload))
    gc.collect()
    lib.rb_checksum()
    lib.rb_unregister()
    del buf
