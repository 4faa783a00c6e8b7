/** Starts a native job whose worker thread calls progress(); the JNI library decides which JNIEnv it uses. */
public class ProgressReporter {
    static native void runJob();

    static void progress(int percent) {
        System.out.println("progress " + percent + "%");
    }

    public static void main(String[] args) {
        System.loadLibrary("progress_reporter");
        runJob();
        System.out.println("job done");
    }
}
