"""A C logger keeps a sink whose buffer is a Go slice: cgo's store check stops the program.

The runtime's rule (cmd/cgo, "Passing pointers"): C code may not keep a copy of a Go
pointer after the call returns, and C memory may not hold Go pointers at all, since the
collector neither sees nor follows them: the slice can be freed, its memory handed to
someone else, while C still writes through the stale pointer. The broken binding
allocates the sink the logger keeps in C memory, as it must, but points the sink's buffer
at a Go slice. Without a check the program seems fine; under cgo's store check
(``GODEBUG=cgocheck=2`` up to Go 1.20, ``GOEXPERIMENT=cgocheck2`` at build time from 1.21),
which this case always runs with, the store is fatal: "fatal error: Go pointer stored into
non-Go memory", the goroutine's stack naming the Go function that stored it. The fix gives
the sink a buffer of C memory and copies the log out with ``C.GoStringN``.
"""

from faultlab import Case, Expect
from faultlab.lab import go

PROGRAM = "lifetime/cgo/retained_sink.go"

cgo_c_keeps_go_pointer = Case(
    id="lifetime/cgo-c-keeps-go-pointer",
    mode="lifetime",
    cwe="CWE-825",
    title="C keeps a Go pointer past the call; cgo's store check stops the store",
    explanation=__doc__,
    expect={"none": Expect("ffi-rule-violation", frame="main.attachGoBuffer")},
    fix_in="binding",
    runtime="cgo",
    sources=(PROGRAM,),
    requires=("go",),
)


@cgo_c_keeps_go_pointer.broken
def sink_buffer_is_a_go_slice(configuration):
    return go.command(PROGRAM, "broken", store_check=True)


@cgo_c_keeps_go_pointer.fixed
def sink_buffer_is_c_memory(configuration):
    return go.command(PROGRAM, "fixed", store_check=True)
