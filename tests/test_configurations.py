"""Run configurations: one frozen object from the command line down to the child.

Each test runs real children: the configuration must reach them whole (as one variable),
decide which build ``Library`` loads, and bring its runtime's reports.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pytest
from conftest import PYTHON

from faultlab import run
from faultlab.diagnosis import configurations
from faultlab.diagnosis.configurations import Configuration
from faultlab.lab import build

LEAKY_C = """
    #include <stdlib.h>
    #include <string.h>
    char *make_label(void) { char *p = malloc(64); memset(p, 'x', 63); p[63] = 0; return p; }
    void leak_labels(void) { for (int i = 0; i < 3; i++) make_label(); }
    void keep_labels(void) { static char *kept[3]; for (int i = 0; i < 3; i++) kept[i] = make_label(); }
"""


def test_a_configuration_survives_its_trip_to_the_child_whole():
    config = dataclasses.replace(configurations.get("asan"), leaks=True)
    assert Configuration.from_json(config.to_json()) == config
    code = "from faultlab.diagnosis import configurations; print(configurations.active().to_json())"
    outcome = run([PYTHON, "-c", code], sanitizer=config)
    assert outcome.exit_code == 0, outcome.stderr
    assert Configuration.from_json(outcome.stdout.strip()) == config
    assert (outcome.sanitizer, outcome.configuration) == ("asan", "asan")


def test_the_child_builds_and_loads_the_library_of_its_configuration(tmp_path, monkeypatch):
    root = tmp_path / "project"
    (root / "native" / "demo").mkdir(parents=True)
    (root / "native" / "demo" / "where.c").write_text(textwrap.dedent("""
        #if defined(__SANITIZE_ADDRESS__)
        const char *built_for(void) { return "asan"; }
        #else
        const char *built_for(void) { return "plain"; }
        #endif
    """))
    monkeypatch.setenv("FAULTLAB_ROOT", str(root))
    monkeypatch.setenv("FAULTLAB_CACHE", str(tmp_path / "cache"))
    code = textwrap.dedent("""
        import ctypes
        from faultlab import Library
        lib = Library("demo/where").ctypes()
        lib.built_for.restype = ctypes.c_char_p
        print(lib.built_for().decode())
    """)
    seen = {name: run([PYTHON, "-c", code], sanitizer=name).stdout.strip() for name in ("none", "asan")}
    assert seen == {"none": "plain", "asan": "asan"}


def test_the_variant_is_said_to_the_library_not_written_into_the_environment(tmp_path):
    code = textwrap.dedent("""
        import os
        from faultlab.lab import native
        native.use_variant("fixed")
        print(native.current_variant(), os.environ.get("FAULTLAB_VARIANT"))
    """)
    assert run([PYTHON, "-c", code]).stdout.split() == ["fixed", "None"]


def test_a_library_built_for_a_configuration_uses_its_compiler_and_flags(tmp_path, monkeypatch):
    (tmp_path / "native" / "demo").mkdir(parents=True)
    (tmp_path / "native" / "demo" / "answer.c").write_text("int answer(void) { return 42; }\n")
    monkeypatch.setenv("FAULTLAB_ROOT", str(tmp_path))
    monkeypatch.setenv("FAULTLAB_CACHE", str(tmp_path / "cache"))
    plain = build.build_library("demo/answer")
    leak = build.build_library("demo/answer", configuration=configurations.get("lsan"))
    bogus = dataclasses.replace(configurations.get("none"), name="bogus", cflags=("-fno-such-flag",))
    assert plain != leak
    with pytest.raises(build.BuildError, match="no-such-flag"):
        build.build_library("demo/answer", configuration=bogus)


def test_lsan_alone_reports_a_leak_and_nothing_else(compile_c, diagnose_code):
    # LeakSanitizer without ASan: liblsan preloaded, -fsanitize=leak, the check at exit.
    library = compile_c(LEAKY_C, "labels", sanitizer="lsan")
    call = "import ctypes; ctypes.CDLL({!r}).{}()"
    leaked = diagnose_code(call.format(str(library), "leak_labels"), sanitizer="lsan")
    leaked.expect("memory-leak", summary=r"^ERROR: LeakSanitizer: detected memory leaks in make_label \(labels\.c:3\)$",
                  signal="SIGABRT")
    assert "SUMMARY: LeakSanitizer: 192 byte(s) leaked in 3 allocation(s)." in leaked.verdict.evidence
    assert leaked.verdict.sanitizer == "lsan"
    kept = diagnose_code(call.format(str(library), "keep_labels"), sanitizer="lsan")
    kept.expect("ok", signal=None, exit_code=0)


def test_every_configuration_is_serialisable_and_has_a_runtime_here():
    for config in configurations.CONFIGURATIONS.values():
        assert json.loads(config.to_json())["name"] == config.name
        assert all(path.startswith("/") for path in config.preload())


def test_an_unknown_configuration_is_one_line_for_a_person():
    with pytest.raises(configurations.ConfigurationError, match=r"unknown sanitizer 'msan'; choose one of none, "):
        configurations.get("msan")
