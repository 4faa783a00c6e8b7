/**
 * The boundary bench's JNI child: two static native methods (boundary_jni.c) around
 * bl_add_one and bl_sum; the batch is a Java int[] pinned for each call.
 * java -Dfaultlab.boundary.library=libboundary_jni.so BoundaryJni CALLS ROUNDS WARMUP MAX_BATCH ITEMS
 */
final class BoundaryJni {
    static native int addOne(int x);

    static native long sum(int[] xs, int n);

    public static void main(String[] args) throws Throwable {
        System.load(System.getProperty("faultlab.boundary.library"));
        int[] xs = BoundaryLoop.items(Integer.parseInt(args[3]));
        BoundaryLoop.run(new BoundaryLoop.Crossing() {
            public int addOne(int x) { return BoundaryJni.addOne(x); }

            public long sum(int n) { return BoundaryJni.sum(xs, n); }
        }, args);
    }
}
