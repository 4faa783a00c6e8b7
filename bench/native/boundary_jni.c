/* @description The boundary bench's JNI side: two static native methods of BoundaryJni around
 * bl_add_one() and bl_sum(). The batched call pins the Java int[] with
 * GetPrimitiveArrayCritical (no copy on HotSpot) for the duration of one bl_sum(): what a
 * careful JNI batch pays per crossing. */
#include <jni.h>

#include "boundary.h"

JNIEXPORT jint JNICALL Java_BoundaryJni_addOne(JNIEnv *env, jclass cls, jint x) {
    return bl_add_one(x);
}

JNIEXPORT jlong JNICALL Java_BoundaryJni_sum(JNIEnv *env, jclass cls, jintArray xs, jint n) {
    jint *items = (*env)->GetPrimitiveArrayCritical(env, xs, NULL);
    if (items == NULL)
        return 0; /* an OutOfMemoryError is pending; Java sees it */
    long long total = bl_sum((const int *)items, (size_t)n);
    (*env)->ReleasePrimitiveArrayCritical(env, xs, items, JNI_ABORT); /* read only: nothing to copy back */
    return total;
}
