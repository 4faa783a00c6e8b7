"""A Python callback raises under cffi; cffi prints it, returns 0 to C, and the program goes on.

The runtime's rule: an exception cannot cross a C frame. When a ``ffi.callback`` raises,
cffi prints ``Exception ignored from cffi callback <function ...>:`` (``From cffi
callback`` before Python 3.8) and the traceback to stderr, and returns the callback's
error value to C, 0 by default. For ``vt_walk()`` 0 means "continue", so the walk
finishes as if every item had been accepted, the caller's ``except`` never runs, and the
process exits 0: the only trace is the text on stderr.
The fix, in the binding, passes ``onerror=`` (and ``error=-1``, the walker's "stop"):
the handler keeps the exception, the callback returns -1 to stop the walk, and the
binding re-raises the exception once ``vt_walk()`` has returned.
"""

from faultlab import Case, Expect, Library

LIB = Library("swallowed_error/cffi_callback_exception")
CDEF = "int vt_walk(const int *items, size_t count, int (*visit)(int item));"
READINGS = [12, 7, -3, 40]
STOP = -1

cffi_callback_exception = Case(
    id="swallowed-error/cffi-callback-exception",
    mode="swallowed-error",
    cwe="CWE-390",
    title="An exception raised in a cffi callback is printed, dropped, and C carries on",
    explanation=__doc__,
    expect={"none": Expect("swallowed-exception", frame="check_reading")},
    fix_in="binding",
    libraries=(LIB,),
)


def check_reading(value):
    if value < 0:
        raise ValueError(f"negative reading {value}")
    return 0


@cffi_callback_exception.broken
def raise_through_a_default_callback():
    ffi, lib = LIB.cffi(CDEF)
    readings = ffi.new("int[]", READINGS)
    visitor = ffi.callback("int(int)", check_reading)  # FLAW: an exception in check_reading becomes "return 0": go on
    try:
        lib.vt_walk(readings, len(READINGS), visitor)
    except ValueError:
        raise AssertionError("unreachable: cffi never lets the exception out")


@cffi_callback_exception.fixed
def raise_after_the_walk():
    ffi, lib = LIB.cffi(CDEF)
    readings = ffi.new("int[]", READINGS)
    raised, rejected = [], None

    def keep(exc_type, exc, traceback):
        raised.append(exc)

    visitor = ffi.callback("int(int)", check_reading, error=STOP, onerror=keep)  # FIX: keep it, stop the walk ...
    try:
        lib.vt_walk(readings, len(READINGS), visitor)
        if raised:
            raise raised[0]  # ... and raise it in the caller once C has returned
    except ValueError as exc:
        rejected = str(exc)
    assert rejected == "negative reading -3", rejected
