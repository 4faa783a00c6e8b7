"""Go hands C an array of iovecs that point into Go slices: cgo's pointer check panics.

The runtime's rule (cmd/cgo, "Passing pointers"): Go code may pass C a Go pointer only if
the Go memory it points to holds no Go pointers, because the collector must know every
Go pointer while C runs. A gathered write builds its ``struct iovec`` array as a Go slice
and points each ``iov_base`` at a Go byte slice: ``&iov[0]`` is a Go pointer to Go
pointers. cgo checks every call's arguments (``cgocheck=1``, on by default) and panics
before C runs: "panic: runtime error: cgo argument has Go pointer to Go pointer", the
goroutine's stack naming the Go function that made the call. The fix keeps the array in
Go memory but points it at copies of the buffers in C memory (``C.CBytes``), freed after
the call; from Go 1.21, ``runtime.Pinner`` is the other way out.
"""

from faultlab import Case, Expect
from faultlab.lab import go

PROGRAM = "lifetime/cgo/gather_write.go"

cgo_go_pointer_to_go_pointer = Case(
    id="lifetime/cgo-go-pointer-to-go-pointer",
    mode="lifetime",
    cwe="CWE-573",
    title="Go memory holding Go pointers is passed to C; cgo's pointer check panics",
    explanation=__doc__,
    # cgo wraps the call in a closure of the caller: its frame is the caller's ".func1".
    expect={"none": Expect("ffi-rule-violation", frame="main.gatherChecksum.func1")},
    fix_in="binding",
    runtime="cgo",
    sources=(PROGRAM,),
    requires=("go",),
)


@cgo_go_pointer_to_go_pointer.broken
def iovecs_point_into_go_slices(configuration):
    return go.command(PROGRAM, "broken")


@cgo_go_pointer_to_go_pointer.fixed
def iovecs_point_at_c_copies(configuration):
    return go.command(PROGRAM, "fixed")
