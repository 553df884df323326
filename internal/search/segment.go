// Package search turns text into index terms. Chinese has no spaces, so
// CJK runs are split into overlapping bigrams (退款申请 → 退款 款申 申请);
// other scripts are split on non-letters and lower-cased. The same function
// builds the stored search column and the query, so both sides agree, and
// both SQLite FTS5 and PostgreSQL tsvector see plain space-separated terms.
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// isCJK reports runes that are written without spaces between words.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// Terms splits text into index terms, in order, with duplicates kept.
func Terms(text string) []string {
	text = norm.NFKC.String(text) // full-width Ｒｅｆｕｎｄ → Refund
	var terms []string
	var word strings.Builder
	var cjk []rune
	flushWord := func() {
		if word.Len() > 0 {
			terms = append(terms, strings.ToLower(word.String()))
			word.Reset()
		}
	}
	flushCJK := func() {
		switch len(cjk) {
		case 0:
		case 1:
			terms = append(terms, string(cjk))
		default:
			for i := 0; i+1 < len(cjk); i++ {
				terms = append(terms, string(cjk[i:i+2]))
			}
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushCJK()
			word.WriteRune(r)
		default:
			flushWord()
			flushCJK()
		}
	}
	flushWord()
	flushCJK()
	return terms
}

// Document builds the stored search text: distinct terms separated by spaces.
// Long texts are capped so one huge email cannot bloat the index.
func Document(parts ...string) string {
	seen := make(map[string]bool)
	var b strings.Builder
	for _, p := range parts {
		for _, t := range Terms(p) {
			if seen[t] {
				continue
			}
			seen[t] = true
			if b.Len()+len(t)+1 > 8192 {
				return b.String()
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t)
		}
	}
	return b.String()
}

// QueryTerms gives the distinct terms of a user query, all of which must
// match. A single CJK character matches only documents where it stood alone,
// so for one-character queries callers fall back to prefix matching.
func QueryTerms(q string) []string {
	seen := make(map[string]bool)
	var out []string
	for _, t := range Terms(q) {
		if !seen[t] && utf8.RuneCountInString(t) > 0 {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
