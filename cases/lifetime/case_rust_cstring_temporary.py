"""Rust hands C the pointer of a temporary CString, and C reads it after the drop.

The runtime's rule: ``CString::as_ptr`` borrows; the pointer is valid while the
``CString`` lives, and a temporary ``CString::new(..).unwrap()`` is dropped (its buffer
freed) at the end of the statement. The C greeter keeps the pointer and reads the name
when asked to greet: a heap use after free that usually prints the right name, since
nothing reused the block yet. Rust's default allocator is the system's malloc, so
AddressSanitizer, preloaded by the ``asan`` configuration, sees the free and the read in
the C library built with it. The fix binds the ``CString`` to a variable that outlives
every use of the pointer.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import rust

LIB = Library("lifetime/rust/greeter")
PROGRAM = "lifetime/rust/greet.rs"

rust_cstring_temporary = Case(
    id="lifetime/rust-cstring-temporary",
    mode="lifetime",
    cwe="CWE-416",
    title="C keeps the pointer of a temporary CString and reads the freed buffer",
    explanation=__doc__,
    expect={"asan": Expect("heap-use-after-free", frame="greeter_greet", access="READ")},
    fix_in="binding",
    runtime="rust",
    libraries=(LIB,),
    sources=(PROGRAM,),
    requires=("rustc",),
)


@rust_cstring_temporary.broken
def pointer_of_a_temporary(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "broken"),)), "broken"]


@rust_cstring_temporary.fixed
def cstring_outlives_the_pointer(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "fixed"),)), "fixed"]
