"""A struct the caller fills is passed to a library built from a newer header, which reads past its end.

The runtime's rule: in cffi's ABI mode the binding's cdef decides how many bytes
``ffi.new("struct sensor_reading *", fields)`` allocates and where each field goes; the
library reads the struct with the layout of the header *it* was compiled from. Version
2.0 of the sensor library inserted ``status`` after ``sensor_id`` (diff
``native/abi_drift/include/v1/sensor.h`` against ``v2/``). The broken binding, declared from
v1, hands ``sensor_store()`` a 16-byte struct; the library copies 24 bytes out of it: the
v1 ``millicelsius`` becomes the v2 ``status``, half of the timestamp becomes the
temperature, and the last 8 bytes come from past the end of the block (ASan:
heap-buffer-overflow READ of size 24 in ``sensor_store``). Hypothesis drives the round
trip the same way in both variants: every reading the binding stores must come back
from ``sensor_read()`` unchanged, for field values across each field's whole C range
(``faultlab.lab.strategies.field_values``, drawn from the binding's own declaration). The
fix, in the binding: declare from the header the library was built from, and check
``sensor_abi_version()`` before trusting it.
"""

from hypothesis import given

from faultlab.lab import strategies
from faultlab.lab.build import native_root
from faultlab import Case, Expect, Library

LIB = Library("abi_drift/sensor", includes=("abi_drift/include/v2",))
HEADERS = native_root() / "abi_drift" / "include"
V1_CDEF = (HEADERS / "v1" / "sensor.h").read_text()  # what the binding was written against
V2_CDEF = (HEADERS / "v2" / "sensor.h").read_text()  # what the library is built from

struct_read_past_end = Case(
    id="abi-drift/struct-read-past-end",
    mode="abi-drift",
    cwe="CWE-188",
    title="a struct declared from v1 is passed in to a v2 library, which reads 8 bytes past its end",
    explanation=__doc__,
    expect={"asan": Expect("heap-buffer-overflow", frame="sensor_store", access="READ")},
    fix_in="binding",
    libraries=(LIB,),
)


def store_and_read_back(ffi, lib) -> None:
    """The oracle: a stored reading comes back field for field, whatever its values."""

    @strategies.DEMONSTRATION
    @given(strategies.field_values(ffi, "struct sensor_reading"))
    def round_trip(fields):
        lib.sensor_store(ffi.new("struct sensor_reading *", fields))
        back = ffi.new("struct sensor_reading *")
        lib.sensor_read(fields["sensor_id"], back)
        assert {name: getattr(back, name) for name in fields} == fields

    round_trip()


@struct_read_past_end.broken
def declare_from_the_v1_header():
    ffi, lib = LIB.cffi(V1_CDEF)  # FLAW: a 16-byte struct sensor_reading; the library reads 24 bytes of it
    store_and_read_back(ffi, lib)


@struct_read_past_end.fixed
def declare_from_the_v2_header_and_check():
    ffi, lib = LIB.cffi(V2_CDEF)  # FIX: the declarations of the header the library was built from
    if lib.sensor_abi_version() != lib.SENSOR_ABI_VERSION:
        raise RuntimeError(f"libsensor speaks ABI {lib.sensor_abi_version()}, this binding {lib.SENSOR_ABI_VERSION}")
    store_and_read_back(ffi, lib)
