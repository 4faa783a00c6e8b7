"""Run configurations: everything a child needs to run under one sanitizer set-up, in one frozen object.

Python itself is not instrumented, so a configuration preloads its runtime (LD_PRELOAD of
gcc's shared sanitizer runtime, or clang's, or a shared libFuzzer) and the native library
under test is compiled with the matching flags. The options make reports deterministic and
parseable: stop at the first error, symbolize (under ASan, UBSan, TSan and LSan, faultlab's own warm
symbolizer does it: ``parent_symbolizes``), no colour, no leak report unless asked.

A configuration is resolved once (by the command line, the pytest plugin or the fuzzer)
and passed down explicitly: execute -> isolation -> runner -> child. The child receives it
as one environment variable (``FAULTLAB_CONFIGURATION``, JSON) and ``Library`` builds
and loads what it says. Adding a configuration is one entry in ``CONFIGURATIONS``; a
derived one (the fuzzer's clang ASan with a preloaded libFuzzer) is ``dataclasses.replace``
of an entry.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass

from . import symbolize

ENV = "FAULTLAB_CONFIGURATION"

# TSan's exit code for a report; anything distinctive that a program rarely uses.
TSAN_EXITCODE = 66


class ConfigurationError(Exception):
    """A configuration was asked for that this machine cannot provide."""


class OptionOverridden(UserWarning):
    """A sanitizer option the user set had to give way: faultlab cannot read the report without its own value."""


# The runtime options faultlab must decide, whatever the user's *SAN_OPTIONS say: where the
# report goes and how it looks (log_path, color, symbolize), that the first error stops the
# run with SIGABRT so faulthandler shows the Python stack (halt_on_error, abort_on_error,
# exitcode), that signals reach ASan first (handle_segv, allow_user_segv_handler), that a
# preloaded runtime may start (verify_asan_link_order), what a UBSan report holds, and the
# leak check the command line asked for. Every other option of the user's is kept, and wins
# over faultlab's defaults (suppressions, detect_stack_use_after_return, ...).
REQUIRED_OPTIONS = frozenset({
    "log_path", "color", "symbolize", "halt_on_error", "abort_on_error", "exitcode", "handle_segv",
    "allow_user_segv_handler", "verify_asan_link_order", "print_stacktrace", "report_error_type", "detect_leaks",
    "stack_trace_format",
})
# sanitizer_common's flag syntax: name=value, separated by ':', ',' or white space; a value may be quoted.
_FLAG = re.compile(r"""(\w+)=("[^"]*"|'[^']*'|[^\s:,]*)""")


def _suppresses(options: str) -> bool:
    """Whether ``options`` name a suppressions file."""
    return bool(dict(_FLAG.findall(options)).get("suppressions", "").strip("'\""))


def merge_options(user: str, ours: str) -> tuple[str, list[str]]:
    """The user's options, then faultlab's where the user set none, then faultlab's required ones.

    Returns the merged value and, for each required option whose user value gave way,
    ``"name=theirs -> ours"``. ``log_path`` is required even when faultlab sets none: the
    report must come to stderr, where faultlab reads it.
    """
    theirs = dict(_FLAG.findall(user))
    merged = dict(theirs)
    mine = dict(_FLAG.findall(ours))
    if "log_path" in theirs:
        mine.setdefault("log_path", "stderr")
    overridden = []
    for name, value in mine.items():
        if name in REQUIRED_OPTIONS or name not in theirs:
            if name in theirs and theirs[name] != value:
                overridden.append(f"{name}={theirs[name]} -> {value}")
            merged[name] = value
    return ":".join(f"{name}={value}" for name, value in merged.items()), overridden


@dataclass(frozen=True)
class Configuration:
    name: str
    sanitizer: str = ""  # the report family verdicts name (none, asan, ...); the name when empty
    runtimes: tuple[str, ...] = ()  # preloaded in order: "gcc:libasan.so", "clang:libclang_rt.asan-x86_64.so", a path
    options: tuple[tuple[str, str], ...] = ()  # the child's environment: *SAN_OPTIONS, PYTHONMALLOC, ...
    compiler: str = "gcc"  # what compiles the libraries under test: gcc, or clang-16 for coverage builds
    cflags: tuple[str, ...] = ()  # how those libraries are instrumented
    build_tag: str = "plain"  # the build cache's name for that instrumentation
    reserves_shadow: bool = False  # terabytes of shadow memory: no RLIMIT_AS, the allocator's own limit instead
    report_sources: tuple[str, ...] = ()  # the report writers its runtimes bring (asan, lsan, ubsan, tsan, ...)
    leaks: bool = False  # LeakSanitizer's check at exit
    setup_signs: tuple[str, ...] = ()  # regexes of a start-up failure that mean "this runtime was not preloaded"
    # The child prints its report's frames unsymbolized (symbolize=0) and the parent symbolizes
    # them warm (report_symbols), where it has an llvm-symbolizer and the user's options name no
    # suppressions (they match by function name: only a symbolizing child can apply them); else
    # the child symbolizes.
    parent_symbolizes: bool = False
    # The options that replace symbolize=1 then: TSan's frames keep no module path to symbolize
    # with, so its child prints sanitizer_common's layout, which does.
    unsymbolized_options: str = "symbolize=0"

    def __post_init__(self):
        if not self.sanitizer:
            object.__setattr__(self, "sanitizer", self.name)

    @property
    def options_variable(self) -> str | None:
        """The ``*SAN_OPTIONS`` variable of its runtime, if it has one."""
        return next((key for key, _ in self.options if key.endswith("SAN_OPTIONS")), None)

    def preload(self) -> tuple[str, ...]:
        """Absolute paths of its runtimes, in preload order."""
        return tuple(runtime_path(spec) for spec in self.runtimes)

    def environment(self, base: dict[str, str], *, memory_limit: int | None = None) -> dict[str, str]:
        """``base`` plus what a child of this configuration needs: options, preload, and itself.

        The user's own ``*SAN_OPTIONS`` in ``base`` are merged, not replaced (``merge_options``):
        a required option of faultlab's that overrides one of theirs is an ``OptionOverridden``
        warning.
        """
        env = dict(base)
        for key, value in self.options:
            env[key] = value
        variable = self.options_variable
        if variable:
            ours = env[variable]
            if variable == "ASAN_OPTIONS":
                ours = ours.replace("detect_leaks=0", f"detect_leaks={int(self.leaks)}")
            if self.parent_symbolizes and symbolize.command() and not _suppresses(base.get(variable, "")):
                ours = ours.replace("symbolize=1", self.unsymbolized_options)
            if memory_limit and self.reserves_shadow:
                # Instead of RLIMIT_AS, the runtime's allocator refuses (and reports) any one
                # allocation above the limit. gcc's runtimes have no malloc_limit_mb, and their
                # RSS-limit thread does not run in a preloaded Python: the total is not bounded.
                ours += f":max_allocation_size_mb={memory_limit // (1 << 20)}:allocator_may_return_null=0"
            env[variable], overridden = merge_options(base.get(variable, ""), ours)
            for change in overridden:
                warnings.warn(f"{variable}: {change} (faultlab reads the report only with its own value)",
                              OptionOverridden, stacklevel=2)
        preload = ":".join(self.preload())
        if preload:
            existing = base.get("LD_PRELOAD", "")
            env["LD_PRELOAD"] = f"{preload}:{existing}" if existing else preload
        env[ENV] = self.to_json()
        return env

    def with_leaks(self, leaks: bool) -> "Configuration":
        return self if leaks == self.leaks else dataclasses.replace(self, leaks=leaks)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Configuration":
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: tuple(map(tuple, v)) if k == "options" else tuple(v) if isinstance(v, list) else v
                      for k, v in data.items() if k in known})


# abort_on_error=1: after its report the runtime aborts instead of calling _exit, so
# faulthandler catches SIGABRT and prints the Python stack that led into the bad C call.
# allow_user_segv_handler=0 (ASan): faulthandler must not take SIGSEGV first; it re-raises
# the signal with raise(), and ASan then reports the pid as the faulting address, no stack.
_COMMON = "symbolize=1:color=never:halt_on_error=1:abort_on_error=1"
ASAN_OPTIONS = (f"{_COMMON}:detect_leaks=0:detect_stack_use_after_return=1:handle_segv=1:allow_user_segv_handler=0"
                ":verify_asan_link_order=0:detect_odr_violation=0:print_legend=0")

CONFIGURATIONS: dict[str, Configuration] = {c.name: c for c in (
    Configuration("none"),
    Configuration("pymalloc-debug", options=(("PYTHONMALLOC", "debug"), ("PYTHONDEVMODE", "1")),
                  report_sources=("cpython",)),
    Configuration(
        "asan", runtimes=("gcc:libasan.so",),
        # PYTHONMALLOC=malloc: every Python allocation through malloc, so ASan sees Python-owned buffers.
        options=(("ASAN_OPTIONS", ASAN_OPTIONS), ("PYTHONMALLOC", "malloc")),
        cflags=("-fsanitize=address", "-fno-omit-frame-pointer"), build_tag="asan",
        reserves_shadow=True, report_sources=("asan", "lsan"),
        setup_signs=(r"ASan runtime does not come first", r"__asan_"), parent_symbolizes=True,
    ),
    Configuration(
        "ubsan", runtimes=("gcc:libubsan.so",),
        options=(("UBSAN_OPTIONS", f"{_COMMON}:print_stacktrace=1:report_error_type=1"),),
        cflags=("-fsanitize=undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"), build_tag="ubsan",
        report_sources=("ubsan",), setup_signs=(r"__ubsan_",), parent_symbolizes=True,
    ),
    Configuration(
        "tsan", runtimes=("gcc:libtsan.so",),
        options=(("TSAN_OPTIONS", f"{_COMMON}:exitcode={TSAN_EXITCODE}:second_deadlock_stack=1:report_signal_unsafe=0"),
                 ("PYTHONMALLOC", "malloc")),
        cflags=("-fsanitize=thread",), build_tag="tsan", reserves_shadow=True,
        report_sources=("tsan",), setup_signs=(r"static TLS block", r"__tsan_"),
        parent_symbolizes=True, unsymbolized_options="symbolize=0:stack_trace_format=DEFAULT",
    ),
    # LeakSanitizer alone: no shadow memory, no slowdown, a report of what nothing points to at exit.
    Configuration(
        "lsan", runtimes=("gcc:liblsan.so",),
        options=(("LSAN_OPTIONS", f"{_COMMON}:exitcode=23"), ("PYTHONMALLOC", "malloc")),
        cflags=("-fsanitize=leak", "-fno-omit-frame-pointer"), build_tag="lsan", leaks=True,
        report_sources=("lsan",), setup_signs=(r"__lsan_",), parent_symbolizes=True,
    ),
)}
NAMES = tuple(CONFIGURATIONS)


def get(name: str) -> Configuration:
    try:
        return CONFIGURATIONS[name]
    except KeyError:
        raise ConfigurationError(f"unknown sanitizer {name!r}; choose one of {', '.join(NAMES)}") from None


def resolve(configuration: str | Configuration) -> Configuration:
    """A configuration given by name or as itself."""
    return configuration if isinstance(configuration, Configuration) else get(configuration)


def active() -> Configuration:
    """The configuration this process was started under (``none`` outside faultlab's children)."""
    text = os.environ.get(ENV)
    return Configuration.from_json(text) if text else CONFIGURATIONS["none"]


@functools.lru_cache(maxsize=None)
def runtime_path(spec: str) -> str:
    """The absolute path of a runtime: ``gcc:libasan.so`` asks gcc, ``clang:...`` clang-16; a path is itself."""
    compiler, _, library = spec.partition(":")
    if not library:
        return spec
    compiler = os.environ.get("CC", "gcc") if compiler == "gcc" else "clang-16" if compiler == "clang" else compiler
    if not shutil.which(compiler):
        package = "clang-16 libclang-rt-16-dev" if "clang" in compiler else "gcc"
        raise ConfigurationError(f"{compiler} not found; it provides the sanitizer runtimes (apt-get install {package})")
    out = subprocess.run([compiler, "-print-file-name=" + library], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(out) or not os.path.exists(out):
        raise ConfigurationError(f"{library} not found by {compiler}; install its sanitizer runtimes "
                                 "(gcc: libasan8, libtsan2, libubsan1, liblsan0; clang: libclang-rt-16-dev)")
    return os.path.realpath(out)
