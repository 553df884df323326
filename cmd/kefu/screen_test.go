package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestScreenCommand(t *testing.T) {
	in := strings.NewReader("救命啊这价格太贵了\nthe driver keeps driving somewhere remote and my phone is dying\n\n燃气费怎么交\n")
	var out, errs bytes.Buffer
	if err := cmdScreen(nil, in, &out, &errs); err != nil {
		t.Fatal(err, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("one verdict per input line: %q", out.String())
	}
	want := []bool{false, true, false, false}
	for i, l := range lines {
		var v struct {
			Emergency *bool    `json:"emergency"`
			Kind      string   `json:"kind"`
			Score     *float64 `json:"score"`
			Reason    string   `json:"reason"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Emergency == nil || v.Score == nil || v.Kind == "" || v.Reason == "" {
			t.Fatalf("line %d: %s (%v)", i, l, err)
		}
		if *v.Emergency != want[i] {
			t.Errorf("line %d: %s", i, l)
		}
	}
}
