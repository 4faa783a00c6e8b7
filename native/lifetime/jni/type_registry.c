/* Describe objects by their class, remembering java.lang.String's class between calls.
 * JNI's rule: a local reference lives until the native method that got it returns; keeping
 * one across calls takes a global reference (NewGlobalRef, released by DeleteGlobalRef). */
#include <jni.h>

static jclass string_class;

JNIEXPORT jboolean JNICALL Java_TypeRegistry_isText(JNIEnv *env, jclass cls, jobject value) {
    (void)cls;
    if (string_class == NULL) {
        jclass local = (*env)->FindClass(env, "java/lang/String");
#ifdef FAULTLAB_FIXED
        string_class = (*env)->NewGlobalRef(env, local); /* FIX: a global reference outlives this call */
        (*env)->DeleteLocalRef(env, local);
#else
        string_class = local; /* FLAW: a local reference, dead once this call returns, kept in a static */
#endif
    }
    return (*env)->IsInstanceOf(env, value, string_class);
}
