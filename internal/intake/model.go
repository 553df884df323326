package intake

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// A naive Bayes model over character pairs and words, learned from
// labelled messages, catches danger described in words no lexicon lists.
// The screening combines it with the lexicon: the lexicon alone decides
// when it is sure; the model decides the rest when the lexicon does not
// see everyday or figurative use. Its threshold and the lexicon floor were
// chosen by leave-one-out on the training messages, never on the held-out
// set.

//go:embed training/emergency.tsv
var defaultTraining []byte

// Model is a naive Bayes emergency model.
type Model struct {
	pos, neg   map[string]int
	nPos, nNeg int
}

// TrainModel learns from labelled lines "label<TAB>kind<TAB>lang<TAB>text"
// (a header line is skipped).
func TrainModel(tsv []byte) (*Model, error) {
	m := &Model{pos: map[string]int{}, neg: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 && strings.HasPrefix(line, "label\t") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 4 || (p[0] != "0" && p[0] != "1") {
			return nil, fmt.Errorf("training line %d: want label, kind, lang, text", n)
		}
		counts := m.neg
		if p[0] == "1" {
			counts = m.pos
			m.nPos++
		} else {
			m.nNeg++
		}
		for f := range modelFeatures(p[3]) {
			counts[f]++
		}
	}
	if m.nPos == 0 || m.nNeg == 0 {
		return nil, fmt.Errorf("training needs emergencies and non-emergencies")
	}
	return m, nil
}

// Score is the log-odds that text is an emergency.
func (m *Model) Score(text string) float64 {
	s := math.Log(float64(m.nPos) / float64(m.nNeg))
	for f := range modelFeatures(text) {
		s += math.Log((float64(m.pos[f])+0.5)/float64(m.nPos+1)) - math.Log((float64(m.neg[f])+0.5)/float64(m.nNeg+1))
	}
	return s
}

// modelFeatures: every pair of adjacent characters, and every
// space-separated word, of the lower-cased NFKC text.
func modelFeatures(text string) map[string]struct{} {
	t := []rune(norm.NFKC.String(strings.ToLower(text)))
	f := make(map[string]struct{}, len(t)+8)
	for i := 0; i+1 < len(t); i++ {
		f[string(t[i:i+2])] = struct{}{}
	}
	for _, w := range strings.FieldsFunc(string(t), unicode.IsSpace) {
		f["w:"+strings.Trim(w, ".,!?")] = struct{}{}
	}
	return f
}
