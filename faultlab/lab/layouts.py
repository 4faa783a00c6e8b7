"""The layouts of the declarations that changed between two versions of a C header, as cffi computes them.

ABI drift is a fact about two headers, not about a run: where v1 and v2 of a struct put
each field, how wide a function's return and parameters are, which number each
enumerator has. cffi's ABI mode lays out a plain C declaration without a compiler
(``ffi.cdef`` then ``ffi.typeof``/``offsetof``/``sizeof``, the layout the platform's C
compiler gives it), so ``diff_headers(old, new)`` reads both headers and returns one
``LayoutDiff`` per struct, union, function or enum declared in both whose layout differs.

Headers are untrusted text: a header that is no regular file (a FIFO, a device), one larger
than ``MAX_HEADER``, one cffi cannot parse
(an ``#include``, a macro cffi does not take, a syntax error) or one that takes longer
than ``PARSE_TIMEOUT_S`` gives no diff, never an exception. The parsing runs in a child
(``python -m faultlab.lab.layouts OLD NEW``) with a time and memory bound, since
pycparser and cffi's regular expressions can be made slow or deep by a hostile header.
``lessons.record`` calls ``version_pairs`` and ``diff_headers`` when it records a case,
so the results file keeps the layouts and the reports draw them from the file alone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_HEADER = 64 * 1024  # the catalog's headers are under 1 KiB
MAX_DECLARATIONS = 32  # diffs kept per header pair
MAX_SLOTS = 64  # fields, parameters or enumerators kept per declaration
MAX_NAME = 120
MAX_SIZE = 1 << 40  # bytes: a larger struct is a hostile header's, and cffi's arithmetic wraps past 2**63
PARSE_TIMEOUT_S = 20.0
PARSE_MEMORY = 1 << 30
_VERSION_DIR = re.compile(r"v(\d+)")
KINDS = ("struct", "union", "function", "enum")


@dataclass(frozen=True)
class Slot:
    """One part of a declaration: a field (at ``offset``), a function's return or parameter, or an enumerator (its ``value``)."""

    name: str  # the field's or enumerator's name; "return" or "parameter 1" in a signature
    type: str  # the C type ("uint32_t", "char *", "uint32_t : 3" for a bit-field); "" for an enumerator
    offset: int | None = None  # bytes from the struct's start; None outside a struct
    size: int | None = None  # bytes; None when the type has no size (void, a flexible array)
    value: int | None = None  # an enumerator's number

    def key(self) -> tuple:
        return (self.type, self.offset, self.size, self.value)


@dataclass(frozen=True)
class Declaration:
    """A declaration's layout as one header gives it."""

    kind: str  # one of KINDS
    name: str  # "struct sensor_reading", "fsinfo_size", "enum text_op"
    size: int | None  # sizeof the struct, union or enum; None for a function or an incomplete type
    align: int | None
    slots: tuple[Slot, ...]

    def layout(self) -> tuple:
        return (self.kind, self.size, self.align, tuple((s.name, *s.key()) for s in self.slots))


@dataclass(frozen=True)
class Row:
    """One slot in both versions, side by side; ``change`` says how it drifted."""

    name: str
    old: Slot | None
    new: Slot | None

    @property
    def change(self) -> str:
        """Empty when it stayed, else "added", "removed", "moved", "resized", "retyped" or "renumbered" (first that applies)."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        for change, attribute in (("moved", "offset"), ("resized", "size"), ("retyped", "type"), ("renumbered", "value")):
            if getattr(self.old, attribute) != getattr(self.new, attribute):
                return change
        return ""


@dataclass(frozen=True)
class LayoutDiff:
    """One declaration whose layout differs between an older header and a newer one."""

    old_header: str  # the headers, relative to the project root ("native/abi_drift/include/v1/sensor.h")
    new_header: str
    old_label: str  # "v1", "v2": the version directories the headers sit in
    new_label: str
    old: Declaration
    new: Declaration

    picture = "layout-diff"

    @property
    def kind(self) -> str:
        return self.new.kind

    @property
    def name(self) -> str:
        return self.new.name

    @property
    def rows(self) -> tuple[Row, ...]:
        """The slots in the newer order, each removed one after the newer slot it followed in the older version."""
        old = {s.name: s for s in self.old.slots}
        new = {s.name: s for s in self.new.slots}
        rows = [Row(s.name, old.get(s.name), s) for s in self.new.slots]
        previous = None  # the name of the row the next removed slot follows
        for slot in self.old.slots:
            if slot.name in new:
                previous = slot.name
                continue
            at = next((i + 1 for i, r in enumerate(rows) if r.name == previous), 0)
            rows.insert(at, Row(slot.name, slot, None))
            previous = slot.name
        return tuple(rows)

    @property
    def changed(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.change)

    def to_dict(self) -> dict:
        """As JSON has it (lists, not tuples), so a record's dict equals its file's."""
        data = {"picture": self.picture, **dataclasses.asdict(self)}
        for side in ("old", "new"):
            data[side]["slots"] = list(data[side]["slots"])
        return data


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_NAME else text[:MAX_NAME - 1] + "…"


# -- in the child: cffi reads one header ----------------------------------------------------------------

def _sized(ffi, ctype) -> int | None:
    try:
        return ffi.sizeof(ctype)
    except (ValueError, TypeError, ffi.error):
        return None


def _struct(ffi, kind: str, name: str, ctype) -> Declaration:
    slots = []
    for field_name, field in (ctype.fields or [])[:MAX_SLOTS]:
        bits = f" : {field.bitsize}" if field.bitsize >= 0 else ""
        size = None if bits else _sized(ffi, field.type)
        slots.append(Slot(_short(field_name or "(anonymous)"), _short(field.type.cname + bits), field.offset, size))
    size = _sized(ffi, ctype)
    if size is not None and not (0 <= size <= MAX_SIZE and all(
            s.offset is not None and 0 <= s.offset and s.offset + (s.size or 0) <= size for s in slots)):
        raise ValueError(f"{name}: a layout no compiler would give (size {size})")  # cffi wraps around past 2**63
    return Declaration(kind, _short(name), size, ffi.alignof(ctype) if size is not None else None, tuple(slots))


def _function(ffi, name: str, ctype) -> Declaration:
    result = ctype.result
    slots = [Slot("return", _short(result.cname), None, _sized(ffi, result))]
    slots += [Slot(f"parameter {i}", _short(arg.cname), None, _sized(ffi, arg))
              for i, arg in enumerate(ctype.args[:MAX_SLOTS - 1], 1)]
    if ctype.ellipsis:
        slots.append(Slot("...", "...", None, None))
    return Declaration("function", _short(name), None, None, tuple(slots))


def _enum(ffi, name: str, ctype) -> Declaration:
    slots = tuple(Slot(_short(enumerator), "", None, None, value)
                  for enumerator, value in sorted(ctype.relements.items(), key=lambda item: (item[1], item[0]))[:MAX_SLOTS])
    return Declaration("enum", _short(name), _sized(ffi, ctype), ffi.alignof(ctype), slots)


def read_header(text: str) -> dict[str, Declaration]:
    """Every struct, union, function and enum a header declares, laid out by cffi; raises whatever cffi raises.

    cffi keeps no public list of a cdef's declarations, so their names come from its
    parser's table (the one private name used here); every layout is asked through the
    public ``ffi.typeof``, ``offsetof``, ``sizeof`` and ``alignof``.
    """
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(text)
    found: dict[str, Declaration] = {}
    for key, (model, _quals) in list(getattr(ffi._parser, "_declarations", {}).items()):
        kind, _, name = key.partition(" ")
        if kind in ("struct", "union"):
            found[key] = _struct(ffi, kind, key, ffi.typeof(key))
        elif kind == "typedef":  # typedef struct { ... } name;
            ctype = ffi.typeof(name)
            if ctype.kind in ("struct", "union") and not ctype.cname.startswith(("struct ", "union ")):
                found[f"{ctype.kind} {name}"] = _struct(ffi, ctype.kind, name, ctype)
        elif kind == "function":
            found[key] = _function(ffi, name, ffi.typeof(model.get_c_name()))
        elif kind == "enum":
            found[key] = _enum(ffi, key, ffi.typeof(key))
    return found


def _diffs_of_texts(old_text: str, new_text: str) -> list[Declaration]:
    old, new = read_header(old_text), read_header(new_text)
    pairs = [(old[key], new[key]) for key in new if key in old and old[key].layout() != new[key].layout()]
    return [d for pair in pairs[:MAX_DECLARATIONS] for d in pair]


def main(argv: list[str]) -> int:
    """``python -m faultlab.lab.layouts OLD NEW``: the changed declarations as JSON ([old, new, old, new, ...])."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY, PARSE_MEMORY))
    try:
        texts = [Path(p).read_bytes()[:MAX_HEADER + 1].decode("utf-8") for p in argv]
        if len(texts) != 2 or any(len(t) > MAX_HEADER for t in texts):
            return 2
        declarations = _diffs_of_texts(*texts)
    except Exception:  # noqa: BLE001 - any header cffi cannot read has no layout, whatever it raised
        return 1
    json.dump([dataclasses.asdict(d) for d in declarations], sys.stdout)
    return 0


# -- in faultlab's process ----------------------------------------------------------------------------

def _declaration(data: dict) -> Declaration:
    kind = data["kind"]
    if kind not in KINDS:
        raise ValueError(kind)
    slots = tuple(Slot(str(s["name"]), str(s["type"]), *(_int_or_none(s[n]) for n in ("offset", "size", "value")))
                  for s in data["slots"][:MAX_SLOTS])
    return Declaration(kind, str(data["name"]), _int_or_none(data["size"]), _int_or_none(data["align"]), slots)


def _int_or_none(value) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(value)


def diff_headers(old: Path, new: Path, *, old_label: str = "old", new_label: str = "new",
                 relative=lambda p: str(p)) -> tuple[LayoutDiff, ...]:
    """The declarations whose layout differs between the headers ``old`` and ``new``; () when either cannot be read."""
    try:
        # A FIFO or a device (0 bytes to stat) would hold the parsing child until its time bound.
        if any(not stat.S_ISREG(st.st_mode) or st.st_size > MAX_HEADER for st in map(os.stat, (old, new))):
            return ()
        proc = subprocess.run([sys.executable, "-m", "faultlab.lab.layouts", str(old), str(new)], capture_output=True,
                              timeout=PARSE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    if proc.returncode != 0:
        return ()
    try:
        declarations = [_declaration(d) for d in json.loads(proc.stdout)]
    except (ValueError, KeyError, TypeError):
        return ()
    return tuple(LayoutDiff(relative(old), relative(new), old_label, new_label, a, b)
                 for a, b in zip(declarations[0::2], declarations[1::2]))


def version_pairs(headers) -> list[tuple[Path, Path]]:
    """(older, newer) header pairs: each header in a version directory (``include/v2/sensor.h``) with the same-named
    header of every older version beside it (``include/v1/sensor.h``), oldest first."""
    pairs = []
    for header in headers:
        header = Path(header)
        m = _VERSION_DIR.fullmatch(header.parent.name)
        if header.suffix != ".h" or not m:
            continue
        for sibling in sorted(header.parent.parent.iterdir(), key=lambda p: p.name):
            older = _VERSION_DIR.fullmatch(sibling.name)
            if older and int(older.group(1)) < int(m.group(1)) and (sibling / header.name).is_file():
                pairs.append((sibling / header.name, header))
    return pairs


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
