"""A sanitizer report printed unsymbolized (``symbolize=0``), symbolized in faultlab's process as its runtime would have printed it.

Why: a runtime that symbolizes its own report loads the debug information of every module
on its stacks, the interpreter's above all, in every crashed child: about 90 ms of a
120 ms crash. Unsymbolized, the child is gone a few milliseconds after the crash, and
faultlab's own llvm-symbolizer (``symbolize.shared``), warm across the runs of a process,
answers for the frames in well under a millisecond. The classifier then reads the report
exactly as it reads a report the runtime symbolized, and stays a pure reader.

What is rewritten: every frame line that names no function, ``    #3 0x7f..  (/lib/x.so+0x1159)``
(clang's runtimes add `` (BuildId: ...)``), and the ``SUMMARY:`` line that names a frame the
same way. The frames of every stack are numbered on from 0 as the runtime numbers them,
inlined calls being frames of their own. A ``Style`` says how: whose names (``names``) and
whose frame layout (``layout``).

Names:

- ``gcc``: gcc's runtimes symbolize with libbacktrace: a function known to the debug
  information is named as the DWARF names it (``__interceptor_free``, not the symbol
  table's ``__interceptor_free.part.0``), file names as the compiler recorded them
  (``Objects/call.c``), no column, and the module and offset where no line is known;
- ``llvm``: clang's runtimes ask llvm-symbolizer itself (Debian's clang-16: its own version):
  linkage names (the symbol table's), absolute file names, line and column, a file without a
  line, the build id kept where no file is known.

Layouts:

- ``common``: sanitizer_common's ``    #%n %p %F %L`` (ASan, UBSan, LSan), and a summary
  naming the first frame;
- ``tsan``: ThreadSanitizer's ``    #%n %f %S %M``: ``<null>`` for an unknown function or
  file, ``__interceptor_`` taken off a function's name, the module's base name and offset,
  or the pc where no module is. Its ``%M`` keeps no path to ask the symbolizer with, so the
  child prints sanitizer_common's layout instead (``stack_trace_format=DEFAULT``, see
  ``configurations``), and every frame line of it is rewritten into TSan's own, named or not.
  What TSan decides from names is decided here the same way: the bottom frame under ``main``
  or in a thread's or the program's start-up is dropped (``StackStripMain``); the summary
  names the first frame of its stack that is not an interceptor (``SkipTsanInternalFrames``);
  and ``Location is global '<null>'`` gets the global's name, start and size from the symbol
  table (``SymbolizeData``), its start counted from the lowest address the report's
  accesses name, which is the address TSan asked about.

What it reads was printed by a crashed child: only the first ``MAX_QUERIES`` distinct
module and offset pairs are asked for, only of regular files (``symbolize.queryable``),
within the symbolizer's deadline; a frame it cannot name keeps its line as printed (under
``tsan``: TSan's own line for an unnamed frame).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import re
import shutil
from typing import NamedTuple

from . import symbolize

MAX_QUERIES = 512  # distinct (module, offset) pairs per report; a real report has a few dozen
MAX_LINE = 4096  # characters: a frame line is a few hundred; a longer one is left as it is

_OBJECT = r"\((?P<module>/[^()\n]+)\+0x(?P<offset>[0-9a-f]{1,16})\)(?P<build_id> \(BuildId: [0-9a-f]+\))?"
# The runtime's frame format is "    #%n %p %F %L": without a function, %F is empty and two blanks remain.
_FRAME = re.compile(r"(?P<head>[ \t]*#)(?P<n>\d{1,6}) (?P<pc>0x[0-9a-f]{1,16})  " + _OBJECT + r"[ \t]*$")
# The same under TSan, which must rewrite every frame line: code outside any file ("[stack]",
# "[vdso]") and outside any module too.
_ANY_FRAME = re.compile(r"(?P<head>[ \t]*#)(?P<n>\d{1,6}) (?P<pc>0x[0-9a-f]{1,16})  "
                        r"(?:\((?P<module>[^()\n]+)\+0x(?P<offset>[0-9a-f]{1,16})\)|\(<unknown module>\))[ \t]*$")
_NUMBERED = re.compile(r"[ \t]*#(?P<n>\d{1,6}) ")
# sanitizer_common's summary is "%L %F" of the first frame: the object, a blank, no function.
_SUMMARY = re.compile(r"(?P<head>SUMMARY: \w+Sanitizer: [^\n]*?) " + _OBJECT + r" ?$")
_MANGLED = re.compile(r"_[ZR]")  # Itanium C++ (and Rust's legacy scheme), Rust's v0

# TSan's report, as tsan_report.cpp prints it.
_TSAN_REPORT = re.compile(r"(?:==\d+==)?WARNING: ThreadSanitizer: ")
_TSAN_GLOBAL = re.compile(r"(?P<head>  Location is global )'<null>' at 0x0+ "
                          r"\((?P<base>[^()/\n]+)\+0x(?P<offset>[0-9a-f]{1,16})\)")
_TSAN_ACCESS = re.compile(r"  [A-Z][\w -]* at (?P<addr>0x[0-9a-f]{1,16}) by (?:main thread|thread T\d+)\b")
_INTERPOSED = "__interceptor_"  # kInterposedFunctionPrefix: TSan's frames name the function it stands for
# StackStripMain: the frame under main, and these start-up routines at the bottom of a stack, are not shown.
_STARTUP = ("__tsan_thread_start_func", "__do_global_ctors_aux", "__libc_csu_init", "__libc_start_main")
# FrameIsInternal: the summary names the first frame that is none of these.
_TSAN_INTERNAL_FILES = ("tsan_interceptors_posix.cpp", "tsan_interceptors_memintrinsics.cpp",
                        "sanitizer_common_interceptors.inc", "tsan_interface_")
_TSAN_INTERNAL_MODULE = "libclang_rt.tsan_"

# libbacktrace's names: the DWARF's, and file names joined to their line table directory, which is
# the compilation directory only for a file in that directory itself (--relativenames leaves it out).
_DWARF_NAMES = ("--functions=short", "--inlines")
_LINKAGE_NAMES = ("--functions=linkage", "--relativenames", "--no-demangle", "--inlines")


# Debian's clang-16 runtimes run this one, whatever is on PATH; its demangler writes "A<B<int>>".
_CLANG_SYMBOLIZER = "llvm-symbolizer-16"


class Style(NamedTuple):
    """How a runtime prints a symbolized report: whose names (``gcc``, ``llvm``), whose frame layout (``common``, ``tsan``)."""

    names: str = "gcc"
    layout: str = "common"


def style_of(runtimes: tuple[str, ...]) -> Style:
    """The style of a configuration's runtimes: ``llvm`` names for clang's (``libclang_rt``), else ``gcc``;
    TSan's layout for TSan's runtime, else sanitizer_common's."""
    return Style("llvm" if any("clang" in r for r in runtimes) else "gcc",
                 "tsan" if any("tsan" in os.path.basename(r) for r in runtimes) else "common")


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
    # (the symbol table's may be a clone, __interceptor_free.part.0, or an alias). And a file of the
    # compilation directory itself (a bare name here): libbacktrace joins that directory to it, as
    # it joins every file to its directory in the line table, where a relative one stays relative.
    asked = [i for i, places in enumerate(linkage)
             if any(p.line and (not _MANGLED.match(p.function) or "/" not in p.file) for p in places)]
    dwarf = dict(zip(asked, symbolize.shared(_DWARF_NAMES).locate([queries[i] for i in asked]) if asked else []))
    answers = []
    for i, places in enumerate(linkage):
        short = dwarf.get(i, ())
        short = short if len(short) == len(places) else [None] * len(places)
        answers.append(tuple(p._replace(function=s.function if s is not None and p.line and s.function != "??"
                                        and not _MANGLED.match(p.function) else demangled(p.function),
                                        file=_joined(p.file, s.file) if s is not None and p.line and "/" not in p.file else p.file)
                             for p, s in zip(places, short)))
    return answers


def _data(queries: list[tuple[str, int]], style: str) -> list[symbolize.Datum | None]:
    """The global that holds each query's address, named as ``style``'s runtime names it (the symbol table's name,
    demangled)."""
    if style == "llvm":
        return symbolize.shared(program=shutil.which(_CLANG_SYMBOLIZER)).locate_data(queries)
    return [d and d._replace(name=demangled(d.name)) for d in symbolize.shared(_LINKAGE_NAMES).locate_data(queries)]


def _joined(relative: str, absolute: str) -> str:
    """A file of the compilation directory as libbacktrace names it: that directory, as the line table records
    it, joined to the name. llvm-symbolizer's ``absolute`` name is the same when the directory is absolute;
    a relative one (glibc's "./nptl") it prefixes with the compilation directory again ("./nptl/./nptl/x.c")."""
    if not absolute.endswith("/" + relative):
        return absolute or relative
    directory = absolute[:-len(relative) - 1]
    half = directory[:len(directory) // 2]
    if not directory.startswith("/") and directory == f"{half}/{half}":
        return f"{half}/{relative}"
    return absolute


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


def symbolized(text: str, style: Style | str = Style(), symbolizer_names=_names, symbolizer_data=_data) -> str:
    """``text`` with its unsymbolized frame and summary lines symbolized (see the module's docstring);
    ``text`` itself when it has none or nothing could be named. ``style``: a ``Style``, or its ``names`` alone."""
    style = Style(style) if isinstance(style, str) else style
    if "+0x" not in text and "(<unknown module>)" not in text:
        return text
    lines = text.split("\n")
    frame = _ANY_FRAME if style.layout == "tsan" else _FRAME
    found: dict[int, re.Match] = {}
    queries: dict[tuple[str, int], int] = {}
    for i, line in enumerate(lines):
        if "  (" not in line and "SUMMARY: " not in line or len(line) > MAX_LINE:
            continue
        m = frame.fullmatch(line) or _SUMMARY.fullmatch(line)
        if m is None:
            continue
        found[i] = m
        if m.group("module") is None or not m.group("module").startswith("/"):
            continue
        key = (m.group("module"), int(m.group("offset"), 16))
        if key not in queries and len(queries) < MAX_QUERIES:
            queries[key] = len(queries)
    if not found:
        return text
    keys = list(queries)
    named = {key: tuple(p for p in places if p.function != "??")
             for key, places in zip(keys, symbolizer_names(keys, style.names) if keys else ())}
    if style.layout == "tsan":
        return "\n".join(_tsan(lines, found, named, style.names, symbolizer_data))
    return "\n".join(_common(lines, found, named, style.names))


def _common(lines: list[str], found: dict[int, re.Match], named: dict, style: str) -> list[str]:
    """sanitizer_common's layout: each named frame line becomes its places, the rest keep their lines, renumbered."""
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
    return out


class _TsanFrame(NamedTuple):
    """One frame of a TSan stack as the runtime holds it after symbolizing: an inlined call is a frame of its own."""

    place: symbolize.Place | None
    module: str | None  # the full path the child printed; None: no module
    offset: str  # hex, as printed
    pc: str  # as printed


def _tsan_stack(ms: list[re.Match], named: dict) -> list[_TsanFrame]:
    frames: list[_TsanFrame] = []
    for m in ms:
        key = (m.group("module"), int(m.group("offset"), 16)) if m.group("module") else None
        places = named.get(key, ()) or (None,)
        frames.extend(_TsanFrame(p, m.group("module"), m.group("offset") or "", m.group("pc")) for p in places)
    if len(frames) >= 2:  # StackStripMain
        last, above = frames[-1].place, frames[-2].place
        if (above and above.function == "main") or (last and last.function in _STARTUP):
            frames.pop()
    return frames


def _tsan_frame(n: int, frame: _TsanFrame, head: str, style: str) -> str:
    """``    #%n %f %S %M`` of one frame."""
    place = frame.place
    function = place.function.removeprefix(_INTERPOSED) if place else "<null>"
    source = "<null>"
    if place and place.file and place.line:
        source = _location(place, "", style)
    elif place and place.file and style == "llvm":
        source = place.file.removeprefix("./")
    where = f"({frame.module.rsplit('/', 1)[-1]}+0x{frame.offset})" if frame.module else f"({frame.pc})"
    return f"{head}{n} {function} {source} {where}"


def _tsan_internal(frame: _TsanFrame) -> bool:
    file = frame.place.file if frame.place else ""
    return any(name in file for name in _TSAN_INTERNAL_FILES) or _TSAN_INTERNAL_MODULE in (frame.module or "")


def _tsan_summary(m: re.Match, stacks: list[tuple[list[re.Match], list[_TsanFrame]]], named: dict, style: str) -> str:
    """``SUMMARY: ThreadSanitizer: <kind> %L %F`` of the first frame of the summary's stack that is not TSan's own.

    Unsymbolized, TSan named that stack's first frame (or, in clang's runtime, the first outside it): the
    stack is the report's first that holds it there.
    """
    if not stacks:  # no frame of the report was printed unsymbolized: the child named them, and this line
        return m.group(0)
    key = (m.group("module"), m.group("offset"))
    for raw, frames in stacks:
        at = next((k for k, r in enumerate(raw) if (r.group("module"), r.group("offset")) == key), None)
        if at is not None and all(_TSAN_INTERNAL_MODULE in (r.group("module") or "") for r in raw[:at]):
            break
    else:
        places = named.get((m.group("module"), int(m.group("offset"), 16)), ())
        frames = [_TsanFrame(places[0], m.group("module"), m.group("offset"), "")] if places else []
    k = 0
    while k + 1 < len(frames) and _tsan_internal(frames[k]):
        k += 1
    if not frames:
        return m.group(0)
    frame = frames[k]
    if frame.place is None:  # %L of a frame without a name: its object; %F: nothing
        return f"{m.group('head')} " + (f"({frame.module}+0x{frame.offset}) " if frame.module else "(<unknown module>) ")
    obj = f"({frame.module}+0x{frame.offset})" if frame.module else "(<unknown module>)"
    return f"{m.group('head')} {_location(frame.place, obj, style)} in {frame.place.function}"


def _tsan(lines: list[str], found: dict[int, re.Match], named: dict, style: str, symbolizer_data) -> list[str]:
    """TSan's layout: every stack rewritten whole (its frames named where they can be, its bottom stripped as TSan
    strips it), the summary named after its stack, a global's location after the symbol table."""
    out: list[str] = []
    stacks: list[tuple[list[re.Match], list[_TsanFrame]]] = []  # of the report being read
    lowest: int | None = None  # the lowest address an access of the report being read names
    globals_at: list[tuple[int, int]] = []  # "Location is global '<null>'" lines: index in ``out``, lowest address
    i = 0
    while i < len(lines):
        line = lines[i]
        m = found.get(i)
        if m is None:
            if _TSAN_REPORT.match(line):
                stacks, lowest = [], None
            elif (access := _TSAN_ACCESS.match(line)) is not None:
                address = int(access.group("addr"), 16)
                lowest = address if lowest is None else min(lowest, address)
            elif line.startswith("  Location is global '<null>'") and lowest is not None and len(globals_at) < MAX_QUERIES:
                globals_at.append((len(out), lowest))
            out.append(line)
            i += 1
            continue
        if m.re is _SUMMARY:
            out.append(_tsan_summary(m, stacks, named, style))
            i += 1
            continue
        raw = [m]
        while (i + len(raw) in found and found[i + len(raw)].re is not _SUMMARY
               and found[i + len(raw)].group("n") != "0"):
            raw.append(found[i + len(raw)])
        frames = _tsan_stack(raw, named)
        stacks.append((raw, frames))
        out.extend(_tsan_frame(n, frame, m.group("head"), style) for n, frame in enumerate(frames))
        i += len(raw)
    if globals_at:
        _tsan_globals(out, globals_at, found, style, symbolizer_data)
    return out


def _tsan_globals(out: list[str], at: list[tuple[int, int]], found: dict[int, re.Match], style: str,
                  symbolizer_data) -> None:
    """Each ``Location is global '<null>' at 0x000000000000 (libx.so+0x4068)`` as TSan names the global, in place.

    The line keeps only the module's base name: the full path is the one the report's frames print
    for it (left alone when none does, or two do). The address TSan asked about is the lowest the
    report's accesses name; the global starts where the symbol table says, counted from there.
    """
    paths: dict[str, set[str]] = {}
    for m in found.values():
        if m.group("module"):
            paths.setdefault(m.group("module").rsplit("/", 1)[-1], set()).add(m.group("module"))
    wanted: list[tuple[int, re.Match, str, int]] = []
    for k, address in at:
        g = _TSAN_GLOBAL.fullmatch(out[k])
        candidates = paths.get(g.group("base"), set()) if g else set()
        if len(candidates) == 1:
            wanted.append((k, g, next(iter(candidates)), address))
    data = symbolizer_data([(path, int(g.group("offset"), 16)) for _, g, path, _ in wanted], style) if wanted else []
    for (k, g, _, address), datum in zip(wanted, data):
        if datum is None:
            continue
        start = address - int(g.group("offset"), 16) + datum.start
        size = f" of size {datum.size}" if datum.size else ""
        out[k] = f"{g.group('head')}'{datum.name}'{size} at 0x{start:012x} ({g.group('base')}+0x{g.group('offset')})"
