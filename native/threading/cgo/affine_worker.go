// @description CWE-663 (a thread-affine handle): only the thread that opened a ta_handle may use it.
// The handle comes from native/threading/thread_affine.c, which records its opener with
// pthread_self() and aborts when another thread calls it. Go runs goroutines on whatever OS
// thread is free and moves them between threads at any call. The main goroutine here is
// locked to its thread (runtime.LockOSThread, as a program driving a main-thread library
// is) and opens the handle; a worker goroutine can never run on a locked thread, so the
// broken variant's call comes from another thread every time. The fix gives the handle an
// owner goroutine locked to one thread for the handle's whole life; others send it work.
package main

/*
struct ta_handle;
struct ta_handle *ta_open(void);
long ta_use(struct ta_handle *h);
void ta_close(struct ta_handle *h);
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
)

// calledFromAWorker opens the handle on main's thread and hands it to a worker goroutine.
func calledFromAWorker() {
	runtime.LockOSThread() // main keeps its thread: the handle's owner
	h := C.ta_open()
	uses := make(chan C.long)
	go func() { uses <- C.ta_use(h) }() // FLAW: a goroutine, on another OS thread, calls the handle
	fmt.Println("uses:", <-uses)
	C.ta_close(h)
}

// calledThroughItsOwner gives the handle one goroutine, locked to its thread, that runs every call.
func calledThroughItsOwner() {
	calls := make(chan func(*C.struct_ta_handle))
	closed := make(chan struct{})
	go func() {
		runtime.LockOSThread() // FIX: the owner never leaves its thread, so every call comes from the opener's
		defer runtime.UnlockOSThread()
		h := C.ta_open()
		for call := range calls {
			call(h)
		}
		C.ta_close(h)
		close(closed)
	}()
	uses := make(chan C.long)
	go func() { calls <- func(h *C.struct_ta_handle) { uses <- C.ta_use(h) } }() // a worker asks the owner
	fmt.Println("uses:", <-uses)
	close(calls)
	<-closed
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fixed" {
		calledThroughItsOwner()
	} else {
		calledFromAWorker()
	}
}
