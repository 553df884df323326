package main

import (
	"bytes"
	"strings"
	"testing"
)

// The Double 11 demo runs end to end on SQLite and reports what a
// workforce manager checks.
func TestStaffingDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 14 months of half-hours")
	}
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"staffing", "demo", "--data", dir, "--out", dir + "/out"}, &out, &errs); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errs.String())
	}
	for _, want := range []string{"held-back weeks (4)", "uplift 双十一 day 1: ×4.0", "peak half-hour 11-11 00:30", "shifts total:", "forecast edited to version 2", "compare A → B"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
