"""The build cache: content-addressed, one build under concurrency, clear errors."""

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from faultlab.diagnosis import configurations
from faultlab.lab import build, java, toolchain
from faultlab.lab import go as go_build

GOOD_C = "int answer(void) { return 42; }\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throwaway project root with one native library and its own build cache."""
    (tmp_path / "native" / "demo").mkdir(parents=True)
    (tmp_path / "native" / "demo" / "answer.c").write_text(GOOD_C)
    monkeypatch.setenv("FAULTLAB_ROOT", str(tmp_path))
    monkeypatch.setenv("FAULTLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _build_in_child(_):
    return str(build.build_library("demo/answer", configuration=configurations.get("none")))


def test_concurrent_builds_produce_one_library(project):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        paths = pool.map(_build_in_child, range(8))
    assert len(set(paths)) == 1
    out_dir = Path(paths[0]).parent
    assert sorted(p.name for p in out_dir.iterdir() if p.suffix == ".so") == ["libanswer.so"]
    loaded = subprocess.run([sys.executable, "-c", f"import ctypes; print(ctypes.CDLL({paths[0]!r}).answer())"],
                            capture_output=True, text=True)
    assert loaded.stdout.strip() == "42", loaded.stderr


def test_key_covers_source_flags_and_variant(project):
    first = build.build_library("demo/answer", configuration=configurations.get("none"))
    assert build.build_library("demo/answer", configuration=configurations.get("none")) == first
    assert build.build_library("demo/answer", configuration=configurations.get("none"), variant="fixed") != first
    assert build.build_library("demo/answer", configuration=configurations.get("asan")) != first
    (project / "native" / "demo" / "answer.c").write_text(GOOD_C.replace("42", "43"))
    assert build.build_library("demo/answer", configuration=configurations.get("none")) != first


def test_header_change_rebuilds(project):
    (project / "native" / "demo" / "answer.h").write_text("#define X 1\n")
    first = build.build_library("demo/answer", configuration=configurations.get("none"))
    (project / "native" / "demo" / "answer.h").write_text("#define X 2\n")
    assert build.build_library("demo/answer", configuration=configurations.get("none")) != first


def test_compile_error_is_one_line_naming_library_and_error(project):
    (project / "native" / "demo" / "answer.c").write_text("int answer(void) { return nope; }\n")
    with pytest.raises(build.BuildError) as info:
        build.build_library("demo/answer", configuration=configurations.get("none"))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("demo/answer: gcc failed:")
    assert "nope" in message
    assert not list((project / "cache").rglob("*.so")), "a failed build must leave no library behind"


def test_missing_compiler_is_one_clear_line(project, monkeypatch):
    monkeypatch.setenv("CC", "gcc-does-not-exist")
    build.compiler_version.cache_clear()
    try:
        with pytest.raises(build.BuildError, match=r"gcc-does-not-exist not found; run 'make cases'"):
            build.build_library("demo/answer", configuration=configurations.get("none"))
    finally:
        build.compiler_version.cache_clear()


def test_missing_source_names_it(project):
    with pytest.raises(build.BuildError, match=r"demo/absent: source .*absent\.c not found"):
        build.build_library("demo/absent")


def test_cache_is_outside_the_source_tree(project):
    path = build.build_library("demo/answer")
    assert not path.is_relative_to(project / "native")


requires_jdk = pytest.mark.skipif(toolchain.find_jdk() is None, reason="needs a JDK (javac)")


@requires_jdk
def test_java_classes_are_built_once_into_the_cache(project):
    (project / "native" / "demo" / "Greeter.java").write_text("class Greeter { static String hi() { return \"hi\"; } }\n")
    classes = java.compile_classes("demo/Greeter.java")
    assert (classes / "Greeter.class").is_file() and classes.is_relative_to(project / "cache")
    assert java.compile_classes("demo/Greeter.java") == classes


@requires_jdk
def test_a_javac_error_is_one_line_and_leaves_no_partial_classes(project):
    (project / "native" / "demo" / "Broken.java").write_text("class Broken { int x = ; }\n")
    with pytest.raises(build.BuildError) as info:
        java.compile_classes("demo/Broken.java")
    message = str(info.value)
    assert "\n" not in message and message.startswith("javac failed: ") and "Broken.java:1: error:" in message
    assert not [p for p in (project / "cache").rglob("*") if p.name in ("classes",) or p.name.startswith(".build-")]


def test_the_debris_of_a_killed_build_is_cleared_by_the_next_build(project):
    first = build.build_library("demo/answer", configuration=configurations.get("none"))
    first.unlink()
    # What a build killed mid-way (SIGKILL, a reboot) leaves: its temporary output, never renamed.
    (first.parent / ".build-k1ll3d.so").write_bytes(b"\x7fELF half a library")
    (first.parent / ".build-k1ll3d").mkdir()  # and javac's temporary class folder
    again = build.build_library("demo/answer", configuration=configurations.get("none"))
    assert again == first and again.exists()
    assert sorted(p.name for p in first.parent.iterdir()) == [".lock", first.name]


GO_MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(%s) }\n'
RUST_MAIN = "fn main() { println!(\"{}\", %s); }\n"


def _go_build(project, source):
    go = toolchain.find_go()
    env = go_build.offline_environment(project / "cache")
    folder = build.build_cached("hello_go", [str(go), "build", "-o", "{output}", str(source)], inputs=(source,),
                                tool=toolchain.version_of(go, "version"), env=env, directory=True)
    return folder / source.stem


@pytest.mark.skipif(toolchain.find_go() is None, reason=f"go not found: {toolchain.GO_HINT}")
def test_a_go_program_is_built_once_into_the_cache_and_again_when_its_source_changes(project):
    source = project / "native" / "demo" / "hello.go"
    source.write_text(GO_MAIN % "42")
    program = _go_build(project, source)
    assert program.is_relative_to(project / "cache")
    assert subprocess.run([program], capture_output=True, text=True).stdout == "42\n"
    mtime = program.stat().st_mtime_ns
    assert _go_build(project, source) == program and program.stat().st_mtime_ns == mtime
    source.write_text(GO_MAIN % "43")
    assert subprocess.run([_go_build(project, source)], capture_output=True, text=True).stdout == "43\n"


@pytest.mark.skipif(toolchain.find_rustc() is None, reason=f"rustc not found: {toolchain.RUSTC_HINT}")
def test_a_rust_compile_error_is_one_line_naming_the_program(project):
    source = project / "native" / "demo" / "broken.rs"
    source.write_text(RUST_MAIN % "undefined_name")
    rustc = toolchain.find_rustc()
    with pytest.raises(build.BuildError) as info:
        build.build_cached("broken_rust", [str(rustc), str(source), "-o", "{output}"], inputs=(source,),
                           tool=toolchain.version_of(rustc, "--version"))
    message = str(info.value)
    assert "\n" not in message and message.startswith("broken_rust: rustc failed: ") and "error" in message
    assert not [p for p in (project / "cache").rglob("*") if p.name == "broken_rust" or p.name.startswith(".build-")]
