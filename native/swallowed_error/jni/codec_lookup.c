/* Look up an optional fast codec class, falling back to the built-in one.
 * JNI's rule: after a call that fails with an exception, only a few functions (ExceptionCheck,
 * ExceptionClear, the Release and Delete ones) may be called until the exception is handled. */
#include <jni.h>

JNIEXPORT jstring JNICALL Java_CodecLookup_codecName(JNIEnv *env, jclass cls) {
    (void)cls;
    jclass codec = (*env)->FindClass(env, "org/example/FastCodec"); /* absent: NoClassDefFoundError is now pending */
#ifdef FAULTLAB_FIXED
    if ((*env)->ExceptionCheck(env)) { /* FIX: the failed lookup's exception is seen and cleared */
        (*env)->ExceptionClear(env);
        codec = NULL;
    }
#endif
    if (codec == NULL)
        codec = (*env)->FindClass(env, "java/util/zip/Deflater"); /* FLAW: called with the exception still pending */
    return (*env)->NewStringUTF(env, codec != NULL ? "deflate" : "none");
}
