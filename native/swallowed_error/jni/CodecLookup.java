/** Asks the JNI library which codec it found: the optional fast one or the built-in fallback. */
public class CodecLookup {
    static native String codecName();

    public static void main(String[] args) {
        System.loadLibrary("codec_lookup");
        System.out.println("codec: " + codecName());
    }
}
