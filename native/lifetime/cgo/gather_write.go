// @description CWE-573 (cgo's pointer rule): Go memory handed to C may not hold Go pointers.
// A gathered write, like writev(2): the binding builds an array of iovecs, one per buffer,
// and passes its first element to C. In the broken variant the array is Go memory and
// each iov_base points at a Go byte slice, so the argument is a Go pointer to Go
// pointers, which the collector could not track while C holds them: cgo's check panics
// before C runs. The fix keeps the array in Go memory but points it at copies of the
// buffers in C memory (C.CBytes), freed after the call.
package main

/*
#include <stddef.h>
#include <stdlib.h>
#include <sys/uio.h>

// The sum of every byte of every buffer: what a gathered write would send.
static unsigned long gather_checksum(const struct iovec *iov, int count) {
    unsigned long sum = 0;
    for (int i = 0; i < count; i++)
        for (size_t j = 0; j < iov[i].iov_len; j++)
            sum += ((const unsigned char *)iov[i].iov_base)[j];
    return sum;
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// gatherChecksum hands C the buffers as Go memory: each iovec points into a Go slice.
func gatherChecksum(buffers [][]byte) uint64 {
	iov := make([]C.struct_iovec, len(buffers))
	for i, b := range buffers {
		iov[i].iov_base = unsafe.Pointer(&b[0]) // a Go pointer, stored in Go memory
		iov[i].iov_len = C.size_t(len(b))
	}
	return uint64(C.gather_checksum(&iov[0], C.int(len(iov)))) // FLAW: Go memory holding Go pointers handed to C
}

// gatherChecksumCopied hands C copies of the buffers in C memory: the Go array holds only C pointers.
func gatherChecksumCopied(buffers [][]byte) uint64 {
	iov := make([]C.struct_iovec, len(buffers))
	for i, b := range buffers {
		iov[i].iov_base = C.CBytes(b) // FIX: C memory, which the collector neither moves nor frees
		iov[i].iov_len = C.size_t(len(b))
		defer C.free(iov[i].iov_base)
	}
	return uint64(C.gather_checksum(&iov[0], C.int(len(iov))))
}

func main() {
	buffers := [][]byte{[]byte("header:"), []byte("payload"), []byte("\n")}
	if len(os.Args) > 1 && os.Args[1] == "fixed" {
		fmt.Println(gatherChecksumCopied(buffers))
	} else {
		fmt.Println(gatherChecksum(buffers))
	}
}
