"""A sanitizer report printed unsymbolized (``symbolize=0``), symbolized in faultlab's process as its runtime would have printed it.

Why: a runtime that symbolizes its own report loads the debug information of every module
on its stacks, the interpreter's above all, in every crashed child: about 90 ms of a
120 ms crash. Unsymbolized, the child is gone a few milliseconds after the crash, and
faultlab's own llvm-symbolizer (``symbolize.shared``), warm across the runs of a process,
answers for the frames in well under a millisecond. The classifier then reads the report
exactly as it reads a report the runtime symbolized, and stays a pure reader.

What is rewritten: every frame line that names no function, ``    #3 0x7f..  (/lib/x.so+0x1159)``
(clang's runtimes add `` (BuildId: ...)``), and the ``SUMMARY:`` line that names the first
frame the same way. The frames of every stack are numbered on from 0 as the runtime numbers
them, inlined calls being frames of their own. The rendering is the runtime's (``STYLES``):

- ``gcc``: gcc's runtimes symbolize with libbacktrace: a function known to the debug
  information is named as the DWARF names it (``__interceptor_free``, not the symbol
  table's ``__interceptor_free.part.0``), file names as the compiler recorded them
  (``Objects/call.c``), no column, and the module and offset where no line is known;
- ``llvm``: clang's runtimes ask llvm-symbolizer itself (Debian's clang-16: its own version):
  linkage names (the symbol table's), absolute file names, line and column, a file without a
  line, the build id kept where no file is known.

What it reads was printed by a crashed child: only the first ``MAX_QUERIES`` distinct
module and offset pairs are asked for, only of regular files (``symbolize.queryable``),
within the symbolizer's deadline; a frame it cannot name keeps its line as printed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import re
import shutil

from . import symbolize

MAX_QUERIES = 512  # distinct (module, offset) pairs per report; a real report has a few dozen
MAX_LINE = 4096  # characters: a frame line is a few hundred; a longer one is left as it is

_OBJECT = r"\((?P<module>/[^()\n]+)\+0x(?P<offset>[0-9a-f]{1,16})\)(?P<build_id> \(BuildId: [0-9a-f]+\))?"
# The runtime's frame format is "    #%n %p %F %L": without a function, %F is empty and two blanks remain.
_FRAME = re.compile(r"(?P<head>[ \t]*#)(?P<n>\d{1,6}) (?P<pc>0x[0-9a-f]{1,16})  " + _OBJECT + r"[ \t]*$")
_NUMBERED = re.compile(r"[ \t]*#(?P<n>\d{1,6}) ")
# sanitizer_common's summary is "%L %F" of the first frame: the object, a blank, no function.
_SUMMARY = re.compile(r"(?P<head>SUMMARY: \w+Sanitizer: [^\n]*?) " + _OBJECT + r" ?$")
_MANGLED = re.compile(r"_[ZR]")  # Itanium C++ (and Rust's legacy scheme), Rust's v0

# libbacktrace's names: the DWARF's, and file names without the compilation directory.
_DWARF_NAMES = ("--functions=short", "--relativenames", "--inlines")
_LINKAGE_NAMES = ("--functions=linkage", "--relativenames", "--no-demangle", "--inlines")


# Debian's clang-16 runtimes run this one, whatever is on PATH; its demangler writes "A<B<int>>".
_CLANG_SYMBOLIZER = "llvm-symbolizer-16"


def style_of(runtimes: tuple[str, ...]) -> str:
    """The rendering of a configuration's runtimes: ``llvm`` for clang's (``libclang_rt``), else ``gcc``."""
    return "llvm" if any("clang" in r for r in runtimes) else "gcc"


@functools.cache
def _cxa_demangle():
    try:
        demangle = ctypes.CDLL(ctypes.util.find_library("stdc++") or "libstdc++.so.6").__cxa_demangle
    except (OSError, AttributeError):
        return None
    demangle.restype = ctypes.c_void_p
    return demangle


@functools.lru_cache(maxsize=4096)
def demangled(name: str) -> str:
    """An Itanium name as gcc's runtimes demangle it (libiberty's demangler, as libstdc++'s ``__cxa_demangle``);
    ``name`` itself when it is not one, or cannot be: Rust's v0 names stay as they are."""
    demangle = _cxa_demangle()
    if demangle is None or not name.startswith("_Z"):
        return name
    status = ctypes.c_int()
    out = demangle(name.encode(), None, None, ctypes.byref(status))
    if not out or status.value != 0:
        return name
    try:
        return ctypes.string_at(out).decode("utf-8", "backslashreplace")
    finally:
        ctypes.CDLL(None).free(ctypes.c_void_p(out))


def _names(queries: list[tuple[str, int]], style: str) -> list[tuple[symbolize.Place, ...]]:
    """Each query's places, innermost first, named as ``style``'s runtime names them."""
    if style == "llvm":
        return symbolize.shared(program=shutil.which(_CLANG_SYMBOLIZER)).locate(queries)
    linkage = symbolize.shared(_LINKAGE_NAMES).locate(queries)
    # A C function the debug information knows: the DWARF's own name, which libbacktrace prints
    # (the symbol table's may be a clone, __interceptor_free.part.0, or an alias).
    asked = [i for i, places in enumerate(linkage) if any(p.line and not _MANGLED.match(p.function) for p in places)]
    dwarf = dict(zip(asked, symbolize.shared(_DWARF_NAMES).locate([queries[i] for i in asked]) if asked else []))
    answers = []
    for i, places in enumerate(linkage):
        short = dwarf.get(i, ())
        short = short if len(short) == len(places) else [None] * len(places)
        answers.append(tuple(p._replace(function=s.function if s is not None and p.line and s.function != "??"
                                        and not _MANGLED.match(p.function) else demangled(p.function))
                             for p, s in zip(places, short)))
    return answers


def _location(place: symbolize.Place, obj: str, style: str) -> str:
    """%L: the file and line (llvm: and column, and a file without a line), else the object as printed.

    sanitizer_common strips a leading "./" from every file name (``StripPathPrefix``).
    """
    file = place.file.removeprefix("./")
    if style == "llvm":
        if not file:
            return obj
        return file + (f":{place.line}" if place.line else "") + (f":{place.column}" if place.line and place.column else "")
    return f"{file}:{place.line}" if place.line else obj


def symbolized(text: str, style: str = "gcc", symbolizer_names=_names) -> str:
    """``text`` with its unsymbolized frame and summary lines symbolized (see the module's docstring);
    ``text`` itself when it has none or nothing could be named."""
    if "+0x" not in text:
        return text
    lines = text.split("\n")
    found: dict[int, re.Match] = {}
    queries: dict[tuple[str, int], int] = {}
    for i, line in enumerate(lines):
        if "+0x" not in line or len(line) > MAX_LINE:
            continue
        m = _FRAME.fullmatch(line) or _SUMMARY.fullmatch(line)
        if m is None:
            continue
        key = (m.group("module"), int(m.group("offset"), 16))
        if key not in queries:
            if len(queries) >= MAX_QUERIES:
                continue
            queries[key] = len(queries)
        found[i] = m
    if not found:
        return text
    keys = list(queries)
    named = {key: tuple(p for p in places if p.function != "??") for key, places in zip(keys, symbolizer_names(keys, style))}
    out: list[str] = []
    shift = 0  # frames the inlined calls added so far to the stack being rewritten
    for i, line in enumerate(lines):
        m = found.get(i)
        numbered = _NUMBERED.match(line) if len(line) <= MAX_LINE else None
        if numbered and numbered.group("n") == "0":
            shift = 0
        places = named.get((m.group("module"), int(m.group("offset"), 16)), ()) if m else ()
        if not places:
            out.append(line if not (numbered and shift) else
                       line[:numbered.start("n")] + str(int(numbered.group("n")) + shift) + line[numbered.end("n"):])
            continue
        obj = f"({m.group('module')}+0x{m.group('offset')})" + (m.group("build_id") or "" if style == "llvm" else "")
        if m.re is _SUMMARY:
            out.append(f"{m.group('head')} {_location(places[0], obj, style)} in {places[0].function}")
            continue
        n = int(m.group("n")) + shift
        for k, place in enumerate(places):
            out.append(f"{m.group('head')}{n + k} {m.group('pc')} in {place.function} {_location(place, obj, style)}")
        shift += len(places) - 1
    return "\n".join(out)
