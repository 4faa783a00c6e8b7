"""ctypes and cffi: the exceptions a Python callback raised that they print and swallow, and libffi under both.

Both report on stderr and carry on, so the process may well exit 0. Their frames, and
libffi's, are the call machinery between Python and C.
"""

from __future__ import annotations

from ._schema import ANY, Marker, RuntimePath

MARKERS = (
    Marker("swallowed-exception", "ctypes", r"Exception ignored on calling ctypes callback function.*",
           "Exception ignored on calling ctypes callback function: <function on_item at 0x7f>",
           precedence=410, ending=ANY),
    Marker("swallowed-exception", "cffi", r"(?:Exception ignored from cffi callback|From cffi callback).*",
           "From cffi callback <function on_item at 0x7f>:",
           precedence=420, ending=ANY),
)

RUNTIME_PATHS = (
    RuntimePath(r"(?:^|/)libffi[^/]*/|(?:^|/)src/x86/", "libffi", precedence=40),
    # cffi's Python half (api.py: ffi.string, ffi.new, ...), the same runtime as _cffi_backend.
    RuntimePath(r"(?:^|/)site-packages/cffi/", "cffi", precedence=41),
)
RUNTIME_MODULES = (r"libffi", r"cffi/", r"_cffi_backend", r"_ctypes")
RUNTIME_FUNCTIONS = (r"ffi_call.*",)
