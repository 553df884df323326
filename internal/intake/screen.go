// Package intake is the single door every inbound message passes before
// anything else sees it. This file is its emergency screening: every
// message is scored for threats to life or safety in Chinese (simplified
// and traditional) and English, from a lexicon that is data.
package intake

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Lexicon is a screening's data: cue categories with weights, combinations
// of categories that mean more together, and the threshold. A tenant may
// replace or extend the default.
type Lexicon struct {
	Threshold float64 `json:"threshold"`
	// With a model, its log-odds add to the lexicon score: up to
	// ModelWeight when they are ModelScale or more, down to -ModelAgainst
	// when they are -ModelScale or less, in proportion between. So the
	// model decides what the lexicon is unsure of, and cannot silence a
	// lexicon that is sure.
	ModelWeight  float64 `json:"model_weight"`
	ModelAgainst float64 `json:"model_against"`
	ModelScale   float64 `json:"model_scale"`
	// Negators cancel a term of a negatable category when one ends at most
	// NegationWindow bytes of normalized text before it ("没人受伤", "no
	// one was hurt").
	Negators       []string      `json:"negators"`
	NegationWindow int           `json:"negation_window"`
	Categories     []Category    `json:"categories"`
	Combinations   []Combination `json:"combinations"`
}

// Category is a set of terms that mean one thing: a cry for help, a weapon,
// someone stuck, a hyperbole. A negative weight lowers the score (everyday
// and figurative uses). Kind is the emergency kind it points to, if any.
type Category struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind,omitempty"`
	Weight float64  `json:"weight"`
	Terms  []string `json:"terms"`
	// Negatable: a negator just before a term cancels it.
	Negatable bool `json:"negatable,omitempty"`
}

// Combination adds Weight when all its categories matched: danger that no
// single word shows ("the driver keeps driving somewhere remote" + "my phone
// is dying").
type Combination struct {
	All    []string `json:"all"`
	Kind   string   `json:"kind,omitempty"`
	Weight float64  `json:"weight"`
}

// extraTerm is what each further distinct term of a category adds, as a
// share of its weight.
const extraTerm = 0.3

// Verdict is what screening decided about one message.
type Verdict struct {
	Emergency bool     `json:"emergency"`
	Kind      string   `json:"kind"`
	Score     float64  `json:"score"`
	Reason    string   `json:"reason"`
	Matched   []string `json:"matched,omitempty"` // category names
}

//go:embed lexicon.json
var defaultLexicon []byte

// DefaultLexicon is the built-in screening data.
func DefaultLexicon() Lexicon {
	var l Lexicon
	if err := json.Unmarshal(defaultLexicon, &l); err != nil {
		panic("intake: the built-in lexicon does not parse: " + err.Error())
	}
	return l
}

// Screener scores messages against a lexicon. It is safe for concurrent
// use once built.
type Screener struct {
	lex       Lexicon
	model     *Model
	terms     []term    // every term of every category, normalized
	index     termIndex // of terms
	negators  []term
	negatable []bool // by category
	cats      map[string]int
}

type term struct {
	text string
	cat  int
	word bool // ASCII: match whole words only
}

// find is the first place at or after from where t occurs in s (padded
// with spaces), or -1.
func (t term) find(s string, from int) int {
	for i := from; i < len(s); {
		j := strings.Index(s[i:], t.text)
		if j < 0 {
			return -1
		}
		j += i
		if !t.word || (!isLetter(rune(s[j-1])) && (j+len(t.text) >= len(s) || !isLetter(rune(s[j+len(t.text)])))) {
			return j
		}
		i = j + 1
	}
	return -1
}

// DefaultModel is the model learned from the built-in training set.
func DefaultModel() *Model {
	m, err := TrainModel(defaultTraining)
	if err != nil {
		panic("intake: the built-in training set: " + err.Error())
	}
	return m
}

// DefaultScreener is the built-in lexicon with the built-in model.
func DefaultScreener() *Screener {
	s, err := NewScreener(DefaultLexicon())
	if err != nil {
		panic("intake: the built-in lexicon: " + err.Error())
	}
	return s.WithModel(DefaultModel())
}

// WithModel returns the screener combined with a learned model.
func (s *Screener) WithModel(m *Model) *Screener {
	c := *s
	c.model = m
	return &c
}

// NewScreener checks and compiles a lexicon.
func NewScreener(l Lexicon) (*Screener, error) {
	s := &Screener{lex: l, cats: map[string]int{}, negatable: make([]bool, len(l.Categories))}
	if l.Threshold <= 0 {
		return nil, fmt.Errorf("lexicon: threshold must be above zero")
	}
	if l.ModelScale < 0 || l.NegationWindow < 0 {
		return nil, fmt.Errorf("lexicon: model_scale and negation_window cannot be negative")
	}
	for _, t := range l.Negators {
		n := Normalize(t)
		if n == "" {
			return nil, fmt.Errorf("lexicon: an empty negator")
		}
		s.negators = append(s.negators, term{text: n, word: isASCII(n)})
	}
	for i, c := range l.Categories {
		if c.Name == "" {
			return nil, fmt.Errorf("lexicon: category %d has no name", i)
		}
		if _, dup := s.cats[c.Name]; dup {
			return nil, fmt.Errorf("lexicon: category %s is listed twice", c.Name)
		}
		s.cats[c.Name] = i
		s.negatable[i] = c.Negatable
		for _, t := range c.Terms {
			n := Normalize(t)
			if n == "" {
				return nil, fmt.Errorf("lexicon: category %s has an empty term", c.Name)
			}
			s.terms = append(s.terms, term{text: n, cat: i, word: isASCII(n)})
		}
	}
	s.index = newTermIndex(s.terms)
	for _, cb := range l.Combinations {
		if len(cb.All) < 2 {
			return nil, fmt.Errorf("lexicon: a combination needs two categories or more")
		}
		for _, name := range cb.All {
			if _, ok := s.cats[name]; !ok {
				return nil, fmt.Errorf("lexicon: combination names unknown category %s", name)
			}
		}
	}
	return s, nil
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// Screen scores one message.
func (s *Screener) Screen(text string) Verdict { return s.screen(padded(text)) }

// padded is a text normalized for matching, with a space each side (word
// matches look one byte beyond a term).
func padded(text string) string { return " " + Normalize(text) + " " }

// screen scores a padded, normalized message.
func (s *Screener) screen(n string) Verdict {
	hit := make([]bool, len(s.lex.Categories))
	count := make([]int, len(s.lex.Categories))
	first := make([]string, len(s.lex.Categories))
	var negated []string
	// Latin-script terms cannot match a text without Latin letters, nor
	// Chinese ones a text without any other character.
	latin, other := false, false
	for i := 0; i < len(n); i++ {
		if n[i] >= 0x80 {
			other = true
		} else if isLetter(rune(n[i])) {
			latin = true
		}
	}
	for _, ti := range s.index.candidates(n) {
		t := s.terms[ti]
		if (t.word && !latin) || (!t.word && !other) {
			continue
		}
		at := t.find(n, 1)
		if at < 0 {
			continue
		}
		if s.negatable[t.cat] {
			for at >= 0 && s.negatedAt(n, at) {
				at = t.find(n, at+1)
			}
			if at < 0 {
				negated = append(negated, strings.TrimSpace(t.text))
				continue
			}
		}
		if !hit[t.cat] {
			first[t.cat] = t.text
		}
		hit[t.cat] = true
		count[t.cat]++
	}
	score := 0.0
	kinds := map[string]float64{}
	var plus, minus []string
	var matched []string
	for i, c := range s.lex.Categories {
		if !hit[i] {
			continue
		}
		w := c.Weight
		if w > 0 {
			// More distinct signs of one kind make it surer, up to twice more.
			w *= 1 + extraTerm*float64(min(count[i]-1, 2))
		}
		score += w
		matched = append(matched, c.Name)
		if c.Kind != "" && w > 0 {
			kinds[c.Kind] += w
		}
		if c.Weight >= 0 {
			plus = append(plus, fmt.Sprintf("%q (%s)", strings.TrimSpace(first[i]), c.Name))
		} else {
			minus = append(minus, fmt.Sprintf("%q (%s)", strings.TrimSpace(first[i]), c.Name))
		}
	}
	for _, cb := range s.lex.Combinations {
		all := true
		for _, name := range cb.All {
			if !hit[s.cats[name]] {
				all = false
				break
			}
		}
		if all {
			score += cb.Weight
			if cb.Kind != "" {
				kinds[cb.Kind] += cb.Weight
			}
			plus = append(plus, strings.Join(cb.All, "+"))
		}
	}
	var model string
	if s.model != nil {
		odds := s.model.score(n[1 : len(n)-1]) // n is the normalized text between two spaces
		share := s.modelShare(odds)
		score += share
		model = fmt.Sprintf("model log-odds %.1f adds %+.2f", odds, share)
	}
	score = math.Round(score*1000) / 1000
	v := Verdict{Score: score, Emergency: score >= s.lex.Threshold, Matched: matched, Kind: "none"}
	if v.Emergency {
		v.Kind = topKind(kinds)
	}
	switch {
	case len(plus) == 0 && len(minus) == 0:
		v.Reason = "no sign of danger"
	default:
		v.Reason = fmt.Sprintf("score %.2f (threshold %.2f)", score, s.lex.Threshold)
		if len(plus) > 0 {
			v.Reason += "; signs: " + strings.Join(plus, ", ")
		}
		if len(minus) > 0 {
			v.Reason += "; against: " + strings.Join(minus, ", ")
		}
	}
	if len(negated) > 0 {
		v.Reason += "; negated: " + strings.Join(negated, ", ")
	}
	if model != "" {
		v.Reason += "; " + model
	}
	return v
}

// negatedAt: a negator ends within the negation window before n[at:].
func (s *Screener) negatedAt(n string, at int) bool {
	for _, g := range s.negators {
		// Any occurrence that starts at lo or later ends within the window.
		lo := max(at-s.lex.NegationWindow-len(g.text), 0)
		for lo > 0 && n[lo]&0xC0 == 0x80 { // start on a character
			lo--
		}
		if g.find(" "+n[lo:at], 1) >= 0 {
			return true
		}
	}
	return false
}

// modelShare is what the model's log-odds add to the lexicon score.
func (s *Screener) modelShare(odds float64) float64 {
	if s.lex.ModelScale == 0 {
		return 0
	}
	x := max(min(odds/s.lex.ModelScale, 1), -1)
	if x > 0 {
		return x * s.lex.ModelWeight
	}
	return x * s.lex.ModelAgainst
}

func topKind(kinds map[string]float64) string {
	if len(kinds) == 0 {
		return "danger_situation"
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if kinds[names[i]] != kinds[names[j]] {
			return kinds[names[i]] > kinds[names[j]]
		}
		return names[i] < names[j]
	})
	return names[0]
}

// containsWord finds w in s (both normalized, s padded with spaces) with
// non-letters on both sides, so "gun" does not match "begun".
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before, after := rune(s[j-1]), rune(' ')
		if j+len(w) < len(s) {
			after = rune(s[j+len(w)])
		}
		if !isLetter(before) && !isLetter(after) {
			return true
		}
		i = j + 1
	}
}

func isLetter(r rune) bool {
	return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// Normalize folds a text for matching: NFKC (full-width to half-width),
// lower case, traditional Chinese characters to simplified, and runs of
// space and punctuation to one space.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || (unicode.IsPunct(r) && r != '\'' && r != '-') || unicode.IsSymbol(r):
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		case r < unicode.MaxASCII:
			r = unicode.ToLower(r)
		default:
			if m, ok := t2s[r]; ok {
				r = m
			}
		}
		b.WriteRune(r)
		space = false
	}
	return strings.TrimSpace(b.String())
}
