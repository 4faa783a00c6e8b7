"""A Panama downcall's FunctionDescriptor still says int32_t after the C function was widened to int64_t.

The runtime's rule: the Foreign Function & Memory API trusts the ``FunctionDescriptor``
you write; nothing checks it against the C signature (jextract would have regenerated
it from the header). Version 2 of ``total_bytes`` returns ``int64_t``; the Java side's
descriptor, written for version 1, says ``JAVA_INT``, so the downcall keeps the low 32
bits of RAX: 3,000,000 blocks of 4096 bytes come back as -596,901,888. Nothing
crashes; the program's oracle, which knows the answer, reports ``faultlab.Detected:
abi-mismatch``. The fix is the descriptor of the signature the library has now.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import java

LIB = Library("abi_drift/panama/disk_usage")
JAVA_SOURCES = ("abi_drift/panama/DiskUsage.java",)

panama_descriptor_drift = Case(
    id="abi-drift/panama-descriptor-drift",
    mode="abi-drift",
    cwe="CWE-681",
    title="A downcall's FunctionDescriptor says int32_t for a C function that returns int64_t",
    explanation=__doc__,
    expect={"none": Expect("abi-mismatch")},
    fix_in="binding",
    runtime="panama",
    libraries=(LIB,),
    sources=JAVA_SOURCES,
    requires=("panama-jdk",),
)


@panama_descriptor_drift.broken
def version_1_descriptor(configuration):
    return java.panama_command("DiskUsage", JAVA_SOURCES, LIB.path(configuration, "broken"), "broken")


@panama_descriptor_drift.fixed
def version_2_descriptor(configuration):
    return java.panama_command("DiskUsage", JAVA_SOURCES, LIB.path(configuration, "fixed"), "fixed")
