package timeq

import (
	"math/rand/v2"
	"sort"
	"testing"
)

func TestEarliestFirstThenInOrderAdded(t *testing.T) {
	var q Queue[int]
	rng := rand.New(rand.NewPCG(1, 2))
	type item struct {
		at int64
		n  int
	}
	var want []item
	for n := range 5000 {
		at := int64(rng.IntN(100)) // many ties
		q.Push(at, n)
		want = append(want, item{at, n})
	}
	sort.SliceStable(want, func(i, j int) bool { return want[i].at < want[j].at })
	for i, w := range want {
		if at, v, ok := q.Peek(); !ok || at != w.at || v != w.n {
			t.Fatalf("peek %d: %d %d, want %+v", i, at, v, w)
		}
		if at, v := q.Pop(); at != w.at || v != w.n {
			t.Fatalf("pop %d: %d %d, want %+v", i, at, v, w)
		}
	}
	if _, _, ok := q.Peek(); ok || q.Len() != 0 {
		t.Fatal("not empty")
	}
}
