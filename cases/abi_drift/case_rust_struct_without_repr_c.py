"""A Rust struct without #[repr(C)] is handed to C, which reads its fields at C's offsets.

The runtime's rule: only ``#[repr(C)]`` gives a Rust struct C's layout; a plain struct's
field order is rustc's choice (it sorts fields by alignment), so the same field list
mirrors C's declaration in the source and not in memory. Here C's ``struct reading``
is ``channel, flags, scale, raw``; rustc places ``raw`` first, and C reads the channel
from ``raw``'s low byte and the value from the wrong fields. Nothing crashes: the
program's own check (the oracle) compares what C read with what Rust built and reports
``faultlab.Detected: abi-mismatch``. The fix adds ``#[repr(C)]``.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import rust

LIB = Library("abi_drift/rust/reading")
PROGRAM = "abi_drift/rust/readings.rs"

rust_struct_without_repr_c = Case(
    id="abi-drift/rust-struct-without-repr-c",
    mode="abi-drift",
    cwe="CWE-188",
    title="A Rust struct without #[repr(C)] reaches C with its fields in another order",
    explanation=__doc__,
    expect={"none": Expect("abi-mismatch")},
    fix_in="binding",
    runtime="rust",
    libraries=(LIB,),
    sources=(PROGRAM,),
    requires=("rustc",),
)


@rust_struct_without_repr_c.broken
def plain_struct(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "broken"),)), "broken"]


@rust_struct_without_repr_c.fixed
def repr_c_struct(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "fixed"),)), "fixed"]
