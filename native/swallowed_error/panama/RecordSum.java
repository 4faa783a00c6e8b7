import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Sums numeric records through a C walker that calls a Java upcall for each one. */
public class RecordSum {
    static long total;

    static int addRecord(MemorySegment record) {
        total += Long.parseLong(record.reinterpret(64).getString(0)); // FLAW: the NumberFormatException cannot cross the C frames: the JVM exits
        return 0;
    }

    static int addRecordOrFail(MemorySegment record) {
        try {
            total += Long.parseLong(record.reinterpret(64).getString(0));
            return 0;
        } catch (NumberFormatException e) { // FIX: the exception stops at the upcall and becomes the status C returns
            return -1;
        }
    }

    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup library = SymbolLookup.libraryLookup(args[0], Arena.global());
        MethodHandle walk = linker.downcallHandle(library.find("walk_records").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        String visitor = args[1].equals("fixed") ? "addRecordOrFail" : "addRecord";
        MethodHandle target = MethodHandles.lookup().findStatic(RecordSum.class, visitor,
                MethodType.methodType(int.class, MemorySegment.class));
        String[] records = {"12", "30", "n/a", "5"};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, records.length);
            for (int i = 0; i < records.length; i++)
                pointers.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(records[i]));
            MemorySegment stub = linker.upcallStub(target, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS), arena);
            int status = (int) walk.invokeExact(pointers, records.length, stub);
            System.out.println(status != 0 ? "a record is not a number; the sum before it is " + total : "sum " + total);
        }
    }
}
