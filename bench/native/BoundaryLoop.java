/**
 * The boundary bench's protocol on the JVM, shared by the JNI and the Panama child: warm-up
 * rounds (so C2 has compiled the loops and the crossings before anything is timed), then
 * timed rounds of System.nanoTime around one loop each, printed as the one JSON line every
 * runtime's child prints (see boundary_driver.c).
 */
final class BoundaryLoop {
    interface Crossing {
        int addOne(int x) throws Throwable;

        long sum(int n) throws Throwable; // bl_sum over the first n items of the child's array
    }

    static int[] items(int maxBatch) {
        int[] xs = new int[maxBatch];
        for (int i = 0; i < maxBatch; i++) xs[i] = i % 1000;
        return xs;
    }

    static void run(Crossing crossing, String[] args) throws Throwable {
        long calls = Long.parseLong(args[0]);
        int rounds = Integer.parseInt(args[1]), warmup = Integer.parseInt(args[2]);
        int maxBatch = Integer.parseInt(args[3]);
        long items = Long.parseLong(args[4]);
        int sizes = 0;
        for (int n = 1; n <= maxBatch; n *= 2) sizes++;
        double[] perCall = new double[rounds];
        double[][] perItem = new double[sizes][rounds];
        long check = 0;
        for (int r = -warmup; r < rounds; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) check += crossing.addOne(i);
            if (r >= 0) perCall[r] = (double) (System.nanoTime() - start) / calls;
            int k = 0;
            for (int n = 1; n <= maxBatch; n *= 2, k++) {
                long reps = Math.max(1, items / n);
                start = System.nanoTime();
                for (long j = 0; j < reps; j++) check += crossing.sum(n);
                if (r >= 0) perItem[k][r] = (double) (System.nanoTime() - start) / (reps * n);
            }
        }
        StringBuilder out = new StringBuilder("{\"per_call\": ").append(samples(perCall)).append(", \"per_item\": {");
        int k = 0;
        for (int n = 1; n <= maxBatch; n *= 2, k++) {
            out.append(k > 0 ? ", " : "").append('"').append(n).append("\": ").append(samples(perItem[k]));
        }
        System.out.println(out.append("}, \"check\": ").append(check).append('}'));
    }

    private static String samples(double[] values) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) s.append(i > 0 ? ", " : "").append(values[i]);
        return s.append(']').toString();
    }
}
