"""Native coverage for atheris: a shared libFuzzer that instrumented libraries can reach.

atheris links its own copy of libFuzzer into its extension and exports none of the
coverage callbacks, so a library compiled with ``-fsanitize=fuzzer-no-link`` does not
even load next to it (``undefined symbol: __sanitizer_cov_pcs_init``). We link clang's
``libclang_rt.fuzzer_no_main`` archive into a shared object in faultlab's build cache
and preload it; atheris then prints "Using preloaded libfuzzer", and the library's
counters and comparisons (``trace-cmp``: a 4-byte magic falls in under a second) feed
the fuzzer.

The preload order, with ASan: ``libfuzzer.so`` first, then clang's ASan runtime
(``libclang_rt.asan-x86_64.so``; the library under test was compiled by clang-16, so gcc's
libasan is not its runtime). ASan's runtime carries weak fallbacks of the very
``__sanitizer_cov_*`` callbacks libFuzzer defines, and the first object in the lookup order
wins: with ASan first, atheris warns "Coverage symbols are being provided by a library
other than libFuzzer" and the fuzzer never leaves ``ft: 1``. ASan's wish to come first is
only a start-up check, which ``verify_asan_link_order=0`` (faultlab/diagnosis/configurations.py) turns
off; its malloc and memcmp interceptors still come before libc's, so reports are intact.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..diagnosis import configurations
from ..diagnosis.configurations import Configuration
from ..lab import build
from ..lab.native import VARIANT_ENV


class FuzzSetupError(Exception):
    """Fuzzing cannot start on this machine; the message is one line for a person."""


def require_atheris() -> None:
    if importlib.util.find_spec("atheris") is None:
        raise FuzzSetupError("atheris is not installed; run: .venv/bin/pip install -e '.[fuzz]'")


def clang_runtime(name: str) -> Path:
    """A file of clang-16's compiler-rt for this machine, e.g. ``fuzzer_no_main`` -> the .a archive."""
    if not shutil.which(build.CLANG):
        raise FuzzSetupError(f"{build.CLANG} not found; native coverage needs it "
                             "(apt-get install clang-16 libclang-rt-16-dev)")
    suffix = ".so" if name == "asan" else ".a"
    wanted = f"libclang_rt.{name}-{platform.machine()}{suffix}"
    out = subprocess.run([build.CLANG, f"-print-file-name={wanted}"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(out) or not os.path.exists(out):
        raise FuzzSetupError(f"{wanted} not found by {build.CLANG}; apt-get install libclang-rt-16-dev")
    return Path(out)


@functools.lru_cache(maxsize=None)
def libfuzzer() -> Path:
    """The shared libFuzzer, built once per archive into the build cache (lock + atomic rename)."""
    archive = clang_runtime("fuzzer_no_main")
    digest = hashlib.sha256(build.compiler_version(build.CLANG).encode() + archive.read_bytes()).hexdigest()[:20]
    target = build.cache_root() / f"libfuzzer-{digest}" / "libfuzzer.so"  # the name diagnosis/sources/atheris.py knows
    command = [build.CLANG, "-shared", "-o", "{output}", "-Wl,--whole-archive", str(archive), "-Wl,--no-whole-archive",
               "-lstdc++", "-lpthread", "-ldl", "-lm"]
    return build.compile_once(target, command, failure="cannot link the shared libFuzzer", error=FuzzSetupError)


# The builds a harness loads with native coverage: clang-16, coverage counters and comparisons,
# and (with ASan) clang's ASan. Their runtimes (libFuzzer first) are added by ``runtime()``.
COVERAGE = Configuration("libfuzzer-coverage", sanitizer="none", compiler="clang",
                         cflags=("-fsanitize=fuzzer-no-link",), build_tag="coverage")
COVERAGE_ASAN = dataclasses.replace(configurations.get("asan"), name="libfuzzer-clang-asan", compiler="clang",
                                    cflags=("-fsanitize=fuzzer-no-link,address",), build_tag="coverage-asan")


@dataclass(frozen=True)
class FuzzRuntime:
    """How a harness child is started: its run configuration (preloads, options, the library build)."""

    configuration: Configuration

    @property
    def build_tag(self) -> str:  # coverage, coverage-asan, or (without native coverage) plain, asan
        return self.configuration.build_tag

    @property
    def sanitizer(self) -> str:  # none or asan: what the verdicts of this runtime say
        return self.configuration.sanitizer

    def child_env(self, variant: str, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment the runner starts a harness with (the configuration is the runner's part)."""
        env = dict(os.environ if base is None else base)
        env[VARIANT_ENV] = variant
        return env


def runtime(sanitizer: str, *, native_coverage: bool = True) -> FuzzRuntime:
    """The runtime for a harness that asks for ``sanitizer`` (none or asan).

    Without native coverage the library is built as for the catalog (gcc, ``plain`` or
    ``asan``) and only the harness's own Python code is instrumented; the same shared
    libFuzzer is preloaded, so that is the only difference between the two.
    """
    require_atheris()
    if sanitizer not in ("none", "asan"):
        raise FuzzSetupError(f"harnesses run under none or asan, not {sanitizer!r}")
    base = configurations.get(sanitizer)
    if native_coverage:
        base = COVERAGE_ASAN if sanitizer == "asan" else COVERAGE
        # clang's ASan runtime: the library under test was compiled by clang-16, not gcc.
        runtimes = (str(clang_runtime("asan")),) if sanitizer == "asan" else ()
    else:
        base = dataclasses.replace(base, name=f"libfuzzer-{base.name}")
        runtimes = base.runtimes
    # libFuzzer before the sanitizer's runtime: see the module docstring. The fuzzing child
    # symbolizes its own reports: libFuzzer tells crashes apart by their functions' names
    # (DEDUP_TOKEN, -minimize_crash); a replay is symbolized warm (triage.replay).
    return FuzzRuntime(dataclasses.replace(base, runtimes=(str(libfuzzer()), *runtimes), parent_symbolizes=False))


PROBE = Path(__file__).with_name("probe.py")


def check(seconds: float = 20.0) -> tuple[bool, str]:
    """Whether native coverage works here, shown end to end: fuzz the probe until it finds its magic.

    The probe (faultlab/fuzzing/probe.py) hides an ASan-detected overflow behind a 4-byte
    magic in C; finding it proves that the library was instrumented, that atheris uses the
    preloaded libFuzzer, and that ASan's report and the coverage work together.
    """
    import tempfile
    import time

    from ..diagnosis.classify import classify
    from ..diagnosis.runner import run

    try:
        rt = runtime("asan")
    except (FuzzSetupError, build.BuildError, configurations.ConfigurationError) as exc:
        return False, str(exc)
    with tempfile.TemporaryDirectory(prefix="faultlab-probe-") as work:
        started = time.monotonic()
        outcome = run([sys.executable, str(PROBE), f"-max_total_time={int(seconds)}", f"-artifact_prefix={work}/"],
                      sanitizer=rt.configuration, timeout=seconds + 120, env=rt.child_env("broken"), use_gdb=False)
    kind = classify(outcome).kind
    if kind == "heap-buffer-overflow" and "Using preloaded libfuzzer" in outcome.stderr:
        return True, (f"the probe's 4-byte magic found in {time.monotonic() - started:.1f} s "
                      f"(shared libFuzzer preloaded, {build.CLANG} coverage + ASan)")
    last = [line for line in outcome.stderr.splitlines() if line.strip()][-1:] or ["no output"]
    return False, f"the probe came out {kind}, not heap-buffer-overflow: {last[0].strip()[:200]}"
