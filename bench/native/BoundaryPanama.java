import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The boundary bench's Panama (java.lang.foreign, JDK 22+) child: downcall handles to
 * bl_add_one and bl_sum, the batch in native memory of the global arena, so a batched call
 * passes one address. The handles are static finals, as the FFM guide says, so the JIT
 * treats them as constants and compiles each call into a direct downcall stub.
 * java -Dfaultlab.boundary.library=LIBRARY BoundaryPanama CALLS ROUNDS WARMUP MAX_BATCH ITEMS
 */
final class BoundaryPanama {
    private static final SymbolLookup LIBRARY = SymbolLookup.libraryLookup(
            Path.of(System.getProperty("faultlab.boundary.library")), Arena.global());
    private static final MethodHandle ADD_ONE = Linker.nativeLinker().downcallHandle(
            LIBRARY.find("bl_add_one").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SUM = Linker.nativeLinker().downcallHandle(
            LIBRARY.find("bl_sum").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    public static void main(String[] args) throws Throwable {
        int[] items = BoundaryLoop.items(Integer.parseInt(args[3]));
        MemorySegment xs = Arena.global().allocate(ValueLayout.JAVA_INT, items.length);
        MemorySegment.copy(items, 0, xs, ValueLayout.JAVA_INT, 0, items.length);
        BoundaryLoop.run(new BoundaryLoop.Crossing() {
            public int addOne(int x) throws Throwable { return (int) ADD_ONE.invokeExact(x); }

            public long sum(int n) throws Throwable { return (long) SUM.invokeExact(xs, (long) n); }
        }, args);
    }
}
