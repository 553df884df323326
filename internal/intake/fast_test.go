package intake

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
)

// corpus is every message of the training and evaluation sets, plus texts
// that stress the piecewise features: repeated words and pairs, mixed
// scripts, traditional characters, punctuation runs.
func corpus(t *testing.T) []string {
	t.Helper()
	out := []string{"", "a", "救", "refund refund refund", "退款退款 退款", "help help me help me", "救命！！！救命",
		"我的包裹還沒收到，快遞說已經派送", "Order 12345 not working — 订单 坏了 broken", "the driver, the driver; the DRIVER"}
	for _, f := range []string{"training/emergency.tsv", "testdata/emergency_dev.tsv", "testdata/emergency_test.tsv", "testdata/emergency_test2.tsv"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if p := strings.Split(sc.Text(), "\t"); len(p) == 4 {
				out = append(out, p[3])
			}
		}
	}
	if len(out) < 500 {
		t.Fatalf("only %d texts", len(out))
	}
	return out
}

// The model's score, feature by feature from pieces of the text, is the
// sum over the features normFeatures builds.
func TestFastScoreIsTheFeatureSum(t *testing.T) {
	m := DefaultModel()
	for _, text := range corpus(t) {
		norm := Normalize(text)
		want := math.Log(float64(m.nPos) / float64(m.nNeg))
		for f := range normFeatures(norm) {
			w, ok := m.weight[f]
			if !ok {
				w = m.unknown
			}
			want += w
		}
		if got := m.score(norm); math.Abs(got-want) > 1e-9 {
			t.Fatalf("score(%q) = %v, the features sum to %v", text, got, want)
		}
	}
}

// Classifying through the term index gives what trying every term of
// every category gives.
func TestClassifyMatchesEveryTerm(t *testing.T) {
	c := NewClassifier(nil)
	for _, text := range corpus(t) {
		n := padded(text)
		best, bestHits, bestTerm := -1, 0, ""
		for i, cat := range c.cats {
			hits, first := 0, ""
			for _, term := range cat.Terms {
				tn := Normalize(term)
				k := strings.Count(n, tn)
				if isASCII(tn) && containsWord(n, tn) {
					k = 1
				} else if isASCII(tn) {
					k = 0
				}
				if k > 0 && first == "" {
					first = tn
				}
				hits += k
			}
			if hits > bestHits {
				best, bestHits, bestTerm = i, hits, first
			}
		}
		got := c.classify(text, n)
		want := ""
		if best >= 0 {
			want = c.cats[best].Code
		}
		if got.Category != want || (best >= 0 && !strings.Contains(got.Why, "“"+bestTerm+"”")) {
			t.Fatalf("classify(%q) = %+v, want %s by %q", text, got, want, bestTerm)
		}
	}
}
