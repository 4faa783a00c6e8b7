"""A Python callback raises under ctypes; ctypes prints it, C carries on, and the program exits 0.

The runtime's rule: an exception cannot cross a C frame. When a ``CFUNCTYPE`` callback
raises, ctypes prints ``Exception ignored on calling ctypes callback function`` and the
traceback to stderr, clears the exception and returns to C (for a non-void callback the
C side then reads an unspecified return value). ``lp_parse()`` goes on with the next
line and reports every line delivered; the caller's ``except`` never runs and the
process exits 0. ctypes has no ``onerror``; the fix, in the binding, wraps the callback
so that it catches and keeps the first exception and skips the remaining lines, and
re-raises it once ``lp_parse()`` has returned.
"""

import ctypes

from faultlab import Case, Expect, Library

LIB = Library("swallowed_error/ctypes_callback_exception")
ON_LINE = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t)
TEXT = b"port=8080\nworkers=4\ntimeout\n"

ctypes_callback_exception = Case(
    id="swallowed-error/ctypes-callback-exception",
    mode="swallowed-error",
    cwe="CWE-390",
    title="An exception raised in a ctypes callback is printed, dropped, and C carries on",
    explanation=__doc__,
    expect={"none": Expect("swallowed-exception", frame="on_line")},
    fix_in="binding",
    libraries=(LIB,),
)


def load():
    lib = LIB.ctypes()
    lib.lp_parse.argtypes = [ctypes.c_char_p, ON_LINE]
    lib.lp_parse.restype = ctypes.c_int
    return lib


def store_setting(settings):
    def on_line(line, length):
        key, value = ctypes.string_at(line, length).decode().split("=")  # raises on "timeout"
        settings[key] = value
    return on_line


@ctypes_callback_exception.broken
def raise_through_a_ctypes_callback():
    lib = load()
    settings = {}
    try:
        lib.lp_parse(TEXT, ON_LINE(store_setting(settings)))  # FLAW: ctypes prints the callback's exception, returns to C
    except ValueError:
        raise AssertionError("unreachable: ctypes never lets the exception out")


@ctypes_callback_exception.fixed
def raise_after_the_parse():
    lib = load()
    settings = {}
    on_line, raised, rejected = store_setting(settings), [], None

    def guarded(line, length):
        if raised:
            return  # skip the lines after a rejected one
        try:
            on_line(line, length)
        except Exception as exc:  # FIX: the binding keeps the exception instead of leaving it to ctypes ...
            raised.append(exc)

    try:
        lib.lp_parse(TEXT, ON_LINE(guarded))
        if raised:
            raise raised[0]  # ... and raises it in the caller once C has returned
    except ValueError as exc:
        rejected = str(exc)
    assert rejected.startswith("not enough values to unpack"), rejected
    assert settings == {"port": "8080", "workers": "4"}, settings
