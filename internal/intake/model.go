package intake

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
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
		return m.fastScore(norm)
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

// fastScore is score of the trained model, feature by feature as
// normFeatures lists them but without building them: each is a piece of
// norm (a word pair is the two words with the one space Normalize leaves
// between them), and the prefixed keys are looked up from one buffer.
// Same sum, a fraction of the allocations; it runs on every message.
func (m *Model) fastScore(norm string) float64 {
	s := math.Log(float64(m.nPos) / float64(m.nNeg))
	const isPair, isWord, isWordPair = 1, 2, 4
	seen := make(map[string]uint8, len(norm)/2+8)
	var kb [64]byte
	key := kb[:0]
	weight := func(k []byte) float64 {
		if w, ok := m.weight[string(k)]; ok {
			return w
		}
		return m.unknown
	}
	// Pairs of adjacent characters, both beyond ASCII.
	prev, prevAt := rune(-1), 0
	for i, r := range norm {
		if prev > unicode.MaxASCII && r > unicode.MaxASCII {
			f := norm[prevAt : i+utf8.RuneLen(r)]
			if seen[f]&isPair == 0 {
				seen[f] |= isPair
				s += weight(append(key[:0], f...))
			}
		}
		prev, prevAt = r, i
	}
	// Words, and pairs of adjacent ASCII words.
	prevWord, prevStart := "", 0
	for start := 0; start < len(norm); {
		end := strings.IndexByte(norm[start:], ' ')
		if end < 0 {
			end = len(norm)
		} else {
			end += start
		}
		if w := norm[start:end]; w != "" {
			if seen[w]&isWord == 0 {
				seen[w] |= isWord
				s += weight(append(append(key[:0], "w:"...), w...))
			}
			if prevWord != "" && isASCII(w) && isASCII(prevWord) {
				if p := norm[prevStart:end]; seen[p]&isWordPair == 0 {
					seen[p] |= isWordPair
					s += weight(append(append(key[:0], "p:"...), p...))
				}
			}
			prevWord, prevStart = w, start
		}
		start = end + 1
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
