"""A struct the caller allocates gains a field in v2; the binding still allocates the v1 size.

The runtime's rule: in cffi's ABI mode (and in ctypes) the binding's declarations *are*
the layout: ``ffi.new("struct sensor_reading *")`` allocates what the cdef says, and
nothing compares it with the library that is actually loaded. Version 2.0 of the sensor
library inserted ``status`` after ``sensor_id`` (diff ``native/abi_drift/include/v1/sensor.h``
against ``v2/``): every later field moved and the struct grew from 16 to 24 bytes. The
broken binding's cdef is the v1 header; it allocates 16 bytes and ``sensor_read`` writes
24, the last field past the end of the block. A user sees wrong readings (the
temperature field now holds ``status``) and, sooner or later, a corrupted heap (ASan:
heap-buffer-overflow WRITE of size 8 in ``sensor_read``). The fix, in the binding:
declare from the header the library was built from, and check the library's
``sensor_abi_version()`` against the header's ``SENSOR_ABI_VERSION`` before trusting it.
"""

from faultlab.lab.build import native_root
from faultlab import Case, Expect, Library

LIB = Library("abi_drift/sensor", includes=("abi_drift/include/v2",))
HEADERS = native_root() / "abi_drift" / "include"
V1_CDEF = (HEADERS / "v1" / "sensor.h").read_text()  # what the binding was written against
V2_CDEF = (HEADERS / "v2" / "sensor.h").read_text()  # what the library is built from
SENSOR = 7

struct_field_inserted = Case(
    id="abi-drift/struct-field-inserted",
    mode="abi-drift",
    cwe="CWE-188",
    title="v2 inserts a struct field; a binding declared from v1 allocates too little and the library writes past it",
    explanation=__doc__,
    expect={"asan": Expect("heap-buffer-overflow", frame="sensor_read", access="WRITE")},
    fix_in="binding",
    libraries=(LIB,),
)


@struct_field_inserted.broken
def declare_from_the_v1_header():
    ffi, lib = LIB.cffi(V1_CDEF)  # FLAW: a 16-byte struct sensor_reading; the library fills 24 bytes
    reading = ffi.new("struct sensor_reading *")
    lib.sensor_read(SENSOR, reading)
    assert reading.millicelsius == 21500 + SENSOR


@struct_field_inserted.fixed
def declare_from_the_v2_header_and_check():
    ffi, lib = LIB.cffi(V2_CDEF)  # FIX: the declarations of the header the library was built from
    if lib.sensor_abi_version() != lib.SENSOR_ABI_VERSION:
        raise RuntimeError(f"libsensor speaks ABI {lib.sensor_abi_version()}, this binding {lib.SENSOR_ABI_VERSION}")
    reading = ffi.new("struct sensor_reading *")
    lib.sensor_read(SENSOR, reading)
    assert reading.millicelsius == 21500 + SENSOR
