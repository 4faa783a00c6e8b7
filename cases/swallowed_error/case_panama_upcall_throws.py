"""A Java upcall throws under a C caller, and the JVM exits rather than unwind through C.

The runtime's rule: an exception may not cross an upcall into native frames. The FFM API
cannot unwind C, so an exception that escapes an upcall stub is fatal: the JVM prints
it and exits ("Unrecoverable uncaught exception encountered. The VM will now exit"); no
``catch`` around the downcall ever sees it. ``RecordSum`` gives a C walker an upcall
that parses each record; the record "n/a" throws ``NumberFormatException`` inside it.
The fix catches the exception in the upcall and returns the error code that the C
walker passes back.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import java

LIB = Library("swallowed_error/panama/record_walk")
JAVA_SOURCES = ("swallowed_error/panama/RecordSum.java",)

panama_upcall_throws = Case(
    id="swallowed-error/panama-upcall-throws",
    mode="swallowed-error",
    cwe="CWE-248",
    title="An exception escapes a Panama upcall called by C, and the JVM exits",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation", frame="RecordSum.addRecord")},
    fix_in="binding",
    runtime="panama",
    libraries=(LIB,),
    sources=JAVA_SOURCES,
    requires=("panama-jdk",),
)


@panama_upcall_throws.broken
def upcall_throws(configuration):
    return java.panama_command("RecordSum", JAVA_SOURCES, LIB.path(configuration, "broken"), "broken")


@panama_upcall_throws.fixed
def upcall_returns_an_error_code(configuration):
    return java.panama_command("RecordSum", JAVA_SOURCES, LIB.path(configuration, "fixed"), "fixed")
