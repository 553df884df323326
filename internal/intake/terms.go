package intake

import (
	"slices"
	"unicode/utf8"
)

// termIndex lists terms by their first two characters (short: those of
// one character), so a text is searched only for the terms whose start it
// contains instead of for all of them: screening and classifying run on
// every customer message.
type termIndex struct {
	byStart map[uint64][]int32
	short   map[rune][]int32
}

// newTermIndex indexes terms (normalized, none empty) by their position.
func newTermIndex(terms []string) termIndex {
	x := termIndex{byStart: map[uint64][]int32{}, short: map[rune][]int32{}}
	for i, t := range terms {
		r1, w := utf8.DecodeRuneInString(t)
		if w == len(t) {
			x.short[r1] = append(x.short[r1], int32(i))
			continue
		}
		r2, _ := utf8.DecodeRuneInString(t[w:])
		k := startKey(r1, r2)
		x.byStart[k] = append(x.byStart[k], int32(i))
	}
	return x
}

func startKey(r1, r2 rune) uint64 { return uint64(r1)<<32 | uint64(uint32(r2)) }

// candidates are the terms that may occur in n, in index order, each once.
func (x termIndex) candidates(n string) []int32 {
	var out []int32
	r1, w1 := utf8.DecodeRuneInString(n)
	for i := 0; i < len(n); {
		out = append(out, x.short[r1]...)
		j := i + w1
		if j >= len(n) {
			break
		}
		r2, w2 := utf8.DecodeRuneInString(n[j:])
		out = append(out, x.byStart[startKey(r1, r2)]...)
		i, r1, w1 = j, r2, w2
	}
	slices.Sort(out)
	return slices.Compact(out)
}
