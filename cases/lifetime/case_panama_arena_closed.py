"""C keeps a pointer into a confined Arena, and reads it after Java closed the arena.

The runtime's rule: a ``MemorySegment`` lives as long as its ``Arena``; closing the
arena frees the memory at once, whatever native code still holds the address (the FFM
API checks Java's accesses, never C's). ``ArenaChecksum`` gives an asynchronous C
checksum a 64 MiB buffer, closes the arena at the end of its ``try`` block and only then
asks C for the result. The arena's memory is malloc'd, and a block that large is
unmapped when freed, so C's read faults: the JVM's fatal error report names the C
function ("Problematic frame: C [libchecksum.so+0x...] checksum_finish"). A smaller
buffer would be reused silently. The fix finishes the native work inside the arena's
scope.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import java

LIB = Library("lifetime/panama/checksum")
JAVA_SOURCES = ("lifetime/panama/ArenaChecksum.java",)

panama_arena_closed = Case(
    id="lifetime/panama-arena-closed",
    mode="lifetime",
    cwe="CWE-416",
    title="C reads a buffer of a confined Arena after Java closed the arena",
    explanation=__doc__,
    expect={"none": Expect("segv", frame="checksum_finish")},
    fix_in="binding",
    runtime="panama",
    libraries=(LIB,),
    sources=JAVA_SOURCES,
    requires=("panama-jdk",),
)


@panama_arena_closed.broken
def arena_closed_before_c_is_done(configuration):
    return java.panama_command("ArenaChecksum", JAVA_SOURCES, LIB.path(configuration, "broken"), "broken")


@panama_arena_closed.fixed
def c_done_inside_the_arena(configuration):
    return java.panama_command("ArenaChecksum", JAVA_SOURCES, LIB.path(configuration, "fixed"), "fixed")
