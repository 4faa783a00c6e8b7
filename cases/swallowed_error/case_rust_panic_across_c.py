"""A Rust callback panics under a C caller, and the panic cannot unwind through C.

The runtime's rule: a panic may not unwind out of an ``extern "C"`` fn; since Rust 1.81
the runtime aborts the whole process instead ("panic in a function that cannot unwind"),
so the C walker that called the callback never hears of the error and the program is
gone. Here ``sum_records`` hands a C walker a callback that parses each record; the
record "n/a" makes ``parse().expect(...)`` panic inside it. The fix catches the panic at
the boundary with ``std::panic::catch_unwind`` and returns the error code the C walker
passes back, which the Rust caller checks.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import rust

LIB = Library("swallowed_error/rust/record_walk")
PROGRAM = "swallowed_error/rust/sum_records.rs"

rust_panic_across_c = Case(
    id="swallowed-error/rust-panic-across-c",
    mode="swallowed-error",
    cwe="CWE-248",
    title="A panic in a Rust callback reaches C frames and the process aborts",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation")},  # the panic's place is the frame; its line is the signature's
    fix_in="binding",
    runtime="rust",
    libraries=(LIB,),
    sources=(PROGRAM,),
    requires=("rustc",),
)


@rust_panic_across_c.broken
def callback_panics(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "broken"),)), "broken"]


@rust_panic_across_c.fixed
def callback_returns_an_error_code(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "fixed"),)), "fixed"]
