"""The JVM: its fatal error report (hs_err, on stdout), its JNI checker, the FFM API's upcall verdict and the Java exceptions it prints.

Under ``-Xcheck:jni`` the VM checks every JNI call and prints, on stdout, "FATAL ERROR in
native method: <rule>" (then aborts, or exits 1 under -XX:-CreateCoredumpOnCrash) or
"WARNING in native method: <rule>" (and goes on), followed by the Java stack of the call:
``\tat Check.pending(Native Method)``, ``\tat Check.main(Check.java:8)``. A call from a
thread the VM does not know has no Java stack.

An exception that escapes a Panama upcall cannot unwind the C frames under it: the FFM API
prints it (``java.lang.NumberFormatException: ...`` and its ``\tat`` lines) and then
"Unrecoverable uncaught exception encountered. The VM will now exit", exit status 1.

An exception nothing catches ends its thread with "Exception in thread "main" <type>: <message>",
its stack and its causes ("Caused by: ..."); when it is main's, the JVM exits 1.

The report names the signal its handler caught, in a JNI library or in the VM; the JVM exits
1 or aborts, depending on -XX:+CreateCoredumpOnCrash. Frame syntax, after "Problematic frame:":
``# C  [libcrash.so+0x1109]  Java_Crash_boom+0x10`` (C native, V the VM), and j/J for
interpreted/compiled Java (``J 12 c2 Crash.boom()V (5 bytes) @ 0x7f... [0x7f...+0x2c]``).
"""

from __future__ import annotations

import re

from ..verdict import Frame
from ._frames import module_name
from ._schema import ANY, Marker, Reading

MARKERS = (
    # Modified UTF-8 / CESU-8 bytes met by a strict decoder.
    Marker("encoding-corruption", "java", r"java\.nio\.charset\.MalformedInputException.*",
           "java.nio.charset.MalformedInputException: Input length = 1", precedence=440),
    # -Xcheck:jni: the VM's own boundary checker. The rule broken decides the mode; an unknown
    # rule is still a JNI misuse, of no mode in particular.
    Marker("ffi-rule-violation", "xcheck-jni", r"^FATAL ERROR in native method: Using JNIEnv in (?:the wrong|non-Java) thread.*",
           "FATAL ERROR in native method: Using JNIEnv in non-Java thread", precedence=441, mode="threading"),
    Marker("ffi-rule-violation", "xcheck-jni",
           r"^FATAL ERROR in native method: (?:Bad global or local ref passed to JNI|.*[Ii]nvalid (?:\w+ )*JNI handle).*",
           "FATAL ERROR in native method: Bad global or local ref passed to JNI", precedence=442, mode="lifetime"),
    Marker("ffi-rule-violation", "xcheck-jni",
           r"^WARNING in native method: JNI call made (?:with exception pending|without checking exceptions when required to).*",
           "WARNING in native method: JNI call made with exception pending", precedence=443, mode="swallowed-error",
           ending=ANY),  # the VM warns and goes on
    Marker("ffi-rule-violation", "xcheck-jni", r"^FATAL ERROR in native method: .*",
           "FATAL ERROR in native method: JNI received a null class", precedence=444),
    # The FFM API (Panama): an exception escaped an upcall into C frames, which cannot unwind, so
    # the VM prints it and exits. The rule broken is the boundary's: the C caller never hears of it.
    Marker("ffi-rule-violation", "ffm", r"^Unrecoverable uncaught exception encountered\. The VM will now exit$",
           "Unrecoverable uncaught exception encountered. The VM will now exit", precedence=445, mode="swallowed-error"),
    # After the checker's markers: an exception it reports is the rule's, not the program's.
    Marker("uncaught-exception", "java", r'^Exception in thread "[^"\n]*" [\w$.]+(?::.*)?$',
           'Exception in thread "main" java.lang.IllegalStateException: count out of range: 70', "and the exit status is not 0",
           precedence=446),
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

# The checker's stack: "\tat Check.main(Check.java:8)", "\tat Check.pending(Native Method)".
CHECKED_FRAME = re.compile(r"^\tat (?:[\w.$]+/)?(?P<func>[\w$.<>]+)\((?:(?P<file>[^():]+):(?P<line>\d+)|Native Method|[^)]*)\)")

# The fatal error report in full: the crashing thread's native and Java frames, and the faulting address.
REPORT_FILES = (r"hs_err_pid\d+\.log",)
# Every JVM reads JAVA_TOOL_OPTIONS; an -XX:ErrorFile on its command line still wins.
REPORT_FILE_OPTIONS = (("JAVA_TOOL_OPTIONS", "-XX:ErrorFile=", "{dir}/hs_err_pid%p.log"),)

RUNTIME_MODULES = (r"libjvm",)
# The class library's own frames (a class loader under a failed FindClass), never the bug.
RUNTIME_FUNCTIONS = (r"(?:java|javax|jdk|sun)\.[\w$.<>]+",)


# The full report's frame lists: "v  ~StubRoutines::call_stub" names no function, and is skipped.
_FRAME_LIST_LINE = re.compile(r"^[CVvjJA]\s")
SIGINFO = re.compile(r"^siginfo: si_signo: (?P<signo>\d+) \(\w+\), si_code: (?P<code>-?\d+) \(\w*\), si_addr: (?P<addr>0x[0-9a-f]+)",
                     re.MULTILINE)


def fatal_error_frames(text: str) -> tuple[Frame, ...]:
    """The crashing thread's frames of a fatal error report: its "Native frames:" list where the
    report file follows (native and Java frames, innermost first), else the one frame that
    follows "Problematic frame:" in the summary on stdout."""
    lines = text.splitlines()
    listed = next((i for i, line in enumerate(lines) if line.startswith("Native frames:")), None)
    start = listed if listed is not None else next((i for i, line in enumerate(lines) if "Problematic frame:" in line), None)
    if start is None:
        return ()
    frames = []
    for line in lines[start + 1:]:
        native, java = NATIVE_FRAME.match(line), JAVA_FRAME.match(line)
        if native:
            frames.append(Frame(native.group("func"), module_name(native.group("obj"))))
        elif java:
            frames.append(Frame(java.group("func"), "java"))
        elif not (listed is not None and _FRAME_LIST_LINE.match(line)):
            break
    return tuple(frames)


def faulting_address(text: str) -> int | None:
    """The address of a SIGSEGV or SIGBUS the report file's siginfo names, for a fault at an address (si_code 1 or 2)."""
    info = SIGINFO.search(text)
    if info is None or info.group("signo") not in ("7", "11") or info.group("code") not in ("1", "2"):
        return None
    return int(info.group("addr"), 16)


def checked_frames(text: str) -> tuple[Frame, ...]:
    """The Java stack under the first line of ``text`` (an -Xcheck:jni message): a native method's module is "native"."""
    frames = []
    for line in text.splitlines()[1:]:
        m = CHECKED_FRAME.match(line)
        if not m:
            break
        frames.append(Frame(m.group("func"), m.group("file") or "native", int(m.group("line")) if m.group("line") else None))
    return tuple(frames)


# The line that names a printed exception: "java.lang.NumberFormatException: For input string: \"n/a\"".
EXCEPTION_LINE = re.compile(r"^(?:[\w$]+\.)+[\w$]*(?:Exception|Error|Throwable)\b(?::.*)?$", re.MULTILINE)


def escaped_upcall(text: str) -> tuple[str, tuple[Frame, ...]]:
    """The last exception printed before ``text``'s end (the FFM API prints it above its verdict) and its Java stack."""
    found = None
    for found in EXCEPTION_LINE.finditer(text):
        pass
    if found is None:
        return "", ()
    return found.group(0).strip(), checked_frames(text[found.start():])

CAUSE = re.compile(r"^Caused by: (?P<exception>(?P<type>[\w$.]+)(?::.*)?)$")


def uncaught(match: re.Match, text: str) -> Reading:
    """The exception, its root cause and the stack it was thrown from; its type and the cause's tell it from another."""
    exception = match.group(0).split('" ', 1)[1]
    kind = re.match(r"[\w$.]+", exception).group(0)
    cause = None
    for line in text[match.end():].split("\n")[1:]:  # its stack: "\tat ...", "\t... 1 more", "Caused by: ..."
        if not line.startswith(("\t", "Caused by: ")):
            break
        cause = CAUSE.match(line) or cause
    told = f" (caused by {cause.group('exception')})" if cause else ""
    return Reading(headline=f"uncaught Java {exception}{told}", native_stack=checked_frames(text[match.start():]),
                   signature=(kind, *((cause.group("type"),) if cause else ())))


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    if marker.source == "java" and marker.kind == "uncaught-exception":
        return uncaught(match, text)
    if marker.source == "jvm":
        caught = re.sub(r"^#\s+|(?<!\s)\s+at pc=.*$", "", match.group(0).strip())
        headline = f"the JVM caught {caught}"
        address = faulting_address(text[match.start():])
        near_null = marker.kind == "segv" and address is not None and address < 0x1000
        if address is not None:
            headline += f" at address {address:#x}"
        return Reading(headline=headline, native_stack=fatal_error_frames(text[match.start():]),
                       kind="null-deref" if near_null else None)
    if marker.source == "xcheck-jni":
        return Reading(native_stack=checked_frames(text[match.start():]))
    if marker.source == "ffm":
        exception, frames = escaped_upcall(text[:match.start()])
        headline = f"a Java exception escaped an upcall into C: {exception}" if exception else None
        return Reading(headline=headline, native_stack=frames, evidence=(exception,) if exception else ())
    return Reading()
