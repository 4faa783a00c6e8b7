"""JNI code passes GetStringUTFChars' bytes on as UTF-8, and a Python reader fails on the emoji.

The runtime's rule: ``GetStringUTFChars`` returns *modified* UTF-8, the JVM's internal
form, not UTF-8: a supplementary character is a surrogate pair with each half encoded
as three bytes (``ED A0 BD ED B8 80`` for U+1F600) and NUL is ``C0 80``. Here a real JVM
runs ``StringBridge``; its native ``emit()`` writes the string's bytes to standard
output, and the Python side that started ``java`` decodes them as UTF-8, as the JNI
author promised. ASCII and accented text pass every test; the first emoji from a real
user ends in ``UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed``. The fix, in
the C code, reads the UTF-16 units with ``GetStringRegion`` and encodes standard UTF-8
itself (in Java, ``text.getBytes(StandardCharsets.UTF_8)`` would do the same).
"""

import subprocess
import sys

from faultlab.lab import java
from faultlab import Case, Expect, Library

LIB = Library("encoding/jni/string_bridge", jni=True)
JAVA_SOURCES = ("encoding/jni/StringBridge.java",)
GREETING = "Grüße aus Köln 🎉, bis bald 👋"

jni_get_string_utf_chars = Case(
    id="encoding/jni-get-string-utf-chars",
    mode="encoding",
    cwe="CWE-172",
    title="JNI's GetStringUTFChars output (modified UTF-8) is passed to Python as UTF-8 and fails to decode",
    explanation=__doc__,
    expect={"none": Expect("encoding-corruption", frame="text_from_the_jvm")},
    fix_in="native",
    libraries=(LIB,),
    timeout=60.0,  # the first run compiles the Java class
    requires=("jdk",),
)


def text_from_the_jvm(text: str) -> str:
    """What ``StringBridge.emit(text)`` writes to standard output, from a real ``java`` process, read as UTF-8."""
    classes = java.compile_classes(*JAVA_SOURCES)
    argv = java.java_command("StringBridge", classes, library_dir=LIB.path().parent)
    proc = subprocess.run(argv, input=text.encode("utf-8"), capture_output=True, timeout=45)
    sys.stderr.buffer.write(proc.stderr)  # the JVM's own complaints, for the classifier
    if proc.returncode != 0:
        raise SystemExit(f"java exited with status {proc.returncode}")
    return proc.stdout.decode("utf-8")  # the bridge's contract: standard output is UTF-8


@jni_get_string_utf_chars.broken
def emit_get_string_utf_chars():
    assert text_from_the_jvm(GREETING) == GREETING  # the broken build writes GetStringUTFChars' bytes


@jni_get_string_utf_chars.fixed
def emit_standard_utf8():
    assert text_from_the_jvm(GREETING) == GREETING  # the fixed build encodes the UTF-16 units as UTF-8
