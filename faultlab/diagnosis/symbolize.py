"""Module-and-offset pairs to function, file and line (or, for data, the global that holds it): one warm
``llvm-symbolizer`` per process and way of asking.

Starting llvm-symbolizer and loading a module's debug information costs tens of
milliseconds; a crash's frames need it once per module, and a session of runs mostly meets
the same modules again. So one process is kept alive (``shared()``), fed one query per line
on stdin and answering one JSON line each (``--output-style=JSON``); it is registered with
``containment`` as faultlab's own helper, killed and reaped when this process exits, and
replaced after any failure. Every exchange is bounded in time: past the deadline the
symbolizer is killed and the frames keep the names the crash handler gave them.

What it reads is named by a crashed child: only ELF files are queried, by the real path
faultlab resolved, never a FIFO, a device or a /proc file that would block it or stand for
something else in its process (``queryable``).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import stat
import subprocess
import time
from typing import NamedTuple

from . import containment

TIMEOUT_S = 10.0  # for one batch: the first query of a large module loads its debug information
REPLY_CAP = 1 << 20  # bytes of answers per batch
# Queries written at once: their answers must fit the pipe while the rest are written.
QUERIES_PER_WRITE = 64
# How the crash handler's frames are asked for: linkage names (the symbol table's where it
# has one), demangled, absolute file names, inlined calls as frames of their own.
DEFAULT_OPTIONS = ("--functions=linkage", "--demangle", "--inlines")
MODULE_CAP = 4 << 30  # bytes: no shared library or program under test is larger
UNQUERYABLE = ("/proc/", "/sys/", "/dev/")
CANDIDATES = ("llvm-symbolizer", "llvm-symbolizer-16", "/usr/lib/llvm-16/bin/llvm-symbolizer")


class Place(NamedTuple):
    """Where an address is: innermost first when the compiler inlined it into its caller."""

    function: str
    file: str = ""
    line: int | None = None
    column: int | None = None


class Datum(NamedTuple):
    """The symbol that holds a data address: its name as the symbol table spells it, its start (an offset
    into the module, as the query's) and its size in bytes (0 when the table gives none)."""

    name: str
    start: int
    size: int


def command() -> str | None:
    """The llvm-symbolizer to run: ``$LLVM_SYMBOLIZER_PATH`` (the sanitizers' variable), else one on PATH or LLVM 16's."""
    for candidate in (os.environ.get("LLVM_SYMBOLIZER_PATH"), *CANDIDATES):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    return None


def queryable(module: str) -> str | None:
    """The path to hand the symbolizer for ``module``, or None when it may not be asked about it.

    ``module`` comes from a crashed child's file, and the symbolizer opens what it is given in its
    own context, where ``/proc/self`` is the symbolizer (its stdin: the query pipe it would block
    on). So the path is resolved here, and only a regular file outside ``/proc``, ``/sys`` and
    ``/dev``, of an object file's size, that starts as an ELF file does, is queried, by its real path.
    """
    if not module.startswith("/") or any(c in module for c in '"\n\r\0') or len(module) > 4096:
        return None
    real = os.path.realpath(module)
    if real.startswith(UNQUERYABLE) or any(c in real for c in '"\n\r\0'):
        return None
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not 64 <= st.st_size <= MODULE_CAP:
            return None
        return real if os.pread(fd, 4, 0) == b"\x7fELF" else None
    except OSError:
        return None
    finally:
        os.close(fd)


class Symbolizer:
    """One llvm-symbolizer process, started on first use; ``locate`` never raises and never blocks past its deadline."""

    def __init__(self, program: str | None, options: tuple[str, ...] = DEFAULT_OPTIONS):
        self.program = program  # None: no symbolizer, every answer is ()
        self.options = options
        self._proc: subprocess.Popen | None = None
        self._owner = os.getpid()

    @property
    def available(self) -> bool:
        return self.program is not None

    def _start(self) -> subprocess.Popen | None:
        if self._proc is None and self.program:
            env = {k: v for k, v in os.environ.items() if k not in ("FAULTLAB_DUMP_DIR", "LD_PRELOAD")}
            try:
                self._proc = subprocess.Popen(
                    [self.program, "--output-style=JSON", *self.options],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                    start_new_session=True,
                )
            except OSError:
                self.program = None
                return None
            containment.register_helper(self._proc.pid)
        return self._proc

    def close(self) -> None:
        """Kill and reap the process (a later ``locate`` starts another)."""
        proc, self._proc = self._proc, None
        if proc is None or os.getpid() != self._owner:
            return
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            stream.close()
        containment.forget_helper(proc.pid)

    def locate(self, queries: list[tuple[str, int]], *, timeout: float = TIMEOUT_S) -> list[tuple[Place, ...]]:
        """For each ``(module, offset)``, its places, innermost first; ``()`` where the symbolizer said
        nothing, could not be asked (``queryable``), failed or ran out of time."""
        return [_places(line) if line else () for line in self._ask("", queries, timeout)]

    def locate_data(self, queries: list[tuple[str, int]], *, timeout: float = TIMEOUT_S) -> list[Datum | None]:
        """For each ``(module, offset)`` of data, the symbol that holds it (a global's name, start and size, as
        the symbol table says); None where there is none, or under the same conditions as ``locate``."""
        return [_datum(line) if line else None for line in self._ask("DATA ", queries, timeout)]

    def _ask(self, command: str, queries: list[tuple[str, int]], timeout: float) -> list[bytes | None]:
        """One answer line per query (``command`` before each: "" for code, "DATA " for data), None where it was not asked."""
        answers: list[bytes | None] = [None] * len(queries)
        paths = [queryable(module) if self.available else None for module, _ in queries]
        asked = [i for i, path in enumerate(paths) if path is not None]
        proc = self._start() if asked and os.getpid() == self._owner else None
        if proc is None:
            return answers
        deadline = time.monotonic() + timeout
        for start in range(0, len(asked), QUERIES_PER_WRITE):
            batch = asked[start:start + QUERIES_PER_WRITE]
            request = "".join(f'{command}"{paths[i]}" 0x{queries[i][1]:x}\n' for i in batch).encode()
            try:
                os.write(proc.stdin.fileno(), request)  # a few KiB: the pipe takes it whole
                lines = self._read_lines(proc, len(batch), deadline)
            except OSError:
                lines = None
            if lines is None:
                self.close()
                return answers
            for i, line in zip(batch, lines):
                answers[i] = line
        return answers

    @staticmethod
    def _read_lines(proc: subprocess.Popen, count: int, deadline: float) -> list[bytes] | None:
        fd = proc.stdout.fileno()
        data = b""
        while data.count(b"\n") < count:
            left = deadline - time.monotonic()
            if left <= 0 or len(data) > REPLY_CAP or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            data += chunk
        return data.split(b"\n")[:count]


def _places(line: bytes) -> tuple[Place, ...]:
    try:
        reply = json.loads(line)
        symbols = reply["Symbol"] if isinstance(reply, dict) else []
        places = []
        for symbol in symbols[:16] if isinstance(symbols, list) else ():
            function = symbol.get("FunctionName") or "??"
            file = symbol.get("FileName") or ""
            line_no, column = symbol.get("Line"), symbol.get("Column")
            if isinstance(function, str) and isinstance(file, str):
                places.append(Place(function, file, line_no if isinstance(line_no, int) and line_no > 0 else None,
                                    column if isinstance(column, int) and column > 0 else None))
        return tuple(places)
    except (ValueError, TypeError, KeyError, AttributeError):
        return ()


def _datum(line: bytes) -> Datum | None:
    try:
        data = json.loads(line).get("Data")
        name, start, size = data.get("Name"), int(data.get("Start"), 16), int(data.get("Size"), 16)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return Datum(name, start, size) if isinstance(name, str) and name and name != "??" else None


_shared: dict[tuple, Symbolizer] = {}


def shared(options: tuple[str, ...] = DEFAULT_OPTIONS, program: str | None = None) -> Symbolizer:
    """This process's symbolizer (``program``, default ``command()``) asked with ``options``; its
    llvm-symbolizer ends when this process does."""
    program = program or command()
    symbolizer = _shared.get((program, options))
    if symbolizer is None or symbolizer._owner != os.getpid():
        symbolizer = _shared[(program, options)] = Symbolizer(program, options)
        atexit.register(symbolizer.close)
    return symbolizer
