// @description CWE-252: a C function's -1 and errno, dropped by the Go wrapper.
// journal_append returns -1 and sets errno to ENOSPC when the journal is full; the caller
// must flush it and try again. cgo hands Go the errno only if the call is written with two
// results (rc, err := C.f()). The broken wrapper makes the call as a statement, so a full
// journal drops the record and the caller hears nothing; the program's oracle finds the
// loss. The fix reads the return value and its errno and returns them as an error.
package main

/*
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JOURNAL_SLOTS 4

static struct { char records[JOURNAL_SLOTS][32]; int count, flushed; } journal;

// 0, or -1 with errno ENOSPC when every slot is taken: flush, then append again.
static int journal_append(const char *record) {
    if (journal.count == JOURNAL_SLOTS) {
        errno = ENOSPC;
        return -1;
    }
    strncpy(journal.records[journal.count], record, sizeof journal.records[0] - 1);
    journal.count++;
    return 0;
}

static void journal_flush(void) { journal.flushed += journal.count; journal.count = 0; }

static int journal_total(void) { return journal.flushed + journal.count; }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// appendDropped is the wrapper as first written: the call is a statement.
func appendDropped(record string) error {
	r := C.CString(record)
	defer C.free(unsafe.Pointer(r))
	C.journal_append(r) // FLAW: the -1 and its errno are dropped; the caller is told the record is in
	return nil
}

// appendChecked returns what C said: the -1 with its errno as the caller's error.
func appendChecked(record string) error {
	r := C.CString(record)
	defer C.free(unsafe.Pointer(r))
	if rc, err := C.journal_append(r); rc < 0 { // FIX: cgo's second result is errno; -1 becomes an error
		return fmt.Errorf("journal_append %q: %w", record, err)
	}
	return nil
}

func main() {
	appendRecord := appendDropped
	if len(os.Args) > 1 && os.Args[1] == "fixed" {
		appendRecord = appendChecked
	}
	records := []string{"open", "write 1", "write 2", "write 3", "write 4", "close"}
	for _, record := range records {
		err := appendRecord(record)
		if errors.Is(err, syscall.ENOSPC) { // the journal is full: flush it and append again
			C.journal_flush()
			err = appendRecord(record)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "journal:", err)
			os.Exit(1)
		}
	}
	// The oracle: every record the wrapper accepted without an error must be in the journal.
	if held := int(C.journal_total()); held != len(records) {
		fmt.Fprintf(os.Stderr, "faultlab.Detected: swallowed-error: %d records appended without an error, the journal holds %d\n",
			len(records), held)
		os.Exit(1)
	}
	fmt.Println("journal holds", len(records), "records")
}
