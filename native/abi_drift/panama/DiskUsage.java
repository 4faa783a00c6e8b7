import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;

/** Asks the C library for a disk's usage through a downcall whose descriptor the Java side wrote. */
public class DiskUsage {
    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup library = SymbolLookup.libraryLookup(args[0], Arena.global());
        MemorySegment totalBytes = library.find("total_bytes").orElseThrow();
        int blocks = 3_000_000, blockSize = 4096;
        long used;
        if (args[1].equals("fixed")) {
            // FIX: the descriptor says what version 2's C signature says: int64_t total_bytes(int32_t, int32_t)
            MethodHandle call = linker.downcallHandle(totalBytes, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            used = (long) call.invokeExact(blocks, blockSize);
        } else {
            // FLAW: version 1's descriptor: the upper 32 bits of the int64_t result are dropped
            MethodHandle call = linker.downcallHandle(totalBytes, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            used = (int) call.invokeExact(blocks, blockSize);
        }
        long expected = Math.multiplyExact((long) blocks, blockSize);
        if (used != expected) { // the oracle: the answer is known
            System.err.println("faultlab.Detected: abi-mismatch: total_bytes returned " + used + " for " + blocks
                               + " blocks of " + blockSize + " bytes, not " + expected);
            System.exit(1);
        }
        System.out.println("used " + used + " bytes");
    }
}
