"""A three-case catalog in a temporary project, for the tests of faultlab's reporters.

It has what the reporters must handle: a fix in C (``#ifdef FAULTLAB_FIXED``), a fix in
the binding found by an oracle (``faultlab.Detected``), two failure modes, two sanitizer
configurations, and one case whose declaration is wrong on purpose, so a run has an
unexpected verdict. Everything runs for real: gcc, ASan, child processes.
"""

from __future__ import annotations

from pathlib import Path

UAF_C = r"""/* @description CWE-416: a block is read after it was freed; the fix reads it first. */
#include <stdlib.h>
int touch_freed(void) {
    char *p = malloc(16);
    p[0] = 7;
#ifdef FAULTLAB_FIXED
    int v = p[0]; /* FIX: read before free */
    free(p);
    return v;
#else
    free(p);
    return p[0]; /* FLAW: read after free */
#endif
}
"""

UAF_CASE = '''"""A use-after-free inside C, fixed in C: the fixed build reads the block before freeing it."""
from faultlab.lab.catalog import Case
from faultlab.lab.native import Library

LIB = Library("lifetime/uaf")

uaf = Case(
    id="lifetime/demo-uaf", mode="lifetime", cwe="CWE-416", title="reads a freed block",
    explanation=__doc__, expect={"asan": "heap-use-after-free"}, fix_in="native", libraries=(LIB,),
)

# The same bug declared as the wrong kind: its broken variant is an unexpected verdict.
mislabelled = Case(
    id="lifetime/demo-mislabelled", mode="lifetime", cwe="CWE-415", title="declares a double free it does not do",
    explanation=__doc__, expect={"asan": "double-free"}, fix_in="native", libraries=(LIB,),
)


@uaf.broken
@mislabelled.broken
def broken():
    LIB.ctypes().touch_freed()


@uaf.fixed
@mislabelled.fixed
def fixed():
    LIB.ctypes().touch_freed()
'''

STATUS_C = r"""/* @description CWE-252: parse_port() reports a bad port by its return value only. */
#include <stdlib.h>
int parse_port(const char *text, int *port) {
    char *end;
    long value = strtol(text, &end, 10);
    if (*end || value < 1 || value > 65535)
        return -1; /* the only sign of the error */
    *port = (int)value;
    return 0;
}
"""

STATUS_CASE = '''"""The binding drops parse_port()'s status and goes on with a port that was never set."""
import ctypes

from faultlab import Detected
from faultlab.lab.catalog import Case
from faultlab.lab.native import Library

LIB = Library("swallowed_error/status")

ignored_status = Case(
    id="swallowed-error/demo-ignored-status", mode="swallowed-error", cwe="CWE-252",
    title="the caller ignores a -1 status", explanation=__doc__,
    expect={"none": "swallowed-error", "asan": "swallowed-error"}, fix_in="binding", libraries=(LIB,),
)


def check(port):
    if port.value == 0:
        raise Detected("swallowed-error", "parse_port failed and the caller went on with port 0")


@ignored_status.broken
def ignore_the_status():
    port = ctypes.c_int(0)
    LIB.ctypes().parse_port(b"80a", ctypes.byref(port))  # FLAW: the status is dropped
    check(port)


@ignored_status.fixed
def check_the_status():
    port = ctypes.c_int(0)
    if LIB.ctypes().parse_port(b"80a", ctypes.byref(port)) != 0:  # FIX: a failed parse takes the default
        port.value = 8080
    check(port)
'''

FILES = {
    "native/lifetime/uaf.c": UAF_C,
    "cases/lifetime/case_demo_uaf.py": UAF_CASE,
    "native/swallowed_error/status.c": STATUS_C,
    "cases/swallowed_error/case_demo_status.py": STATUS_CASE,
}


def write_project(root: Path) -> Path:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def line_of(root: Path, name: str, needle: str) -> int:
    """The 1-based line of ``name`` that contains ``needle``: tests never hard-code line numbers."""
    for number, text in enumerate((root / name).read_text().splitlines(), 1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {name}")
