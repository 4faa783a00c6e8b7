"""The sanitizer configurations a child can run under, by name.

Python itself is not instrumented, so each runtime is preloaded (LD_PRELOAD of gcc's
shared runtime) and the native library under test is compiled with the matching
``-fsanitize=`` flag. The options make reports deterministic and parseable: stop at
the first error, symbolize, no colour, no leak report unless asked.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

NAMES = ("none", "asan", "ubsan", "tsan", "pymalloc-debug")

# TSan's exit code for a report; anything distinctive that a program rarely uses.
TSAN_EXITCODE = 66


class SanitizerError(Exception):
    """A sanitizer was asked for that this machine cannot provide."""


@dataclass(frozen=True)
class Sanitizer:
    name: str
    runtime: str | None  # gcc runtime library to preload, e.g. "libasan.so"
    cflags: tuple[str, ...]  # flags to compile an instrumented library with
    env: tuple[tuple[str, str], ...]  # environment for the child

    @property
    def build_tag(self) -> str:
        """The build a library needs for this configuration: plain, asan, ubsan or tsan."""
        return self.name if self.runtime else "plain"

    @property
    def fork_sound(self) -> bool:
        """TSan's runtime keeps threads and synchronisation state that a forked child cannot inherit."""
        return self.name != "tsan"

    @property
    def reserves_shadow(self) -> bool:
        """ASan and TSan reserve terabytes of shadow memory: under RLIMIT_AS they cannot even start."""
        return self.name in ("asan", "tsan")

    def child_env(self, base: dict[str, str], *, leaks: bool = False, memory_limit: int | None = None) -> dict[str, str]:
        env = dict(base)
        env.update(self.env)
        if self.name == "asan":
            env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"].replace("detect_leaks=0", f"detect_leaks={int(leaks)}")
        if memory_limit and self.reserves_shadow:
            # Instead of RLIMIT_AS, the runtime's allocator refuses (and reports) any one
            # allocation above the limit. gcc's runtimes have no malloc_limit_mb, and their
            # RSS-limit thread does not run in a preloaded Python: the total is not bounded.
            options = f"{self.name.upper()}_OPTIONS"
            env[options] += f":max_allocation_size_mb={memory_limit // (1 << 20)}:allocator_may_return_null=0"
        if self.runtime:
            preload = runtime_path(self.runtime)
            existing = base.get("LD_PRELOAD", "")
            env["LD_PRELOAD"] = f"{preload}:{existing}" if existing else preload
        return env


# abort_on_error=1: after its report the runtime aborts instead of calling _exit, so
# faulthandler catches SIGABRT and prints the Python stack that led into the bad C call.
# allow_user_segv_handler=0 (ASan): faulthandler must not take SIGSEGV first; it re-raises
# the signal with raise(), and ASan then reports the pid as the faulting address, no stack.
_COMMON = "symbolize=1:color=never:halt_on_error=1:abort_on_error=1"

SANITIZERS: dict[str, Sanitizer] = {
    "none": Sanitizer("none", None, (), ()),
    "pymalloc-debug": Sanitizer(
        "pymalloc-debug", None, (), (("PYTHONMALLOC", "debug"), ("PYTHONDEVMODE", "1"))
    ),
    "asan": Sanitizer(
        "asan",
        "libasan.so",
        ("-fsanitize=address", "-fno-omit-frame-pointer"),
        (
            ("ASAN_OPTIONS", f"{_COMMON}:detect_leaks=0:detect_stack_use_after_return=1"
             ":handle_segv=1:allow_user_segv_handler=0:verify_asan_link_order=0:detect_odr_violation=0:print_legend=0"),
            # Route every Python allocation through malloc, so ASan sees Python-owned buffers.
            ("PYTHONMALLOC", "malloc"),
        ),
    ),
    "ubsan": Sanitizer(
        "ubsan",
        "libubsan.so",
        ("-fsanitize=undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"),
        (("UBSAN_OPTIONS", f"{_COMMON}:print_stacktrace=1:report_error_type=1"),),
    ),
    "tsan": Sanitizer(
        "tsan",
        "libtsan.so",
        ("-fsanitize=thread",),
        (
            ("TSAN_OPTIONS", f"{_COMMON}:exitcode={TSAN_EXITCODE}:second_deadlock_stack=1:report_signal_unsafe=0"),
            ("PYTHONMALLOC", "malloc"),
        ),
    ),
}


def get(name: str) -> Sanitizer:
    try:
        return SANITIZERS[name]
    except KeyError:
        raise SanitizerError(f"unknown sanitizer {name!r}; choose one of {', '.join(NAMES)}") from None


@functools.lru_cache(maxsize=None)
def runtime_path(library: str) -> str:
    """Absolute path of a gcc sanitizer runtime; gcc prints the bare name when it has none."""
    compiler = os.environ.get("CC", "gcc")
    if not shutil.which(compiler):
        raise SanitizerError(f"{compiler} not found; it provides the sanitizer runtimes (apt-get install gcc)")
    out = subprocess.run([compiler, "-print-file-name=" + library], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(out) or not os.path.exists(out):
        raise SanitizerError(f"{library} not found by {compiler}; install gcc's sanitizer runtimes (libasan8, libtsan2, libubsan1)")
    return os.path.realpath(out)
