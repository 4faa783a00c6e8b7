"""C returns the address of its own stack array; Python reads it after the frame is gone.

The C rule: a function's local arrays die when it returns. ``hx_format()`` builds its text
in a local array and returns that address, and cffi hands the bare ``char *`` to Python,
where ``ffi.string()`` reads it after the frame has been popped. Under ASan
(``detect_stack_use_after_return=1``) every instrumented frame lives on a fake stack that
is poisoned at return, so the read is reported every time: stack-use-after-return, in
``strlen`` under ``b_string``. Without ASan the read usually still finds the text,
because nothing has reused that stack yet: the bug passes its tests until some deeper
call overwrites the dead frame, and then it returns garbage, never an error.
The fix changes the C API (the caller provides the buffer and decides its lifetime) and
so the binding too: it passes an ``ffi.new`` buffer.
"""

from faultlab import Case, Expect, Library

LIB = Library("lifetime/stack_escape")
CDEF = "const char *hx_format(unsigned value);"
CDEF_FIXED = "const char *hx_format(unsigned value, char *out, size_t len);"

stack_escape = Case(
    id="lifetime/stack-escape",
    mode="lifetime",
    cwe="CWE-562",
    title="C returns a pointer to its own stack array and Python reads it after the return",
    explanation=__doc__,
    expect={"asan": Expect("stack-use-after-return", frame="read_a_dead_frame", access="READ")},
    fix_in="both",
    libraries=(LIB,),
)


@stack_escape.broken
def read_a_dead_frame():
    ffi, lib = LIB.cffi(CDEF)
    text = ffi.string(lib.hx_format(0xC0FFEE))  # FLAW: the pointer is into hx_format's popped frame
    assert text == b"0x00c0ffee", text


@stack_escape.fixed
def pass_a_buffer_in():
    ffi, lib = LIB.cffi(CDEF_FIXED)
    out = ffi.new("char[16]")  # FIX: the caller owns the buffer the text is written into
    text = ffi.string(lib.hx_format(0xC0FFEE, out, len(out)))
    assert text == b"0x00c0ffee", text
