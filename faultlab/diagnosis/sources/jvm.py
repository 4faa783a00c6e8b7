"""The JVM: its fatal error report (hs_err, on stdout) and the Java exceptions it prints.

The report names the signal its handler caught, in a JNI library or in the VM; the JVM exits
1 or aborts, depending on -XX:+CreateCoredumpOnCrash. Frame syntax, after "Problematic frame:":
``# C  [libcrash.so+0x1109]  Java_Crash_boom+0x10`` (C native, V the VM), and j/J for
interpreted/compiled Java (``J 12 c2 Crash.boom()V (5 bytes) @ 0x7f... [0x7f...+0x2c]``).
"""

from __future__ import annotations

import re

from ._schema import Marker

MARKERS = (
    # Modified UTF-8 / CESU-8 bytes met by a strict decoder.
    Marker("encoding-corruption", "java", r"java\.nio\.charset\.MalformedInputException.*",
           "java.nio.charset.MalformedInputException: Input length = 1", precedence=440),
    Marker("segv", "jvm", r"^#\s+SIGSEGV \(0xb\) at pc=.*",
           "#  SIGSEGV (0xb) at pc=0x00007f56c46d2f94, pid=27963, tid=27965", precedence=450),
    Marker("bus-error", "jvm", r"^#\s+SIGBUS \(0x7\) at pc=.*", "#  SIGBUS (0x7) at pc=0x00007f3a2c1b8e51, pid=4242, tid=4243",
           precedence=460),
    Marker("fpe", "jvm", r"^#\s+SIGFPE \(0x8\) at pc=.*", "#  SIGFPE (0x8) at pc=0x00007f3a2c1b8e51, pid=4242, tid=4243",
           precedence=470),
    Marker("illegal-instruction", "jvm", r"^#\s+SIGILL \(0x4\) at pc=.*",
           "#  SIGILL (0x4) at pc=0x00007f3a2c1b8e51, pid=4242, tid=4243", precedence=480),
)

NATIVE_FRAME = re.compile(r"^#?\s*[CV]\s+\[(?P<obj>[^\]+]+)\+0x[0-9a-f]+\]\s+(?P<func>[^+\s]+)")
JAVA_FRAME = re.compile(r"^#?\s*[jJ]\s+(?:\d+\s+c\d\s+)?(?P<func>[\w$.<>]+)\(")

RUNTIME_MODULES = (r"libjvm",)
