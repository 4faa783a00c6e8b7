"""JNI code keeps a local reference in a static and uses it in a later call.

The runtime's rule: a local reference (what ``FindClass`` and most JNI functions return)
is valid until the native method that received it returns; the GC may move or free its
object after that, and the handle slot is reused. To keep an object across calls, take a
global reference (``NewGlobalRef``) and release it with ``DeleteGlobalRef``.
``TypeRegistry.isText`` caches ``java.lang.String``'s class on its first call; the first
call works, the second passes a dead handle. Without a checker that is a use-after-free
of a handle, a crash or a wrong answer depending on the GC; under ``-Xcheck:jni`` HotSpot
stops it: "FATAL ERROR in native method: Bad global or local ref passed to JNI".
"""

from faultlab import Case, Expect, Library
from faultlab.lab import java

LIB = Library("lifetime/jni/type_registry", jni=True)
JAVA_SOURCES = ("lifetime/jni/TypeRegistry.java",)

jni_local_ref_cached = Case(
    id="lifetime/jni-local-ref-cached",
    mode="lifetime",
    cwe="CWE-416",
    title="A JNI local reference cached in a static is used after its native call returned",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation", frame="TypeRegistry.isText")},
    fix_in="native",
    runtime="jni",
    libraries=(LIB,),
    sources=JAVA_SOURCES,
    requires=("jdk",),
)


@jni_local_ref_cached.broken
def caches_the_local_reference(configuration):
    return java.checked_jni_command("TypeRegistry", JAVA_SOURCES, LIB.path(configuration, "broken").parent)


@jni_local_ref_cached.fixed
def caches_a_global_reference(configuration):
    return java.checked_jni_command("TypeRegistry", JAVA_SOURCES, LIB.path(configuration, "fixed").parent)
