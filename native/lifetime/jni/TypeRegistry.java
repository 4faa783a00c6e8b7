/** Asks the JNI library, call after call, whether each value is text. */
public class TypeRegistry {
    static native boolean isText(Object value);

    public static void main(String[] args) {
        System.loadLibrary("type_registry");
        for (Object value : new Object[] {"first", 2, "third"})
            System.out.println(value + " is text: " + isText(value));
    }
}
