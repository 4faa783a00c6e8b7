"""Where the runtimes are: each finder returns a toolchain that runs, or None, and ``faultlab doctor`` says which.

The fake JDK homes are folders with the two files the finder reads (``release`` and
``bin/javac``); everything else runs the real toolchains of this machine, and a test that
needs one skips naming it when it is absent.
"""

import os
import subprocess

import pytest
from command_line import faultlab

from faultlab.cli import doctor
from faultlab.lab import toolchain

FINDERS = (toolchain.find_jdk, toolchain.find_go, toolchain.find_rustc,
           toolchain.find_node, toolchain.node_headers)


@pytest.fixture
def fresh_finders():
    """The finders cache what they found; a test that changes the environment must look again, before and after."""
    for finder in FINDERS:
        finder.cache_clear()
    yield
    for finder in FINDERS:
        finder.cache_clear()


def fake_jdk(folder, version: str):
    (folder / "bin").mkdir(parents=True)
    (folder / "include").mkdir()
    for part in ("bin/javac", "bin/java", "include/jni.h"):
        (folder / part).write_text("")
    (folder / "release").write_text(f'IMPLEMENTOR="faultlab test"\nJAVA_VERSION="{version}"\n')
    return folder


@pytest.mark.parametrize(("version", "feature"), [("25.0.3", 25), ("17.0.12", 17), ("22", 22), ("1.8.0_392", 8)])
def test_the_jdk_feature_release_comes_from_its_release_file(tmp_path, version, feature):
    assert toolchain.jdk_feature(fake_jdk(tmp_path, version)) == feature


def test_a_jdk_without_a_release_file_has_no_known_feature(tmp_path):
    assert toolchain.jdk_feature(tmp_path) is None


def test_java_home_wins_when_it_is_new_enough_for_panama(tmp_path, monkeypatch, fresh_finders):
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(tmp_path / "jdk-23", "23.0.1")))
    assert toolchain.find_panama_jdk() == tmp_path / "jdk-23"


def test_a_java_home_older_than_22_is_never_the_panama_jdk(tmp_path, monkeypatch, fresh_finders):
    monkeypatch.setenv("JAVA_HOME", str(fake_jdk(tmp_path / "jdk-17", "17.0.9")))
    found = toolchain.find_panama_jdk()
    assert found != tmp_path / "jdk-17"
    assert found is None or toolchain.jdk_feature(found) >= toolchain.PANAMA_MIN_FEATURE


@pytest.mark.skipif(toolchain.find_panama_jdk() is None, reason=f"no JDK >= 22: {toolchain.PANAMA_HINT}")
def test_the_panama_jdk_runs_and_says_its_feature_release():
    jdk = toolchain.find_panama_jdk()
    proc = subprocess.run([str(jdk / "bin" / "java"), "-version"], capture_output=True, text=True)
    assert proc.returncode == 0 and f'version "{toolchain.jdk_feature(jdk)}' in proc.stderr, proc.stderr


@pytest.mark.skipif(toolchain.find_go() is None, reason=f"go not found: {toolchain.GO_HINT}")
def test_go_runs_and_says_its_version():
    assert toolchain.version_of(toolchain.find_go(), "version").startswith("go version go1.")


@pytest.mark.skipif(toolchain.find_rustc() is None, reason=f"rustc not found: {toolchain.RUSTC_HINT}")
def test_rustc_runs_and_says_its_version():
    assert toolchain.version_of(toolchain.find_rustc(), "--version").startswith("rustc 1.")


@pytest.mark.skipif(toolchain.find_rustc() is None, reason=f"rustc not found: {toolchain.RUSTC_HINT}")
def test_rustc_is_found_under_cargo_home_when_it_is_not_on_path(tmp_path, monkeypatch, fresh_finders):
    """CI may run with another HOME and a PATH without ~/.cargo/bin."""
    real = toolchain.find_rustc()
    (tmp_path / "bin").mkdir()
    os.symlink(real, tmp_path / "bin" / "rustc")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("CARGO_HOME", str(tmp_path))
    toolchain.find_rustc.cache_clear()
    assert toolchain.find_rustc() == tmp_path / "bin" / "rustc"


@pytest.mark.skipif(toolchain.find_node() is None, reason=f"node not found: {toolchain.NODE_HINT}")
def test_node_runs_and_its_headers_declare_node_api():
    assert toolchain.version_of(toolchain.find_node(), "--version").startswith("v")
    headers = toolchain.node_headers()
    assert headers is not None, "node is here but node_api.h is not"
    assert "napi_create_function" in (headers / "js_native_api.h").read_text()


def test_doctor_lists_every_runtime_with_its_version_or_how_to_get_it():
    proc = faultlab(None, "doctor")
    lines = {line[8:37].strip(): line for line in proc.stdout.splitlines() if line[:7] in ("ok     ", "MISSING")}
    for runtime in ("jdk", "panama-jdk", "go", "rustc", "node", "node headers"):
        line = lines[runtime]
        if line.startswith("ok"):
            assert " at /" in line or runtime == "node headers", line
        else:
            assert "install" in line, line


def test_doctor_says_how_to_get_node_when_it_is_not_on_path(tmp_path, monkeypatch, fresh_finders):
    monkeypatch.setenv("PATH", str(tmp_path))
    status = {name: (ok, detail) for name, ok, detail in doctor.runtimes()}
    assert status["node"] == (False, toolchain.how_to_get("node"))


def test_doctor_shows_a_tools_own_words_with_their_escapes_visible(tmp_path):
    """A `go` on PATH is any program: what it says about its version reaches the terminal escaped."""
    (tmp_path / "go").write_text("#!/bin/sh\nprintf 'go version go1.99 \\033]0;pwned\\007 linux/amd64\\n'\n")
    (tmp_path / "go").chmod(0o755)
    proc = faultlab(None, "doctor", PATH=f"{tmp_path}:{os.environ['PATH']}")
    line = next(line for line in proc.stdout.splitlines() if line[8:37].strip() == "go")
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout, line
    assert "\\x1b]0;pwned\\x07" in line, line
