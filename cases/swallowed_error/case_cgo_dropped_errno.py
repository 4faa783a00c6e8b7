"""A Go wrapper calls a C function as a statement and drops its -1 and errno: records vanish.

The rule: a C function that fails by returning -1 and setting ``errno`` must have both read
by its caller. cgo makes that possible but not required: ``rc, err := C.f()`` returns the
``errno`` as a ``syscall.Errno``; ``C.f()`` as a statement throws both away. The journal's
``journal_append`` returns -1 with ``ENOSPC`` once its four slots are full (the caller is to
flush and append again). The broken wrapper drops it, so the last two records are lost while the
caller is told nothing; the program's oracle counts the journal and prints
"faultlab.Detected: swallowed-error: 6 records appended without an error, the journal holds
4". The fix returns the -1 and its ``errno`` as an error, which the caller meets by flushing
and appending again.
"""

from faultlab import Case, Expect
from faultlab.lab import go

PROGRAM = "swallowed_error/cgo/journal_append.go"

cgo_dropped_errno = Case(
    id="swallowed-error/cgo-dropped-errno",
    mode="swallowed-error",
    cwe="CWE-252",
    title="a Go wrapper drops a C function's -1 and errno; the records it refused are lost",
    explanation=__doc__,
    expect={"none": Expect("swallowed-error")},  # the oracle's line has no stack to pin
    fix_in="binding",
    runtime="cgo",
    sources=(PROGRAM,),
    requires=("go",),
)


@cgo_dropped_errno.broken
def wrapper_calls_as_a_statement(configuration):
    return go.command(PROGRAM, "broken")


@cgo_dropped_errno.fixed
def wrapper_returns_errno(configuration):
    return go.command(PROGRAM, "fixed")
