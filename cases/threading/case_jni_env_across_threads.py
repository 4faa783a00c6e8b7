"""A native worker thread calls Java with the JNIEnv of the thread that started it.

The runtime's rule: a ``JNIEnv*`` is valid only on the thread the JVM handed it to; a native
thread must attach itself (``AttachCurrentThread``) and call Java through its own
``JNIEnv``. Here ``ProgressReporter.runJob`` starts a pthread that reports progress with
``CallStaticVoidMethod`` on the caller's ``JNIEnv``. Without a checker the call may seem
to work, or corrupt the VM's thread state and crash far away; under ``-Xcheck:jni``
HotSpot stops the program: "FATAL ERROR in native method: Using JNIEnv in non-Java
thread". The fix, in the C code, attaches the worker and detaches it when done.
"""

from faultlab import Case, Expect, Library
from faultlab.lab import java

LIB = Library("threading/jni/progress_reporter", jni=True)
JAVA_SOURCES = ("threading/jni/ProgressReporter.java",)

jni_env_across_threads = Case(
    id="threading/jni-env-across-threads",
    mode="threading",
    cwe="CWE-663",
    title="A native thread calls Java with another thread's JNIEnv; -Xcheck:jni stops the JVM",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation")},  # a thread the JVM does not know has no Java stack to pin
    fix_in="native",
    runtime="jni",
    libraries=(LIB,),
    sources=JAVA_SOURCES,
    requires=("jdk",),
)


@jni_env_across_threads.broken
def worker_uses_the_callers_env(configuration):
    return java.checked_jni_command("ProgressReporter", JAVA_SOURCES, LIB.path(configuration, "broken").parent)


@jni_env_across_threads.fixed
def worker_attaches_itself(configuration):
    return java.checked_jni_command("ProgressReporter", JAVA_SOURCES, LIB.path(configuration, "fixed").parent)
