"""The kernel: how the child ended (a signal, an exit status), when nothing it printed decided."""

from __future__ import annotations

from ._schema import Marker

MARKERS = (
    Marker("trap", "kernel", None, "killed by SIGTRAP", "the child ended by SIGTRAP and no report said more", precedence=575),
    Marker("killed", "kernel", None, "killed by SIGKILL", "the child ended by SIGKILL, SIGTERM, SIGINT or SIGHUP",
           precedence=580),
    Marker("exit-nonzero", "kernel", None, "exit status 3", "non-zero exit status and no other marker", precedence=590),
    Marker("ok", "kernel", None, "exit status 0", "exit status 0 and no other marker", precedence=600),
)

# The kind of a child that died of a signal. A sanitizer's report is decisive even when the
# process later died of something else, so these apply only when no marker matched.
SIGNAL_KINDS = {
    "SIGSEGV": "segv",
    "SIGBUS": "bus-error",
    "SIGFPE": "fpe",
    "SIGILL": "illegal-instruction",
    "SIGABRT": "abort",
    "SIGTRAP": "trap",
    "SIGKILL": "killed",
    "SIGTERM": "killed",
    "SIGINT": "killed",
    "SIGHUP": "killed",
    "SIGXCPU": "killed",
}
