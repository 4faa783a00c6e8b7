/* @description CWE-172: JNI hands C a Java string as modified UTF-8, and C passes it on as if it were UTF-8.
 * StringBridge.emit() writes its argument to standard output for a Python reader that
 * expects UTF-8. GetStringUTFChars returns modified UTF-8: an emoji comes out as two
 * three-byte surrogate halves (ED A0 BD ED B8 80), NUL as C0 80. The fix reads the
 * string's UTF-16 units with GetStringRegion and encodes them as standard UTF-8. */
#include <jni.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_all(const char *bytes, size_t len) {
    while (len > 0) {
        ssize_t done = write(STDOUT_FILENO, bytes, len);
        if (done <= 0)
            return;
        bytes += done;
        len -= (size_t)done;
    }
}

#ifdef FAULTLAB_FIXED
/* Standard UTF-8 of UTF-16 units: a surrogate pair becomes one four-byte sequence, a lone
 * surrogate U+FFFD (UTF-8 cannot carry it). At most 3 bytes per unit; returns the length. */
static size_t utf16_to_utf8(const jchar *units, jsize count, unsigned char *out) {
    size_t n = 0;
    for (jsize i = 0; i < count; i++) {
        unsigned long point = units[i];
        if (point >= 0xD800 && point <= 0xDBFF && i + 1 < count && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF)
            point = 0x10000 + ((point - 0xD800) << 10) + (units[++i] - 0xDC00);
        else if (point >= 0xD800 && point <= 0xDFFF)
            point = 0xFFFD;
        if (point < 0x80) {
            out[n++] = (unsigned char)point;
        } else if (point < 0x800) {
            out[n++] = (unsigned char)(0xC0 | (point >> 6));
            out[n++] = (unsigned char)(0x80 | (point & 0x3F));
        } else if (point < 0x10000) {
            out[n++] = (unsigned char)(0xE0 | (point >> 12));
            out[n++] = (unsigned char)(0x80 | ((point >> 6) & 0x3F));
            out[n++] = (unsigned char)(0x80 | (point & 0x3F));
        } else {
            out[n++] = (unsigned char)(0xF0 | (point >> 18));
            out[n++] = (unsigned char)(0x80 | ((point >> 12) & 0x3F));
            out[n++] = (unsigned char)(0x80 | ((point >> 6) & 0x3F));
            out[n++] = (unsigned char)(0x80 | (point & 0x3F));
        }
    }
    return n;
}
#endif

JNIEXPORT void JNICALL Java_StringBridge_emit(JNIEnv *env, jclass cls, jstring text) {
    (void)cls;
#ifdef FAULTLAB_FIXED
    jsize count = (*env)->GetStringLength(env, text);
    jchar *units = malloc(((size_t)count + 1) * sizeof(jchar));
    unsigned char *utf8 = malloc(3 * (size_t)count + 1);
    if (units == NULL || utf8 == NULL) {
        free(units);
        free(utf8);
        (*env)->ThrowNew(env, (*env)->FindClass(env, "java/lang/OutOfMemoryError"), "emit: no memory for the UTF-8 copy");
        return;
    }
    /* FIX: the UTF-16 units themselves, encoded here as standard UTF-8 */
    (*env)->GetStringRegion(env, text, 0, count, units);
    write_all((const char *)utf8, utf16_to_utf8(units, count, utf8));
    free(units);
    free(utf8);
#else
    const char *chars = (*env)->GetStringUTFChars(env, text, NULL); /* FLAW: modified UTF-8, not UTF-8 */
    if (chars == NULL)
        return; /* OutOfMemoryError is pending */
    write_all(chars, strlen(chars));
    (*env)->ReleaseStringUTFChars(env, text, chars);
#endif
}
