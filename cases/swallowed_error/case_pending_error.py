"""A failed call leaves an error pending; the binding never checks, and a later call aborts.

The library's rule is JNI's: a failing ``cfg_parse_int()`` returns a plausible 0 and
leaves an error pending, and until it is cleared no other call is allowed (JNI code must
call ``ExceptionCheck()`` after every call that can throw). The broken binding never
looks, so the bad value ``"4x"`` is parsed as 0, and the next, unrelated call
(``cfg_set("workers", 0)``) aborts inside the library with the library's own message on
stderr: ``FATAL ERROR in libcfg: cfg_set() called with an error pending: ...``. The
Python stack points at the ``cfg_set`` line, not at the parse that failed. The fix, in
the binding, checks ``cfg_error_pending()`` after each call, clears the error and raises
it as a ``ValueError`` where it happened, so the application can reject the setting.
"""

from faultlab import Case, Expect, Library

LIB = Library("swallowed_error/pending_error")
CDEF = """
long cfg_parse_int(const char *text);
void cfg_set(const char *key, long value);
int cfg_error_pending(void);
const char *cfg_error_message(void);
void cfg_error_clear(void);
"""
SETTINGS = [(b"port", b"8080"), (b"workers", b"4x"), (b"timeout", b"30")]

pending_error = Case(
    id="swallowed-error/pending-error",
    mode="swallowed-error",
    cwe="CWE-391",
    title="A pending error is never checked, and a later call aborts inside the library",
    explanation=__doc__,
    expect={"none": Expect("abort", frame="require_no_pending_error")},  # the library's check that aborts
    fix_in="binding",
    libraries=(LIB,),
)


def checked(ffi, lib, function, *args):
    """Call ``function``, then do what JNI code does after every call: check, clear, raise."""
    result = function(*args)
    if lib.cfg_error_pending():
        message = ffi.string(lib.cfg_error_message()).decode()
        lib.cfg_error_clear()
        raise ValueError(message)
    return result


@pending_error.broken
def never_check_the_pending_error():
    ffi, lib = LIB.cffi(CDEF)
    for key, text in SETTINGS:
        value = lib.cfg_parse_int(text)  # FLAW: a failure here only leaves an error pending; nobody asks
        lib.cfg_set(key, value)


@pending_error.fixed
def check_clear_and_raise():
    ffi, lib = LIB.cffi(CDEF)
    rejected = []
    for key, text in SETTINGS:
        try:
            value = checked(ffi, lib, lib.cfg_parse_int, text)  # FIX: every call is checked, cleared, raised
            checked(ffi, lib, lib.cfg_set, key, value)
        except ValueError as exc:
            rejected.append(str(exc))
    assert rejected == ['cfg_parse_int: "4x" is not an integer'], rejected
