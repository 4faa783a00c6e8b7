// The boundary bench's cgo child: Go calling bl_add_one and bl_sum through cgo, timing its own
// loops with time.Now (warm-up rounds first), and printing the one JSON line every runtime's
// child prints (see boundary_driver.c). The batch is a Go []int32 passed as a *C.int: Go
// memory without Go pointers in it, which the cgo pointer rules allow.
//
//	boundary_cgo CALLS ROUNDS WARMUP MAX_BATCH ITEMS
package main

// #include "boundary.h"
import "C"

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"
	"unsafe"
)

func arg(i int) int64 {
	v, err := strconv.ParseInt(os.Args[i], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "usage: boundary_cgo CALLS ROUNDS WARMUP MAX_BATCH ITEMS")
		os.Exit(2)
	}
	return v
}

func main() {
	calls, rounds, warmup, maxBatch, items := arg(1), int(arg(2)), int(arg(3)), arg(4), arg(5)
	xs := make([]int32, maxBatch)
	for i := range xs {
		xs[i] = int32(i % 1000)
	}
	first := (*C.int)(unsafe.Pointer(&xs[0]))
	perCall := []float64{}
	perItem := map[string][]float64{}
	var check int64
	for r := -warmup; r < rounds; r++ {
		start := time.Now()
		for i := int64(0); i < calls; i++ {
			check += int64(C.bl_add_one(C.int(i)))
		}
		if r >= 0 {
			perCall = append(perCall, float64(time.Since(start).Nanoseconds())/float64(calls))
		}
		for n := int64(1); n <= maxBatch; n *= 2 {
			reps := items / n
			if reps < 1 {
				reps = 1
			}
			start = time.Now()
			for j := int64(0); j < reps; j++ {
				check += int64(C.bl_sum(first, C.size_t(n)))
			}
			if r >= 0 {
				key := strconv.FormatInt(n, 10)
				perItem[key] = append(perItem[key], float64(time.Since(start).Nanoseconds())/float64(reps*n))
			}
		}
	}
	out, _ := json.Marshal(map[string]any{"per_call": perCall, "per_item": perItem, "check": check})
	fmt.Println(string(out))
}
