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


# Frames whose only name is an address: code no module owns (an anonymous executable mapping,
# as a JIT makes), called through a pointer. ASLR moves the mapping on every run.
GENERATED_CODE_C = r"""
#include <string.h>
#include <sys/mman.h>
static const unsigned char store_null[] = {0xc7, 0x04, 0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0xc3};  /* movl $1, 0x0; ret */
int run_generated(void) {
    void *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(code, store_null, sizeof store_null);
    return ((int (*)(void))code)();
}
"""


def test_the_same_bug_at_two_aslr_addresses_has_one_signature(compile_c, diagnose_code):
    import re

    library = compile_c(GENERATED_CODE_C, "generated", sanitizer="asan")
    runs = [diagnose_code(f"import ctypes\nctypes.CDLL({str(library)!r}).run_generated()\n", sanitizer="asan") for _ in range(2)]
    pcs = [re.search(r"#0 (0x[0-9a-f]+) +\(<unknown module>\)", d.outcome.stderr) for d in runs]
    assert all(pcs) and pcs[0].group(1) != pcs[1].group(1), "ASLR should have moved the generated code"
    assert runs[0].verdict.kind == runs[1].verdict.kind == "null-deref"
    assert runs[0].verdict.signature == runs[1].verdict.signature
    assert runs[0].verdict.native_stack[0] == Frame("??", "")


@pytest.mark.parametrize("name", ["asan-new-array-overflow.txt", "asan-unknown-module.txt", "asan-frames-without-files.txt",
                                  "libfuzzer-deadly-signal.txt", "tsan-data-race.txt"])
def test_recorded_reports_with_every_address_moved_keep_their_signature(name):
    import dataclasses
    import random
    import re

    from conftest import recorded_run

    from faultlab.diagnosis.classify import classify

    run = recorded_run(name)
    def move(address: re.Match) -> str:  # every mapped address, by whole pages; NULL and its page stay
        value = int(address.group(0), 16)
        return hex(value ^ (random.getrandbits(20) << 12)) if value >= 1 << 20 else address.group(0)

    moved = re.sub(r"0x[0-9a-f]{6,}", move, run.stderr)
    assert moved != run.stderr
    first, second = classify(run), classify(dataclasses.replace(run, stderr=moved))
    assert (first.kind, first.signature) == (second.kind, second.signature)
    assert not any(re.search(r"0x[0-9a-f]", f.function + f.module) for f in first.native_stack), first.native_stack
