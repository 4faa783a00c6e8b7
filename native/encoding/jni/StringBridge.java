/* @description CWE-172: a Java string handed to C through JNI, and from C to a Python reader.
 * main() reads its standard input as UTF-8, so the text arrives intact whatever the
 * locale, and passes the String to the native emit(), which writes it to standard
 * output (string_bridge.c). What bytes come out is decided on the C side. */
import java.io.IOException;
import java.nio.charset.StandardCharsets;

public final class StringBridge {
    static {
        System.loadLibrary("string_bridge");
    }

    private StringBridge() {
    }

    /** Writes {@code text} to standard output, encoded as the native side chooses. */
    private static native void emit(String text);

    public static void main(String[] args) throws IOException {
        emit(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
    }
}
