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

// screenFunc screens one labelled message.
type screenFunc func(x labelled) Verdict

// plain screens with s as it is.
func plain(s *Screener) screenFunc { return func(x labelled) Verdict { return s.Screen(x.text) } }

// leaveOneOut screens each message with s and a model that never learned
// from that message: the honest figure on the messages the model learned from.
func leaveOneOut(s *Screener, m *Model) screenFunc {
	return func(x labelled) Verdict { return s.WithModel(m.LeaveOut(x.text, x.label)).Screen(x.text) }
}

// score returns precision and recall of a screening on a set, and the
// lines it got wrong.
func score(t testing.TB, screen screenFunc, set []labelled) (p, r float64, wrong []string) {
	var tp, fp, fn int
	for _, x := range set {
		v := screen(x)
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

// TestDevSet: the development set is the training set, so the lexicon
// was tuned on it and the model learned from it. It reports the lexicon
// alone, and lexicon and model with the model left blind to each message
// in turn (leave-one-out), which is how model_threshold and model_floor
// were chosen.
func TestDevSet(t *testing.T) {
	s, err := NewScreener(DefaultLexicon())
	if err != nil {
		t.Fatal(err)
	}
	set := readLabelled(t, "testdata/emergency_dev.tsv")
	report(t, plain(s), "dev, lexicon only", set, "dev")
	p, r := report(t, leaveOneOut(s, DefaultModel()), "dev, lexicon + model (leave-one-out)", set, "dev")
	if p < 0.90 || r < 0.98 {
		t.Errorf("the screening no longer fits its development set: precision %.3f recall %.3f", p, r)
	}
}

// heldOut are the labelled evaluation sets: never used for tuning (the
// lexicon and the model are tuned on the development and training sets
// only). emergency_test2.tsv was written before the screening was last
// reworked, without looking at what it missed.
var heldOut = []string{"testdata/emergency_test.tsv", "testdata/emergency_test2.tsv"}

// report logs precision and recall on a set, overall and per language,
// with the counts behind them.
func report(t *testing.T, s screenFunc, name string, set []labelled, show string) (p, r float64) {
	t.Helper()
	p, r, wrong := score(t, s, set)
	var pos int
	for _, x := range set {
		if x.label {
			pos++
		}
	}
	t.Logf("%s (%d messages, %d emergencies): precision %.3f recall %.3f (%d missed, %d false alarms)",
		name, len(set), pos, p, r, countPrefix(wrong, "FN"), countPrefix(wrong, "FP"))
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
	if show != "" && os.Getenv("SHOW") == show {
		for _, w := range wrong {
			t.Log(w)
		}
	}
	return p, r
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestHeldOutSet reports precision and recall of the built-in screening on
// each held-out set and on all of them together, and fails below the
// issue's targets (recall 0.98, precision 0.90) on the combined sets.
func TestHeldOutSet(t *testing.T) {
	s := DefaultScreener()
	var all []labelled
	for _, path := range heldOut {
		set := readLabelled(t, path)
		report(t, plain(s), path, set, "test")
		all = append(all, set...)
	}
	p, r := report(t, plain(s), "held-out, combined", all, "")
	if p < 0.90 || r < 0.98 {
		t.Errorf("held-out precision %.3f recall %.3f: below the targets (precision 0.90, recall 0.98)", p, r)
	}
}
