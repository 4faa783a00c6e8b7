import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;

/** Hands C a buffer of a confined Arena for a checksum that C finishes later. */
public class ArenaChecksum {
    // Larger than glibc's largest mmap threshold (32 MiB): the block is unmapped when it is freed.
    static final long SIZE = 64L << 20;

    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup library = SymbolLookup.libraryLookup(args[0], Arena.global());
        MethodHandle start = linker.downcallHandle(library.find("checksum_start").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle finish = linker.downcallHandle(library.find("checksum_finish").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG));
        long sum;
        if (args[1].equals("fixed")) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(SIZE);
                buffer.fill((byte) 1);
                start.invokeExact(buffer, SIZE);
                sum = (long) finish.invokeExact(); // FIX: C is done with the buffer before the arena closes
            }
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(SIZE);
                buffer.fill((byte) 1);
                start.invokeExact(buffer, SIZE);
            } // FLAW: the arena frees the buffer while C still holds its address
            sum = (long) finish.invokeExact();
        }
        System.out.println("checksum " + sum);
    }
}
