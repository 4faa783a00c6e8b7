"""The binding ignores the -1 that a full journal returns, and records are silently lost.

The C rule: ``jr_append()`` reports failure only through its return value (-1) and
``errno`` (ENOSPC), like ``write(2)``; nothing is raised, nothing is printed. The broken
binding calls it as if it could not fail, so once the 64-byte journal is full every
further record is dropped and the program ends with exit status 0. The oracle, the same
for both variants, compares what was written with what came out of the journal and
raises ``faultlab.Detected("swallowed-error", ...)`` for the missing bytes. The fix, in
the binding, checks the return value: on ENOSPC it drains the journal and retries, and
any other error becomes an ``OSError``.
"""

import errno
import os

import faultlab
from faultlab import Case, Expect, Library

LIB = Library("swallowed_error/ignored_return")
CDEF = """
int jr_append(const char *record, size_t len);
size_t jr_drain(char *out, size_t cap);
"""
RECORDS = [f"event {i:03d};".encode() for i in range(12)]  # 120 bytes for a 64-byte journal

ignored_return = Case(
    id="swallowed-error/ignored-return",
    mode="swallowed-error",
    cwe="CWE-252",
    title="A write's -1/ENOSPC return is ignored and the records it refused are lost",
    explanation=__doc__,
    expect={"none": Expect("swallowed-error", frame="check_nothing_lost")},  # the oracle that sees the loss
    fix_in="binding",
    libraries=(LIB,),
)


def drain(ffi, lib) -> bytes:
    out = ffi.new("char[]", 64)
    return ffi.buffer(out, lib.jr_drain(out, len(out)))[:]


def check_nothing_lost(written: bytes, delivered: bytes) -> None:
    """The oracle: every byte written must come out of the journal, in order."""
    if delivered != written:
        raise faultlab.Detected(
            "swallowed-error",
            f"{len(written) - len(delivered)} of {len(written)} bytes written never came out of the journal, "
            "and no error was raised",
        )


@ignored_return.broken
def append_without_checking():
    ffi, lib = LIB.cffi(CDEF)
    delivered = b""
    for record in RECORDS:
        lib.jr_append(record, len(record))  # FLAW: -1 with errno ENOSPC is ignored; the record is gone
    delivered += drain(ffi, lib)
    check_nothing_lost(b"".join(RECORDS), delivered)


@ignored_return.fixed
def check_and_drain_when_full():
    ffi, lib = LIB.cffi(CDEF)
    delivered = b""
    for record in RECORDS:
        if lib.jr_append(record, len(record)) < 0:  # FIX: the return value is checked ...
            if ffi.errno != errno.ENOSPC:
                raise OSError(ffi.errno, os.strerror(ffi.errno))
            delivered += drain(ffi, lib)  # ... a full journal is drained, and the record retried
            if lib.jr_append(record, len(record)) < 0:
                raise OSError(ffi.errno, os.strerror(ffi.errno))
    delivered += drain(ffi, lib)
    check_nothing_lost(b"".join(RECORDS), delivered)
