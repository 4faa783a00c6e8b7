"""JNI code ignores the exception of a failed FindClass and makes another JNI call.

The runtime's rule: a JNI function that fails leaves a Java exception pending, and until
the native code handles it (``ExceptionCheck``, then ``ExceptionClear`` or a return to
Java) only a handful of JNI functions may be called. ``CodecLookup.codecName`` looks up
an optional codec class, sees NULL and falls back to another ``FindClass`` with the
``NoClassDefFoundError`` still pending: without a checker the outcome is undefined, and
the error surfaces later in Java, far from its cause. ``-Xcheck:jni`` names the call:
"WARNING in native method: JNI call made with exception pending", with the Java stack
of the native method. The fix checks and clears the exception before falling back.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import java

LIB = Library("swallowed_error/jni/codec_lookup", jni=True)
JAVA_SOURCES = ("swallowed_error/jni/CodecLookup.java",)

jni_exception_pending = Case(
    id="swallowed-error/jni-exception-pending",
    mode="swallowed-error",
    cwe="CWE-754",
    title="A JNI call is made with a failed FindClass's exception still pending; -Xcheck:jni warns",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation", frame="CodecLookup.codecName")},
    fix_in="native",
    runtime="jni",
    libraries=(LIB,),
    sources=JAVA_SOURCES,
    requires=("jdk",),
)


@jni_exception_pending.broken
def falls_back_with_the_exception_pending(configuration):
    return java.checked_jni_command("CodecLookup", JAVA_SOURCES, LIB.path(configuration, "broken").parent)


@jni_exception_pending.fixed
def clears_the_exception_then_falls_back(configuration):
    return java.checked_jni_command("CodecLookup", JAVA_SOURCES, LIB.path(configuration, "fixed").parent)
