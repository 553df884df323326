package metrics

import (
	"bytes"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
)

// RegisterRuntime adds the Go runtime and process basics that dashboards
// expect, under the names the official client uses so existing dashboards
// work unchanged.
func RegisterRuntime(r *Registry) {
	r.NewGaugeFunc("go_goroutines", "Number of goroutines that currently exist.",
		func() float64 { return float64(runtime.NumGoroutine()) })
	r.NewGaugeFunc("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", heapAlloc)
	// Only where /proc exists (Linux); elsewhere the metric is absent rather
	// than always zero.
	if _, err := residentBytes(); err == nil {
		r.NewGaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.", func() float64 {
			v, err := residentBytes()
			if err != nil {
				return math.NaN()
			}
			return v
		})
	}
}

// heapAlloc reads live heap bytes from runtime/metrics, which unlike
// runtime.ReadMemStats does not stop the world at every scrape.
func heapAlloc() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return math.NaN()
	}
	return float64(s[0].Value.Uint64())
}

// residentBytes reads the resident set size from /proc/self/statm, whose
// second field counts resident pages.
func residentBytes() (float64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, os.ErrInvalid
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, err
	}
	return float64(pages) * float64(os.Getpagesize()), nil
}
