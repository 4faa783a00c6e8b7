"""Rust takes back a Box that a C registry already released: the context is freed twice.

The runtime's rule: ``Box::into_raw`` hands ownership of the allocation out, and exactly
one ``Box::from_raw`` may take it back. The program gives a C registry a boxed context
and a release function; unsubscribing releases it (the registry's ``Box::from_raw``),
and then the Rust side reclaims the same pointer for a last look, freeing it again.
glibc's tcache check stops the second ``free`` ("free(): double free detected in tcache
2"); AddressSanitizer names it "attempting double-free". The fix is the ``Drop``-backed
wrapper: a ``Subscription`` owns the registration, its ``Drop`` unsubscribes, and the
context has exactly one owner, the registry.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import rust

LIB = Library("lifetime/rust/subscriptions")
PROGRAM = "lifetime/rust/subscriber.rs"

rust_box_from_raw_twice = Case(
    id="lifetime/rust-box-from-raw-twice",
    mode="lifetime",
    cwe="CWE-415",
    title="Box::from_raw on a pointer a C registry already released frees it twice",
    explanation=__doc__,
    expect={"none": Expect("double-free"), "asan": Expect("double-free")},
    fix_in="binding",
    runtime="rust",
    libraries=(LIB,),
    sources=(PROGRAM,),
    requires=("rustc",),
)


@rust_box_from_raw_twice.broken
def reclaims_what_c_released(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "broken"),)), "broken"]


@rust_box_from_raw_twice.fixed
def one_owner_behind_drop(configuration):
    return [rust.program(PROGRAM, libraries=(LIB.path(configuration, "fixed"),)), "fixed"]
