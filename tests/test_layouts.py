"""The layout diff of ABI drift: cffi's layouts of the catalog's two header versions, checked against gcc.

Each drifted declaration the catalog's records keep is compared with what the C compiler
says of the same header (a probe printing ``offsetof``, ``sizeof``, ``_Alignof`` and the
enumerators' values); the fields that moved are the ones gcc puts elsewhere. Then: the
record keeps the layouts and a results file reads them back (an older file, without
them, still reads), the terminal table and the HTML escape whatever a file says, and a
hostile header (huge, unparsable, recursive macros, nested past any parser's stack) gives
no diff and no hang.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from command_line import fail_message, faultlab

from faultlab.lab import catalog, layouts, lessons
from faultlab.lab.layouts import Declaration, LayoutDiff, Slot
from faultlab.lab.pictures import Ruler, struct_on_ruler
from faultlab.lab.results import CaseRecord, ResultsError
from faultlab.reports import pictures as drawing

ROOT = Path(__file__).parents[1]
SCHEMA = json.loads((ROOT / "docs" / "results.schema.json").read_text())
# The catalog's cases whose headers drift between include/v1 and include/v2, and what drifted.
DRIFTED = {"abi-drift/struct-field-inserted": "struct sensor_reading", "abi-drift/struct-read-past-end": "struct sensor_reading",
           "abi-drift/return-widened": "fsinfo_size", "abi-drift/enum-renumbered": "enum text_op"}
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc says where the C compiler lays each field out")


def case_validator():
    """The published schema's case record definition, on its own."""
    return jsonschema.Draft202012Validator({"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": "#/$defs/case"})


@pytest.fixture(scope="module")
def records():
    return {case.id: lessons.record(case) for case in catalog.discover() if case.mode == "abi-drift"}


def gcc_layout(compile_c, header: Path, declaration: Declaration) -> dict:
    """What gcc says of ``declaration`` in ``header``: sizeof, alignof, each field's offsetof and sizeof, each enumerator."""
    lines = []
    if declaration.kind in ("struct", "union"):
        t = declaration.name
        lines += [f'printf("size %zu\\n", sizeof({t}));', f'printf("align %zu\\n", _Alignof({t}));']
        lines += [f'printf("field {s.name} %zu %zu\\n", offsetof({t}, {s.name}), sizeof((({t} *)0)->{s.name}));'
                  for s in declaration.slots]
    elif declaration.kind == "enum":
        lines += [f'printf("size %zu\\n", sizeof({declaration.name}));']
        lines += [f'printf("value {s.name} %lld\\n", (long long){s.name});' for s in declaration.slots]
    elif declaration.kind == "function":  # sizeof does not call it
        lines += [f'printf("return %zu\\n", sizeof({declaration.name}(0)));']
    source = ("#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n" + header.read_text()
              + "\nint main(void) {\n    " + "\n    ".join(lines) + "\n    return 0;\n}\n")
    program = compile_c(source, f"probe_{header.parent.name}_{header.stem}", shared=False)
    out = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout
    said: dict = {"fields": {}, "values": {}}
    for line in out.splitlines():
        word, *rest = line.split()
        if word == "field":
            said["fields"][rest[0]] = (int(rest[1]), int(rest[2]))
        elif word == "value":
            said["values"][rest[0]] = int(rest[1])
        else:
            said[word] = int(rest[0])
    return said


def test_each_drifting_case_records_the_declaration_that_drifted(records):
    drifted = {case_id: [d.name for d in r.layouts] for case_id, r in records.items() if r.layouts}
    assert drifted == {case_id: [name] for case_id, name in DRIFTED.items()}
    for case_id in DRIFTED:
        (diff,) = records[case_id].layouts
        assert (diff.old_label, diff.new_label) == ("v1", "v2")
        assert diff.old_header.endswith(f"include/v1/{Path(diff.new_header).name}"), diff


@needs_gcc
@pytest.mark.parametrize("case_id", sorted(DRIFTED))
def test_cffi_lays_out_both_versions_as_gcc_does(records, compile_c, case_id):
    (diff,) = records[case_id].layouts
    for header, declaration in ((diff.old_header, diff.old), (diff.new_header, diff.new)):
        said = gcc_layout(compile_c, ROOT / header, declaration)
        if declaration.kind == "function":
            assert said["return"] == declaration.slots[0].size, (header, declaration)
            continue
        assert said["size"] == declaration.size, (header, said, declaration)
        if declaration.kind == "enum":
            assert said["values"] == {s.name: s.value for s in declaration.slots}, header
        else:
            assert said["align"] == declaration.align, header
            assert said["fields"] == {s.name: (s.offset, s.size) for s in declaration.slots}, header


@needs_gcc
def test_the_fields_gcc_moves_are_the_ones_marked(records, compile_c):
    (diff,) = records["abi-drift/struct-read-past-end"].layouts
    old = gcc_layout(compile_c, ROOT / diff.old_header, diff.old)["fields"]
    new = gcc_layout(compile_c, ROOT / diff.new_header, diff.new)["fields"]
    expected = {name: "added" if name not in old else "moved" if old[name][0] != new[name][0] else "" for name in new}
    assert {row.name: row.change for row in diff.rows} == expected
    assert expected == {"sensor_id": "", "status": "added", "millicelsius": "moved", "timestamp_ns": "moved"}


def test_a_signature_and_an_enum_say_what_drifted(records):
    (widened,) = records["abi-drift/return-widened"].layouts
    assert [(r.name, r.change) for r in widened.changed] == [("return", "resized")]
    assert (widened.old.slots[0].type, widened.new.slots[0].type) == ("int32_t", "int64_t")
    (renumbered,) = records["abi-drift/enum-renumbered"].layouts
    assert [(r.name, r.change) for r in renumbered.changed] == [
        ("TEXT_TITLE", "added"), ("TEXT_LOWER", "renumbered"), ("TEXT_REVERSE", "renumbered")]


def test_a_case_without_versioned_headers_records_no_layout(records):
    assert records["abi-drift/rust-struct-without-repr-c"].layouts == ()
    assert records["abi-drift/panama-descriptor-drift"].layouts == ()


# --- the results file ------------------------------------------------------------------------------------

def test_a_record_reads_back_its_layouts_and_follows_the_schema(records):
    record = records["abi-drift/struct-read-past-end"]
    data = json.loads(json.dumps(record.to_dict()))
    assert CaseRecord.from_dict(data) == record
    validator = case_validator()
    assert list(validator.iter_errors(data)) == []
    older = {name: value for name, value in data.items() if name != "layouts"}  # written before layouts existed
    assert CaseRecord.from_dict(older).layouts == () and list(validator.iter_errors(older)) == []


@pytest.mark.parametrize("change", ["kind", "offset", "picture", "extra", "slots"])
def test_the_model_and_the_schema_refuse_the_same_bad_layout(records, change):
    data = json.loads(json.dumps(records["abi-drift/struct-read-past-end"].to_dict()))
    bad = copy.deepcopy(data)
    diff = bad["layouts"][0]
    if change == "kind":
        diff["new"]["kind"] = "class"
    elif change == "offset":
        diff["old"]["slots"][1]["offset"] = "4"
    elif change == "picture":
        diff["picture"] = "ruler"
    elif change == "extra":
        diff["new"]["slots"][0]["comment"] = "x"
    else:
        diff["old"]["slots"] = {}
    validator = case_validator()
    assert list(validator.iter_errors(bad)), change
    with pytest.raises(ResultsError, match=r"layouts\[0\]"):
        CaseRecord.from_dict(bad)


# --- drawing ---------------------------------------------------------------------------------------------

EVIL = '<script>alert(1)</script>"\'&\x1b]0;owned\x07\u202e\x00'


def hostile_diff() -> LayoutDiff:
    """A layout diff as a tampered results file could hold it: every string hostile, every number huge."""
    slots = tuple(Slot(f"{EVIL}{i}", EVIL, 10 ** 20 * i, 10 ** 20, None) for i in range(64))
    return LayoutDiff(EVIL, EVIL, EVIL, EVIL, Declaration("struct", EVIL, 10 ** 22, 8, slots),
                      Declaration("struct", EVIL, 10 ** 23, 8, slots[::-1]))


def test_a_hostile_layout_diff_draws_escaped_and_bounded():
    page = drawing.layouts_panel((hostile_diff(),))
    assert "<script" not in page and "\x1b" not in page and "\x00" not in page, page[:500]
    assert len(page) < 400_000
    for line in drawing.to_text(hostile_diff(), 80):
        assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e]", line), repr(line)


def sensor_ruler(access: str, start: int, size: int) -> Ruler:
    """A 64-byte block whose last 16 bytes are a v1 struct sensor_reading, as cffi's ffi.new lays it out."""
    return Ruler(access, 0x1000 + start, size, 0x1000, 64, "to the right of", max(start + size - 64, 0))


def test_the_fields_go_on_the_ruler_only_where_the_overflow_is_the_drift(records):
    diffs = records["abi-drift/struct-read-past-end"].layouts
    read = struct_on_ruler(sensor_ruler("READ", 48, 24), diffs)  # the whole v2 struct read from the v1 one's start
    assert read is not None and read.block_version == "old" and read.struct_start == 0x1000 + 48
    assert read.fields_outside == ("timestamp_ns",)
    write = struct_on_ruler(sensor_ruler("WRITE", 64, 8), diffs)  # v2's timestamp_ns written past the v1 struct
    assert write is not None and write.fields_outside == ("timestamp_ns",)
    assert struct_on_ruler(sensor_ruler("READ", 60, 8), diffs) is None  # no v2 field starts at offset 12
    assert struct_on_ruler(sensor_ruler("READ", 70, 4), diffs) is None  # past the v2 struct too
    assert struct_on_ruler(sensor_ruler("READ", 48, 8), diffs) is None  # no overflow at all
    lines = drawing.to_text(read, 80)
    assert lines[-1].strip() == "READ outside the block: v2 timestamp_ns", lines


def test_explain_prints_the_layout_diff_as_a_table():
    proc = faultlab(None, "explain", "abi-drift/struct-field-inserted")
    assert proc.returncode == 0, fail_message(proc)
    assert "layout diff of struct sensor_reading: v1 16 bytes, v2 24 bytes" in proc.stdout, fail_message(proc)
    assert re.search(r"millicelsius +\[4, 8\) int32_t +\[8, 12\) int32_t +moved\n", proc.stdout), fail_message(proc)
    assert re.search(r"status +- +\[4, 8\) uint32_t +added\n", proc.stdout), fail_message(proc)
    listed = json.loads(faultlab(None, "explain", "abi-drift/enum-renumbered", "--json").stdout)
    assert [d["new"]["name"] for d in listed["layouts"]] == ["enum text_op"]


# --- hostile headers ---------------------------------------------------------------------------------------

V1 = "struct drift { int a; long b; };\n"
HOSTILE = {
    "huge": "/* " + "x" * (layouts.MAX_HEADER + 1) + " */\n" + V1.replace("long", "char"),
    "unparsable": "struct drift { int a; char b[ ; };\n",
    "an include": "#include <stdint.h>\nstruct drift { int a; char b; };\n",
    "recursive macros": "#define A B\n#define B A\nstruct drift { int a; char b[A]; };\n",
    "nested parentheses": "struct drift { int a; char b[" + "(" * 20_000 + "1" + ")" * 20_000 + "]; };\n",
    "nested structs": "struct drift { " + "struct { " * 3000 + "int a;" + " } x;" * 3000 + " };\n",
    "an impossible array": "struct drift { int a; char b[1ULL << 62]; char c[1ULL << 62]; char d[1ULL << 62]; };\n",
    "declarations by the thousand": "".join(f"struct s{i} {{ int a{i}; }};\n" for i in range(2000))
                                    + "struct drift { int a; char b; };\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_header_gives_no_diff_and_does_not_hang(tmp_path, name):
    for version, text in (("v1", V1), ("v2", HOSTILE[name])):
        (tmp_path / "include" / version).mkdir(parents=True)
        (tmp_path / "include" / version / "drift.h").write_text(text)
    [(old, new)] = layouts.version_pairs([tmp_path / "include" / "v2" / "drift.h"])
    found = layouts.diff_headers(old, new, old_label="v1", new_label="v2")
    if name == "declarations by the thousand":  # it parses: only the struct in both versions is compared
        assert [d.name for d in found] == ["struct drift"] and len(found[0].new.slots) == 2
    else:
        assert found == (), found


@pytest.mark.parametrize("make", [os.mkfifo, lambda p: os.symlink("/dev/zero", p)], ids=["a FIFO", "/dev/zero"])
def test_a_header_that_is_no_file_gives_no_diff_at_once(tmp_path, make, monkeypatch):
    """A FIFO stat()s as 0 bytes, as /dev/zero does: the parsing child would wait on the one and fill
    its memory from the other until its time bound, 20 s of every record. No child is started."""
    (tmp_path / "v1.h").write_text(V1)
    make(tmp_path / "v2.h")
    started = []
    monkeypatch.setattr(layouts.subprocess, "run", lambda *a, **k: started.append(a) or pytest.fail("a parser was started"))
    assert layouts.diff_headers(tmp_path / "v1.h", tmp_path / "v2.h") == ()
    assert started == []


def test_a_parse_past_its_time_bound_gives_no_diff(monkeypatch):
    monkeypatch.setattr(layouts, "PARSE_TIMEOUT_S", 0.001)  # no header parses in a millisecond, with the interpreter's start
    include = ROOT / "native" / "abi_drift" / "include"
    assert layouts.diff_headers(include / "v1" / "sensor.h", include / "v2" / "sensor.h") == ()


def test_header_versions_pair_each_older_version_with_the_newer_one(tmp_path):
    for version in ("v1", "v2", "v10", "latest"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "a.h").write_text(V1)
    (tmp_path / "v2" / "b.h").write_text(V1)
    pairs = layouts.version_pairs([tmp_path / "v10" / "a.h", tmp_path / "v2" / "b.h", tmp_path / "latest" / "a.h"])
    assert [(o.relative_to(tmp_path).as_posix(), n.relative_to(tmp_path).as_posix()) for o, n in pairs] == [
        ("v1/a.h", "v10/a.h"), ("v2/a.h", "v10/a.h")]


def test_demo_prints_the_layout_diff_and_the_fields_on_the_ruler():
    proc = faultlab(None, "demo", "abi-drift/struct-read-past-end", "--no-pause", "--sanitizer", "asan")
    assert proc.returncode == 0, fail_message(proc)
    assert "layout diff of struct sensor_reading: v1 16 bytes, v2 24 bytes" in proc.stdout, fail_message(proc)
    assert re.search(r"timestamp_ns +\[8, 16\) uint64_t +\[16, 24\) uint64_t +moved\n", proc.stdout), fail_message(proc)
    assert re.search(r"READ reaches 8 bytes past the end \(8 bytes outside the block\)\n +READ outside the block: "
                     r"v2 timestamp_ns\n", proc.stdout), fail_message(proc)
