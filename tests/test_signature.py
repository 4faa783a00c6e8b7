"""Signatures: the same bug run twice is named the same; different bugs differ.

Real runs: an ASan use-after-free twice, a segfault twice, the same library built in two
build-cache directories and with its lines shifted. Addresses, line numbers and paths
change between those runs; the signature must not.
"""

import shutil

import pytest

from faultlab.diagnosis.signature import signature
from faultlab.diagnosis.verdict import Frame

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc compiles the crashing C snippets")

BUGS_C = r"""
#include <stdlib.h>
int read_freed(void) { int *p = malloc(16); free(p); return p[0]; }
int read_past_end(void) { int *p = malloc(16); int v = p[4]; free(p); return v; }
int write_wild(void) { return *(volatile int *)0x7e57dead0000; }
"""


def crash(diagnose_code, library, function, **options):
    return diagnose_code(f"import ctypes\nctypes.CDLL({str(library)!r}).{function}()\n", **options).verdict


def test_an_asan_use_after_free_twice_has_one_signature(compile_c, diagnose_code):
    library = compile_c(BUGS_C, "bugs", sanitizer="asan")
    first, second = (crash(diagnose_code, library, "read_freed", sanitizer="asan") for _ in range(2))
    assert first.kind == second.kind == "heap-use-after-free"
    assert first.signature == second.signature
    assert len(first.signature) == 16 and int(first.signature, 16) >= 0


def test_a_segfault_twice_has_one_signature(compile_c, diagnose_code):
    library = compile_c(BUGS_C, "bugs")
    first, second = (crash(diagnose_code, library, "write_wild") for _ in range(2))
    assert first.kind == second.kind == "segv"
    assert first.signature == second.signature


def test_different_bugs_have_different_signatures(compile_c, diagnose_code):
    asan = compile_c(BUGS_C, "bugs", sanitizer="asan")
    plain = compile_c(BUGS_C, "bugs")
    verdicts = [
        crash(diagnose_code, asan, "read_freed", sanitizer="asan"),
        crash(diagnose_code, asan, "read_past_end", sanitizer="asan"),
        crash(diagnose_code, plain, "write_wild"),
        diagnose_code("import ctypes\n\ndef parse_header():\n    ctypes.string_at(0)\n\nparse_header()\n").verdict,
    ]
    assert [v.kind for v in verdicts] == ["heap-use-after-free", "heap-buffer-overflow", "segv", "segv"]
    assert len({v.signature for v in verdicts}) == len(verdicts)


def test_build_directory_and_line_numbers_do_not_enter_the_signature(compile_c, diagnose_code, tmp_path):
    # The same library built in two content-addressed cache directories, and once with its
    # code moved down three lines: frames differ in path and line, not in function.
    cached = compile_c(BUGS_C, "bugs", sanitizer="asan", where=tmp_path / "cache" / "3f9a1c")
    elsewhere = compile_c(BUGS_C, "bugs", sanitizer="asan", where=tmp_path / "cache" / "b72e05")
    shifted = compile_c("/* moved down */\n\n\n" + BUGS_C, "bugs", sanitizer="asan", where=tmp_path / "cache" / "0d4e88")
    verdicts = [crash(diagnose_code, library, "read_freed", sanitizer="asan") for library in (cached, elsewhere, shifted)]
    assert [v.native_stack[0].function for v in verdicts] == ["read_freed"] * 3
    assert len({v.native_stack[0].line for v in verdicts}) == 2  # the shift is real
    assert len({v.signature for v in verdicts}) == 1


def test_addresses_and_lines_never_enter_the_signature():
    stack = (Frame("read_freed", "bugs.c", 5), Frame("??", "libffi.so.8"), Frame("ffi_call", "libffi.so.8"))
    moved = (Frame("read_freed", "bugs.c", 9), Frame("??", "libffi.so.8"), Frame("ffi_call", "libffi.so.8"))
    assert signature("heap-use-after-free", stack, ()) == signature("heap-use-after-free", moved, ())
    assert signature("heap-use-after-free", stack, ()) != signature("double-free", stack, ())
    assert signature("segv", (Frame("write_wild", "libbugs.so.1"),), ()) == signature("segv", (Frame("write_wild", "libbugs.so"),), ())
    assert signature("segv", (Frame("parse.isra.0", "libbugs.so"),), ()) == signature("segv", (Frame("parse", "libbugs.so"),), ())
