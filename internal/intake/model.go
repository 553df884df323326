package intake

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"strings"
	"unicode"
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
	// weight is each known feature's term of the log-odds, and unknown the
	// term of a feature no training message had: computed once, so a
	// score is a map lookup per feature (the screening runs per message).
	weight  map[string]float64
	unknown float64
	// leftOut, when set, is one training message the model scores as if
	// it had never seen it (leave-one-out evaluation).
	leftOut *leftOut
}

type leftOut struct {
	features map[string]struct{}
	pos      bool
}

// LeaveOut returns the model as it would be without one of its training
// messages (text, labelled pos), to measure it on the messages it learned
// from without flattering it.
func (m *Model) LeaveOut(text string, pos bool) *Model {
	c := *m
	c.leftOut = &leftOut{features: modelFeatures(text), pos: pos}
	return &c
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
	m.weight = make(map[string]float64, len(m.pos)+len(m.neg))
	for _, counts := range []map[string]int{m.pos, m.neg} {
		for f := range counts {
			m.weight[f] = m.term(m.pos[f], m.neg[f], m.nPos, m.nNeg)
		}
	}
	m.unknown = m.term(0, 0, m.nPos, m.nNeg)
	return m, nil
}

// term is what a feature seen in p emergencies of nPos and n others of
// nNeg adds to the log-odds.
func (m *Model) term(p, n, nPos, nNeg int) float64 {
	return math.Log((float64(p)+0.5)/float64(nPos+1)) - math.Log((float64(n)+0.5)/float64(nNeg+1))
}

// Score is the log-odds that text is an emergency.
func (m *Model) Score(text string) float64 { return m.score(Normalize(text)) }

// score is Score of a text already normalized.
func (m *Model) score(norm string) float64 {
	if m.leftOut == nil && m.weight != nil {
		s := math.Log(float64(m.nPos) / float64(m.nNeg))
		for f := range normFeatures(norm) {
			w, ok := m.weight[f]
			if !ok {
				w = m.unknown
			}
			s += w
		}
		return s
	}
	nPos, nNeg := m.nPos, m.nNeg
	var dPos, dNeg int // what the left-out message adds to a feature's counts
	if m.leftOut != nil {
		if m.leftOut.pos {
			nPos, dPos = nPos-1, 1
		} else {
			nNeg, dNeg = nNeg-1, 1
		}
	}
	s := math.Log(float64(nPos) / float64(nNeg))
	for f := range normFeatures(norm) {
		p, n := m.pos[f], m.neg[f]
		if m.leftOut != nil {
			if _, ok := m.leftOut.features[f]; ok {
				p, n = p-dPos, n-dNeg
			}
		}
		s += m.term(p, n, nPos, nNeg)
	}
	return s
}

// modelFeatures: every pair of adjacent Chinese characters, every word
// and every pair of adjacent words of the normalized text (so traditional
// and simplified Chinese share features). Letters are not paired: in
// English, letter pairs repeat what the words say and make the model
// overconfident.
func modelFeatures(text string) map[string]struct{} { return normFeatures(Normalize(text)) }

// normFeatures is modelFeatures of a text already normalized.
func normFeatures(norm string) map[string]struct{} {
	t := []rune(norm)
	f := make(map[string]struct{}, len(t)+8)
	for i := 0; i+1 < len(t); i++ {
		if t[i] > unicode.MaxASCII && t[i+1] > unicode.MaxASCII && t[i] != ' ' && t[i+1] != ' ' {
			f[string(t[i:i+2])] = struct{}{}
		}
	}
	words := strings.Fields(string(t))
	for i, w := range words {
		f["w:"+w] = struct{}{}
		if i > 0 && isASCII(w) && isASCII(words[i-1]) {
			f["p:"+words[i-1]+" "+w] = struct{}{}
		}
	}
	return f
}
