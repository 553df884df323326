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
	var terms []string
	eachTerm(text, func(t string) { terms = append(terms, t) })
	return terms
}

// eachTerm calls yield with each index term of text, in order, duplicates
// kept. Every term is a piece of the NFKC-folded text (a word lower-cased),
// not a string of its own: a new ticket's search text is built from a few
// hundred of them.
func eachTerm(text string, yield func(string)) {
	text = norm.NFKC.String(text) // full-width Ｒｅｆｕｎｄ → Refund
	word, run, prev := -1, -1, 0  // where the current word and CJK run start, and the run's last character
	single := false               // the run has one character so far
	endWord := func(at int) {
		if word >= 0 {
			yield(strings.ToLower(text[word:at]))
			word = -1
		}
	}
	endRun := func(at int) {
		if run >= 0 && single {
			yield(text[run:at])
		}
		run = -1
	}
	for i, r := range text {
		switch {
		case isCJK(r):
			endWord(i)
			if run < 0 {
				run, single = i, true
			} else {
				yield(text[prev : i+utf8.RuneLen(r)]) // the pair ending here
				single = false
			}
			prev = i
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			endRun(i)
			if word < 0 {
				word = i
			}
		default:
			endWord(i)
			endRun(i)
		}
	}
	endWord(len(text))
	endRun(len(text))
}

// Document builds the stored search text: distinct terms separated by spaces.
// Long texts are capped so one huge email cannot bloat the index.
func Document(parts ...string) string {
	seen := make(map[string]struct{}, 64)
	var b strings.Builder
	full := false
	for _, p := range parts {
		eachTerm(p, func(t string) {
			if _, dup := seen[t]; dup || full {
				return
			}
			seen[t] = struct{}{}
			if b.Len()+len(t)+1 > 8192 {
				full = true
				return
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(t)
		})
		if full {
			break
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
