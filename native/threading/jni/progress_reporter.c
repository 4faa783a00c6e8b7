/* A native worker thread reports progress to Java through JNI.
 * JNI's rule: a JNIEnv belongs to the thread it was handed to; another thread must attach
 * itself to the VM (AttachCurrentThread) and use the JNIEnv that gives it. */
#include <jni.h>
#include <pthread.h>

struct job {
    JavaVM *vm;
    JNIEnv *env; /* the caller's: valid on the caller's thread only */
    jclass reporter; /* a global reference: a local one is as thread-bound as the JNIEnv */
    jmethodID progress;
};

static void *work(void *arg) {
    struct job *job = arg;
#ifdef FAULTLAB_FIXED
    JNIEnv *env;
    (*job->vm)->AttachCurrentThread(job->vm, (void **)&env, NULL); /* FIX: this thread gets its own JNIEnv */
#else
    JNIEnv *env = job->env; /* FLAW: the JNIEnv of the thread that started the job, used on this one */
#endif
    for (jint percent = 50; percent <= 100; percent += 50) {
        (*env)->CallStaticVoidMethod(env, job->reporter, job->progress, percent);
        if ((*env)->ExceptionCheck(env))
            break; /* progress() threw: it stays pending for the VM to report */
    }
#ifdef FAULTLAB_FIXED
    (*job->vm)->DetachCurrentThread(job->vm);
#endif
    return NULL;
}

JNIEXPORT void JNICALL Java_ProgressReporter_runJob(JNIEnv *env, jclass cls) {
    struct job job = {NULL, env, (*env)->NewGlobalRef(env, cls), (*env)->GetStaticMethodID(env, cls, "progress", "(I)V")};
    pthread_t worker;
    (*env)->GetJavaVM(env, &job.vm);
    pthread_create(&worker, NULL, work, &job);
    pthread_join(worker, NULL);
    (*env)->DeleteGlobalRef(env, job.reporter);
}
