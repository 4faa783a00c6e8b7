"""Shared helpers for the tests of the runner and the classifier.

Modelled on CPython's ``script_helper``: a crashing program is a short dedented code string
run in a fresh interpreter, or a small C source compiled here with gcc; a failed
expectation prints the command, the verdict and the tail of each stream.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import faultlab
from faultlab.diagnosis import configurations
from faultlab.diagnosis.outcome import Outcome
from faultlab.diagnosis.verdict import Verdict

# pytester: the plugin's tests run pytest as a user does, in a subprocess, and match its lines.
pytest_plugins = ["pytester"]

# The venv's interpreter is a real ELF binary (a symlink into pyenv's versions), unlike the
# pyenv `python3` shim on PATH, a bash script that dies when TSan is preloaded into it.
PYTHON = sys.executable
FIXTURES = Path(__file__).with_name("fixtures")


@dataclass(frozen=True)
class Diagnosis:
    """One run and its verdict; ``str()`` explains a failed expectation."""

    outcome: Outcome
    verdict: Verdict

    def __str__(self) -> str:
        v, o = self.verdict, self.outcome
        parts = [f"command: {' '.join(o.argv)[:400]}",
                 f"verdict: {v.kind}: {v.summary}",
                 f"exit status {o.exit_code}, signal {o.signal_name}, timed out {o.timed_out}, sanitizer {o.sanitizer}"]
        for name, text in (("stdout", o.stdout), ("stderr", o.stderr)):
            parts += [f"--- {name} (tail) ---", text[-3000:].rstrip(), "---"]
        return "\n".join(parts)

    def expect(self, kind: str, *, summary: str | None = None, signal: str | None = None,
               exit_code: int | None = None, stderr: str | None = None) -> "Diagnosis":
        """Assert the kind, and the output a person reads (regexes) and how the child ended."""
        assert self.verdict.kind == kind, f"expected {kind}\n{self}"
        if summary is not None:
            assert re.search(summary, self.verdict.summary), f"summary does not match {summary!r}\n{self}"
        if stderr is not None:
            assert re.search(stderr, self.outcome.stderr, re.MULTILINE), f"stderr does not match {stderr!r}\n{self}"
        assert (self.verdict.signal, self.verdict.exit_code) == (signal, exit_code), (
            f"expected signal {signal}, exit status {exit_code}\n{self}")
        return self


@pytest.fixture(scope="session")
def compile_c(tmp_path_factory):
    """``compile_c(source, name, sanitizer="none", shared=True, where=None) -> Path``.

    Compiles a dedented C snippet with the build flags of faultlab's libraries plus the
    named sanitizer's flags (from faultlab/diagnosis/configurations.py); each distinct snippet is built
    once per session. The source file is ``<name>.c``, so stacks name it.
    """
    root = tmp_path_factory.mktemp("c")
    built: dict[tuple, Path] = {}

    def compile_(source: str, name: str, *, sanitizer: str = "none", shared: bool = True,
                 where: Path | None = None) -> Path:
        source = textwrap.dedent(source).lstrip("\n")
        key = (source, name, sanitizer, shared, str(where))
        if key in built:
            return built[key]
        digest = hashlib.sha1(repr(key).encode()).hexdigest()[:10]
        directory = where or root / digest
        directory.mkdir(parents=True, exist_ok=True)
        src = directory / f"{name}.c"
        src.write_text(source)
        out = directory / (f"lib{name}.so" if shared else name)
        cmd = [os.environ.get("CC", "gcc"), "-g", "-O0", "-Wall", "-fno-omit-frame-pointer", "-pthread",
               *configurations.get(sanitizer).cflags, *(("-fPIC", "-shared") if shared else ()), str(src), "-o", str(out)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"
        built[key] = out
        return out

    return compile_


def diagnose_argv(argv, **run_options) -> Diagnosis:
    outcome = faultlab.run(argv, **run_options)
    return Diagnosis(outcome, faultlab.classify(outcome))


@pytest.fixture(scope="session")
def diagnose_code():
    """``diagnose_code(code, **run_options) -> Diagnosis``: a dedented code string run by the venv's python."""
    def diagnose(code: str, **run_options) -> Diagnosis:
        return diagnose_argv([PYTHON, "-c", textwrap.dedent(code)], **run_options)
    return diagnose


@pytest.fixture(scope="session")
def diagnose_command():
    """``diagnose_command(argv, **run_options) -> Diagnosis``: any program."""
    return diagnose_argv


def recorded(name: str) -> tuple[str, str]:
    """A recorded output of tests/fixtures/outputs/: (the command that produced it, the output)."""
    command, _, text = _recording(name)
    return command, text


def _recording(name: str) -> tuple[str, str, str]:
    text = (FIXTURES / "outputs" / name).read_text()
    first, _, rest = text.partition("\n")
    assert first.startswith("# command: "), f"{name} must start with '# command: ...'"
    second, _, body = rest.partition("\n")
    assert second.startswith("# ended: "), (
        f"{name}: its second line must say how the recorded run ended: '# ended: signal SIGABRT', "
        "'# ended: exit 1', '# ended: timed out' (see tests/fixtures/outputs/README.md)")
    return first.removeprefix("# command: "), second.removeprefix("# ended: "), body


def recorded_ending(name: str) -> str:
    """How the recorded run ended, as its '# ended:' line says: ``signal SIGABRT``, ``exit 1``, ``timed out``, ..."""
    return _recording(name)[1]


def recorded_run(name: str, *, ending_known: bool = True, **facts) -> Outcome:
    """The recorded output as the Outcome of its run: its stream as stderr, and how it ended (unless ``ending_known``
    is false: then neither exit status nor signal is known, as of a saved log)."""
    import signal as signals

    _, ended, body = _recording(name)
    exit_code = signal = None
    if ended.startswith("signal "):
        signal = signals.Signals[ended.split()[1]].value
    elif ended.startswith("exit "):
        exit_code = int(ended.split()[1])
    if not ending_known:
        exit_code = signal = None
    return Outcome(argv=("recorded", name), exit_code=exit_code, signal=signal, timed_out=ending_known and ended == "timed out",
                   duration_s=0.0, stdout="", stderr=body, **facts)


@pytest.fixture
def recorded_output():
    return recorded


@pytest.fixture(scope="session", autouse=True)
def committed_seeds_stay_as_they_are():
    """No test writes into fuzz/corpus/: libFuzzer adds what it finds to its first corpus folder, so tests hand it copies."""
    corpus = Path(__file__).parents[1] / "fuzz" / "corpus"
    before = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*"))
    yield
    after = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*"))
    assert after == before, f"the test run changed fuzz/corpus/: added {sorted(set(after) - set(before))}, " \
                            f"removed {sorted(set(before) - set(after))}"


def build_jni_program(where: Path, library: str, c_source: str, main_class: str, java_source: str) -> Path:
    """``lib<library>.so`` from ``c_source`` (gcc, against the JDK's jni.h) and ``<main_class>.java``, in ``where``.

    Returns the JDK's home; the program runs as ``java -Djava.library.path=WHERE -cp WHERE MAIN_CLASS``.
    """
    from faultlab.lab import toolchain

    jdk = toolchain.find_jdk()
    (where / f"{library}.c").write_text(textwrap.dedent(c_source).lstrip())
    built = subprocess.run(["gcc", "-g", "-O0", "-fPIC", "-shared", "-pthread", f"-I{jdk}/include",
                            f"-I{jdk}/include/linux", f"{library}.c", "-o", f"lib{library}.so"],
                           cwd=where, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (where / f"{main_class}.java").write_text(textwrap.dedent(java_source).lstrip())
    javac = subprocess.run([str(jdk / "bin" / "javac"), "-d", ".", f"{main_class}.java"], cwd=where,
                           capture_output=True, text=True)
    assert javac.returncode == 0, javac.stderr
    return jdk
