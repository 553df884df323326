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
	// may has a bit set for the hash of every key of byStart and short:
	// most of a text's character pairs start no term, and a bit test
	// costs far less than the map lookup it saves.
	may [64]uint64
}

// newTermIndex indexes terms (normalized, none empty) by their position.
func newTermIndex(terms []term) termIndex {
	x := termIndex{byStart: map[uint64][]int32{}, short: map[rune][]int32{}}
	for i, tm := range terms {
		t := tm.text
		r1, w := utf8.DecodeRuneInString(t)
		if w == len(t) {
			x.short[r1] = append(x.short[r1], int32(i))
			x.mark(shortKey(r1))
			continue
		}
		r2, _ := utf8.DecodeRuneInString(t[w:])
		k := startKey(r1, r2)
		x.byStart[k] = append(x.byStart[k], int32(i))
		x.mark(k)
	}
	return x
}

func startKey(r1, r2 rune) uint64 { return uint64(r1)<<32 | uint64(uint32(r2)) }

// shortKey is a one-character key, apart from every startKey (no second
// character is negative).
func shortKey(r rune) uint64 { return uint64(r)<<32 | 0xffffffff }

func bit(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> 52 } // 12 bits

func (x *termIndex) mark(k uint64) { b := bit(k); x.may[b>>6] |= 1 << (b & 63) }

func (x *termIndex) maybe(k uint64) bool { b := bit(k); return x.may[b>>6]&(1<<(b&63)) != 0 }

// candidates are the terms that may occur in n, in index order, each once.
func (x *termIndex) candidates(n string) []int32 {
	var out []int32
	r1, w1 := utf8.DecodeRuneInString(n)
	for i := 0; i < len(n); {
		if k := shortKey(r1); x.maybe(k) {
			out = append(out, x.short[r1]...)
		}
		j := i + w1
		if j >= len(n) {
			break
		}
		r2, w2 := utf8.DecodeRuneInString(n[j:])
		if k := startKey(r1, r2); x.maybe(k) {
			out = append(out, x.byStart[k]...)
		}
		i, r1, w1 = j, r2, w2
	}
	slices.Sort(out)
	return slices.Compact(out)
}
