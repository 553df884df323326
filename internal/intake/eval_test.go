package intake

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

type labelled struct {
	label bool
	kind  string
	lang  string
	text  string
}

func readLabelled(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue
		}
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 4 {
			t.Fatalf("%s:%d: %d fields", path, n+1, len(p))
		}
		out = append(out, labelled{label: p[0] == "1", kind: p[1], lang: p[2], text: p[3]})
	}
	return out
}

// score returns precision and recall of the default screening on a set,
// and the lines it got wrong.
func score(t testing.TB, s *Screener, set []labelled) (p, r float64, wrong []string) {
	var tp, fp, fn int
	for _, x := range set {
		v := s.Screen(x.text)
		switch {
		case v.Emergency && x.label:
			tp++
		case v.Emergency && !x.label:
			fp++
			wrong = append(wrong, "FP "+x.lang+" "+x.text+" | "+v.Reason)
		case !v.Emergency && x.label:
			fn++
			wrong = append(wrong, "FN "+x.kind+" "+x.lang+" "+x.text+" | "+v.Reason)
		}
	}
	return float64(tp) / float64(max(tp+fp, 1)), float64(tp) / float64(max(tp+fn, 1)), wrong
}

// TestDevSet: the lexicon alone on the messages it was tuned on (the
// model learned from them, so it is left out here).
func TestDevSet(t *testing.T) {
	s, err := NewScreener(DefaultLexicon())
	if err != nil {
		t.Fatal(err)
	}
	p, r, wrong := score(t, s, readLabelled(t, "testdata/emergency_dev.tsv"))
	t.Logf("dev: precision %.3f recall %.3f", p, r)
	if p < 0.95 || r < 0.95 {
		t.Errorf("the lexicon no longer fits its own development set: precision %.3f recall %.3f", p, r)
	}
	if os.Getenv("SHOW") != "" {
		for _, w := range wrong {
			t.Log(w)
		}
	}
}

// TestHeldOutSet reports precision and recall of the built-in screening on
// the labelled evaluation set (never used for tuning: the lexicon is tuned
// on the development set only), overall and per language.
func TestHeldOutSet(t *testing.T) {
	s := DefaultScreener()
	set := readLabelled(t, "testdata/emergency_test.tsv")
	p, r, wrong := score(t, s, set)
	t.Logf("held-out (%d messages): precision %.3f recall %.3f", len(set), p, r)
	for _, lang := range []string{"zh-Hans", "zh-Hant", "en"} {
		var sub []labelled
		for _, x := range set {
			if x.lang == lang {
				sub = append(sub, x)
			}
		}
		lp, lr, _ := score(t, s, sub)
		t.Logf("  %s (%d): precision %.3f recall %.3f", lang, len(sub), lp, lr)
	}
	if os.Getenv("SHOW") == "test" {
		for _, w := range wrong {
			t.Log(w)
		}
	}
	// The targets are recall 0.98 and precision 0.90; lexicon and
	// model do not reach that recall yet on messages they never saw (see
	// docs/intake.md). These floors catch regressions until they do.
	if p < 0.90 || r < 0.89 {
		t.Errorf("held-out precision %.3f recall %.3f fell below the floor (0.90, 0.89)", p, r)
	}
}
