"""What a harness needs inside the fuzzing child, so that each harness stays a page long.

A harness is an atheris program (``fuzz/<target>.py``): a docstring, a ``TARGET``
declaration, ``TestOneInput(data)`` with early returns, and ``main()`` calling
``atheris.Setup(harness.argv(), TestOneInput)`` and ``atheris.Fuzz()``. faultlab starts it
with the runtime of ``faultlab.fuzzing.coverage``: its run configuration arrives from the
runner as for the catalog's cases, and the variant in ``FAULTLAB_VARIANT``.
"""

from __future__ import annotations

import faulthandler
import os
import shlex
import sys
from pathlib import Path

from ..lab import build
from ..lab.native import Library, current_variant

# Set by .clusterfuzzlite/build.sh: a folder of libraries already compiled with the fuzzing
# service's own $CC and $CFLAGS, used instead of faultlab's build cache.
PREBUILT_ENV = "FAULTLAB_FUZZ_LIBDIR"
# Set by faultlab's fuzzing jobs (campaign.py), not by a replay.
FUZZ_JOB_ENV = "FAULTLAB_FUZZ_JOB"


def _leave_fatal_signals_to_libfuzzer() -> None:
    """In a fuzzing job, turn faulthandler off before libFuzzer installs its signal handlers.

    libFuzzer installs its handler for a fatal signal only where the program has none, and
    the runner starts every Python child with faulthandler on. With faulthandler in the way,
    a segfault in a library built without ASan prints a Python traceback and kills the job
    before libFuzzer writes the input to a crash file, and so would the SIGABRT by which
    the watchdog asks for a deadlocked input (``runner.supervise``'s ``deadlock_signal``).
    A replay keeps faulthandler: its Python stack is part of the verdict.
    """
    if os.environ.get(FUZZ_JOB_ENV):
        faulthandler.disable()


_leave_fatal_signals_to_libfuzzer()


def argv() -> list[str]:
    """``sys.argv`` with ``argv[0]`` turned into a command that starts this harness again.

    libFuzzer runs ``argv[0] ...`` through the shell for ``-minimize_crash``, ``-merge``
    and ``-fork``; a ``.py`` file is no command, the interpreter followed by it is.
    """
    if getattr(sys, "frozen", False):  # a PyInstaller bundle is its own command
        return list(sys.argv)
    script = os.path.abspath(sys.argv[0])
    return [f"{shlex.quote(sys.executable)} {shlex.quote(script)}", *sys.argv[1:]]


def _prebuilt() -> Path | None:
    folder = os.environ.get(PREBUILT_ENV) or getattr(sys, "_MEIPASS", None)
    return Path(folder) if folder else None


def fixed() -> bool:
    """Whether this run fuzzes the fixed variant (a binding's fix is chosen by it).

    ``FAULTLAB_VARIANT`` decides; prebuilt libraries carry the variant they were built as.
    """
    prebuilt = _prebuilt()
    if "FAULTLAB_VARIANT" not in os.environ and prebuilt and (prebuilt / "variant").is_file():
        return (prebuilt / "variant").read_text().strip() == "fixed"
    return current_variant() == "fixed"


def library_path(library: Library) -> Path:
    prebuilt = _prebuilt()
    if prebuilt and (prebuilt / f"lib{Path(library.name).name}.so").exists():
        return prebuilt / f"lib{Path(library.name).name}.so"
    return library.path()


def cffi(library: Library, cdef: str):
    """``(ffi, lib)`` in cffi's ABI mode, exactly as ``Library.cffi``: the binding as the cases write it."""
    import cffi as _cffi

    ffi = _cffi.FFI()
    ffi.cdef(cdef)
    return ffi, ffi.dlopen(str(library_path(library)))


def header_cdef(relative: str) -> str:
    """The declarations of ``native/<relative>`` as a cdef: the header with its preprocessor lines dropped.

    ``#define NAME 42`` stays: cffi understands integer constants.
    """
    text = (build.native_root() / relative).read_text()
    return "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("#") or line.lstrip().startswith("#define"))
