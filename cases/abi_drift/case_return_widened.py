"""A return type widened from int32_t to int64_t in v2; a v1 binding reads half of it.

The runtime's rule: cffi's ABI mode (like ctypes' ``restype``) converts a return value
by the type the binding declares, not the one the library returns. Version 2.0 of
fsinfo widened ``fsinfo_size()`` from ``int32_t`` to ``int64_t`` for files of 2 GiB and
more (diff ``native/abi_drift/include/v1/fsinfo.h`` against ``v2/``). The library returns
all 64 bits in ``rax``; the broken binding, declared from the v1 header, reads ``eax``,
the low 32. Every file under 2 GiB still measures right; a 5 GiB disk image is reported
as 1 GiB, with no error and nothing out of bounds for a sanitizer to see. The oracle,
the same in both variants, compares the library's answer with ``os.stat()`` and raises
``abi-mismatch``. The fix, in the binding: declare from the v2 header, and refuse to
run when ``fsinfo_abi_version()`` differs from the header's ``FSINFO_ABI_VERSION``.
"""

import os
import tempfile

from faultlab import Case, Detected, Expect, Library
from faultlab.lab.build import native_root

LIB = Library("abi_drift/fsinfo", includes=("abi_drift/include/v2",))
HEADERS = native_root() / "abi_drift" / "include"
V1_CDEF = (HEADERS / "v1" / "fsinfo.h").read_text()  # what the binding was written against
V2_CDEF = (HEADERS / "v2" / "fsinfo.h").read_text()  # what the library is built from
DISK_IMAGE_SIZE = 5 * 2**30 + 4097  # 0x1_4000_1001: the low 32 bits alone say 1 GiB + 4097

return_widened = Case(
    id="abi-drift/return-widened",
    mode="abi-drift",
    cwe="CWE-681",
    title="v2 widens a return from int32_t to int64_t; a binding declared from v1 truncates a 5 GiB size to 1 GiB",
    explanation=__doc__,
    expect={"none": Expect("abi-mismatch", frame="measure_a_large_file"),
            "asan": Expect("abi-mismatch", frame="measure_a_large_file")},
    fix_in="binding",
    libraries=(LIB,),
)


def measure_a_large_file(lib) -> None:
    """The oracle: the library's size of a sparse 5 GiB file must be the size ``os.stat()`` reports."""
    with tempfile.TemporaryDirectory(prefix="faultlab-fsinfo-") as folder:
        path = os.path.join(folder, "disk.img")
        with open(path, "wb") as image:
            image.truncate(DISK_IMAGE_SIZE)  # sparse: it takes no disk space
        size, truth = lib.fsinfo_size(path.encode()), os.stat(path).st_size
    if size != truth:
        raise Detected("abi-mismatch", f"fsinfo_size() says {size} bytes for a file of {truth} bytes")


@return_widened.broken
def declare_from_the_v1_header():
    ffi, lib = LIB.cffi(V1_CDEF)  # FLAW: int32_t fsinfo_size(): only eax of the int64_t in rax is read
    measure_a_large_file(lib)


@return_widened.fixed
def declare_from_the_v2_header_and_check():
    ffi, lib = LIB.cffi(V2_CDEF)  # FIX: int64_t fsinfo_size(), as the library was built
    if lib.fsinfo_abi_version() != lib.FSINFO_ABI_VERSION:
        raise RuntimeError(f"libfsinfo speaks ABI {lib.fsinfo_abi_version()}, this binding {lib.FSINFO_ABI_VERSION}")
    measure_a_large_file(lib)
