// @description CWE-825 (cgo's pointer rule): C may not keep a Go pointer after the call returns.
// A C logger writes every message into a sink that the caller attaches once and that the
// logger keeps. The broken binding allocates the sink in C memory, as it must, but points
// its buffer at a Go byte slice: C memory now holds a Go pointer that the collector cannot
// see, and the logger writes through it long after the call that attached it. Under cgo's
// store check (GODEBUG=cgocheck=2, GOEXPERIMENT=cgocheck2 from Go 1.21) the store itself
// is fatal. The fix gives the sink a buffer in C memory and copies the log out with C.GoStringN.
package main

/*
#include <stdlib.h>
#include <string.h>

struct sink { char *buf; size_t cap, len; };

static struct sink *attached; // kept by the logger past the call that attached it

static void sink_attach(struct sink *s) { attached = s; }

static void log_line(const char *message) {
    size_t n = strlen(message);
    if (attached == NULL || attached->len + n + 1 > attached->cap)
        return;
    memcpy(attached->buf + attached->len, message, n);
    attached->len += n;
    attached->buf[attached->len++] = '\n';
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

const capacity = 256

// attachGoBuffer points the sink C keeps at a Go slice.
func attachGoBuffer() (*C.struct_sink, func() string) {
	s := (*C.struct_sink)(C.malloc(C.sizeof_struct_sink))
	buf := make([]byte, capacity)
	s.buf = (*C.char)(unsafe.Pointer(&buf[0])) // FLAW: a Go pointer stored in C memory that C keeps past the call
	s.cap, s.len = capacity, 0
	C.sink_attach(s)
	return s, func() string { return string(buf[:s.len]) }
}

// attachCBuffer gives the sink C keeps a buffer of C memory.
func attachCBuffer() (*C.struct_sink, func() string) {
	s := (*C.struct_sink)(C.malloc(C.sizeof_struct_sink))
	s.buf = (*C.char)(C.malloc(capacity)) // FIX: C memory for what C keeps; Go copies it out
	s.cap, s.len = capacity, 0
	C.sink_attach(s)
	return s, func() string { return C.GoStringN(s.buf, C.int(s.len)) }
}

func main() {
	attach := attachGoBuffer
	if len(os.Args) > 1 && os.Args[1] == "fixed" {
		attach = attachCBuffer
	}
	_, contents := attach()
	for _, m := range []string{"opened", "wrote 3 records", "closed"} {
		message := C.CString(m)
		C.log_line(message)
		C.free(unsafe.Pointer(message))
	}
	fmt.Print(contents())
}
