"""CPython: its fatal errors (faulthandler's and the GIL's), tracebacks, and the decode errors that meet CESU-8.

Frame syntax: a traceback's ``File "x.py", line 3, in f`` and faulthandler's ``File "x.py",
line 3 in f`` under ``Current thread 0x... (most recent call first):``. The interpreter's own
frames (libpython, its C source tree, runpy and threading) are plumbing around the Python code.
"""

from __future__ import annotations

import re

from . import _abort_messages
from ._schema import ABNORMAL, Marker, Reading, RuntimePath

MARKERS = (
    # Fatal errors about the GIL and thread states.
    Marker("gil-violation", "cpython",
           r"Fatal Python error: .*(?:GIL|thread state|PyGILState_Release|tstate).*"
           r"|^.*?(?:must be called with the GIL held|without holding the GIL|the function must be called with the GIL).*",  # ^.*? not .*: linear on a megabyte line
           "Fatal Python error: PyThreadState_Get: the function must be called with the GIL held, but the GIL is released (the current Python thread state is NULL)",
           precedence=400),
    # The debug allocator (PYTHONMALLOC=debug, pymalloc-debug) pads each block with
    # FORBIDDENBYTEs and checks them on free: a bad pad byte after a block is a write past
    # its end into memory Python owns, which ASan cannot see in pymalloc's arenas.
    Marker("heap-buffer-overflow", "cpython", r"Fatal Python error: _PyMem_Debug\w*: bad (?:trailing|leading) pad byte.*",
           "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte", precedence=402),
    # A block freed by another allocator family than the one that allocated it: PyMem_Malloc ('m')
    # freed by PyObject_Free ('o'), say. Each family may use a different heap.
    Marker("alloc-dealloc-mismatch", "cpython", r"Fatal Python error: _PyMem_Debug\w*: bad ID: .*",
           "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'", precedence=404),
    # Python 3.8-3.11: the recursion guard overflowed while handling its own RecursionError.
    Marker("stack-overflow", "cpython", r"Fatal Python error: .*Cannot recover from stack overflow.*",
           "Fatal Python error: _Py_CheckRecursiveCall: Cannot recover from stack overflow.", precedence=406),
    # Modified UTF-8 / CESU-8 bytes met by a strict decoder.
    Marker("encoding-corruption", "cpython",
           r"Unicode(?:Decode|Encode)Error: .*(?:can't decode bytes? (?:0xed|0xc0)|in position \d+(?:-\d+)?: (?:invalid continuation byte|invalid start byte)"
           r".*0x(?:ed|c0)|surrogates not allowed).*|Unicode(?:Decode|Encode)Error: .*surrogates not allowed.*",
           "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xed in position 5: invalid continuation byte",
           precedence=430, ending=ABNORMAL),
    # Fatal signal reports (faulthandler), when no sanitizer said more.
    Marker("segv", "faulthandler", r"Fatal Python error: Segmentation fault", "Fatal Python error: Segmentation fault",
           "or the child ended by SIGSEGV", precedence=490),
    Marker("bus-error", "faulthandler", r"Fatal Python error: Bus error", "Fatal Python error: Bus error",
           "or the child ended by SIGBUS", precedence=500),
    Marker("fpe", "faulthandler", r"Fatal Python error: Floating point exception", "Fatal Python error: Floating point exception",
           "or the child ended by SIGFPE", precedence=510),
    Marker("illegal-instruction", "faulthandler", r"Fatal Python error: Illegal instruction", "Fatal Python error: Illegal instruction",
           "or the child ended by SIGILL", precedence=520),
    Marker("abort", "faulthandler", r"Fatal Python error: Aborted", "Fatal Python error: Aborted",
           "or the child ended by SIGABRT", precedence=530),
    Marker("fatal-python-error", "cpython", r"Fatal Python error: .*",
           "Fatal Python error: init_import_site: Failed to import the site module", precedence=540),
    # A traceback is printed for a caught exception too (logging.exception, a thread's
    # excepthook): only an abnormal ending makes it the end of the program.
    Marker("python-exception", "cpython", r"Traceback \(most recent call last\):$",
           "Traceback (most recent call last):", "and the exit status is not 0", precedence=550, ending=ABNORMAL),
)

# The function runs to the line's last non-space (``.*\S``, not ``.+?\s*$``, which rescans
# every run of blanks from each of its characters: seconds on a 100 KB line).
TRACEBACK_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.*\S|.)\s*$')
FAULTHANDLER_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>.*\S|.)\s*$')
FAULTHANDLER_THREAD = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):")

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)(?:Python|Objects|Modules|Include|Parser|Programs)/", "libpython", precedence=20),
    # The standard library's thread pool: its worker frames stand between every task and its caller.
    RuntimePath(r"(?:^|/)concurrent/futures/", "python-stdlib", precedence=21),
)
RUNTIME_MODULES = (r"libpython", r"python-stdlib/", r"python3?(?:\.\d+)?$", r"<frozen", r"runpy\.py", r"threading\.py")
RUNTIME_FUNCTIONS = (r"_PyEval.*", r"_PyObject.*", r"PyObject_.*", r"_run_code", r"_run_module_as_main")


_API = re.compile(r"Allocated using API '(?P<allocated>\w)', verified using API '(?P<freed>\w)'")
_API_NAMES = {"r": "PyMem_RawMalloc", "m": "PyMem_Malloc", "o": "PyObject_Malloc"}


def read(marker: Marker, match: re.Match, text: str) -> Reading:
    """What the fatal error says beyond its line: why it aborted, whose block was overrun, which allocators met."""
    line = match.group(0).strip()
    if marker.kind == "abort":
        message = _abort_messages.last_before(text, match.start())
        return Reading(headline=message.headline, kind=message.kind) if message else Reading()
    if marker.kind == "heap-buffer-overflow":
        where = "past the end of" if "trailing" in line else "before the start of"
        return Reading(headline=f"{line}: a write {where} a block of Python's debug allocator (its pad bytes were overwritten)",
                       access="WRITE")
    if marker.kind == "alloc-dealloc-mismatch":
        api = _API.search(line)
        if api:
            allocated, freed = (_API_NAMES.get(api.group(n), api.group(n)) for n in ("allocated", "freed"))
            return Reading(headline=f"{line}: a block of {allocated} released by the {freed} family's free")
    return Reading()
