"""v2 inserts an enumerator and renumbers the rest; a v1 binding asks for the wrong operation.

The runtime's rule: an enumerator crosses the boundary as a plain integer, fixed when
the caller was compiled, or in cffi's ABI mode when its cdef was written; the library
matches the number, not the name. Version 2.0 of textops inserted ``TEXT_TITLE`` next
to ``TEXT_UPPER`` (diff ``native/abi_drift/include/v1/textops.h`` against ``v2/``), so
``TEXT_LOWER`` went from 1 to 2. The broken binding, declared from the v1 header, asks
for ``TEXT_LOWER`` and sends 1; the library performs ``TEXT_TITLE``. A user sees no
error, only text that comes back title-cased; another renumbering could as well turn
"encrypt" into "skip". The oracle, the same in both variants, compares the result with
``str.lower()`` and raises ``abi-mismatch``. The fix, in the binding: declare from the
v2 header, and refuse to run when ``textops_abi_version()`` differs from the header's
``TEXTOPS_ABI_VERSION``.
"""

from faultlab import Case, Detected, Expect, Library
from faultlab.lab.build import native_root

LIB = Library("abi_drift/textops", includes=("abi_drift/include/v2",))
HEADERS = native_root() / "abi_drift" / "include"
V1_CDEF = (HEADERS / "v1" / "textops.h").read_text()  # what the binding was written against
V2_CDEF = (HEADERS / "v2" / "textops.h").read_text()  # what the library is built from
SHOUTED = "HELLO, WORLD"

enum_renumbered = Case(
    id="abi-drift/enum-renumbered",
    mode="abi-drift",
    cwe="CWE-687",
    title="v2 inserts an enumerator; a binding declared from v1 sends TEXT_LOWER's old number and gets title case",
    explanation=__doc__,
    expect={"none": Expect("abi-mismatch", frame="lowercase_through_the_library"),
            "asan": Expect("abi-mismatch", frame="lowercase_through_the_library")},
    fix_in="binding",
    libraries=(LIB,),
)


def lowercase_through_the_library(ffi, lib) -> None:
    """The oracle: asking the library for ``TEXT_LOWER`` must give what ``str.lower()`` gives."""
    text = ffi.new("char[]", SHOUTED.encode("ascii"))
    if lib.text_apply(lib.TEXT_LOWER, text) != 0:
        raise RuntimeError(f"text_apply() refused TEXT_LOWER ({lib.TEXT_LOWER})")
    result = ffi.string(text).decode("ascii")
    if result != SHOUTED.lower():
        performed = ffi.string(lib.text_op_name(lib.TEXT_LOWER)).decode("ascii")
        raise Detected("abi-mismatch", f"asked for TEXT_LOWER ({lib.TEXT_LOWER}), library performed {performed}: "
                                       f"{SHOUTED!r} became {result!r}")


@enum_renumbered.broken
def declare_from_the_v1_header():
    ffi, lib = LIB.cffi(V1_CDEF)  # FLAW: TEXT_LOWER is 1 here, and 1 is TEXT_TITLE in the library
    lowercase_through_the_library(ffi, lib)


@enum_renumbered.fixed
def declare_from_the_v2_header_and_check():
    ffi, lib = LIB.cffi(V2_CDEF)  # FIX: TEXT_LOWER is 2, as the library was built
    if lib.textops_abi_version() != lib.TEXTOPS_ABI_VERSION:
        raise RuntimeError(f"libtextops speaks ABI {lib.textops_abi_version()}, this binding {lib.TEXTOPS_ABI_VERSION}")
    lowercase_through_the_library(ffi, lib)
