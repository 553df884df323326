package intake

import (
	"strings"
	"unicode"

	"github.com/kefu-project/kefu/internal/search"
)

// Repeat detection: is a customer writing again about the same matter?
// The same order or reference number settles it; otherwise the words must
// overlap enough.

// Matter is what a message is about, for comparing with another.
type Matter struct {
	Refs  []string            // order, waybill, trip and reference numbers
	Terms map[string]struct{} // search terms (CJK bigrams, words)
}

// MatterOf reads the references and terms of a customer's words.
func MatterOf(texts ...string) Matter {
	text := strings.Join(texts, "\n")
	m := Matter{Refs: references(text), Terms: map[string]struct{}{}}
	for _, t := range search.Terms(text) {
		// Numbers are compared as references, not as words.
		if !stopTerm[t] && !strings.ContainsFunc(t, unicode.IsDigit) {
			m.Terms[t] = struct{}{}
		}
	}
	return m
}

// similarEnough is the share of shared terms (of the smaller side) above
// which two texts are taken to be about the same matter.
const similarEnough = 0.35

// minTerms: texts shorter than this say too little to compare by words.
const minTerms = 4

// SameMatter says whether two matters are one, and why.
func SameMatter(a, b Matter) (bool, string) {
	for _, r := range a.Refs {
		for _, s := range b.Refs {
			if r == s {
				return true, "the same reference " + r
			}
		}
	}
	if len(a.Refs) > 0 && len(b.Refs) > 0 {
		return false, "different references"
	}
	small, large := a.Terms, b.Terms
	if len(small) > len(large) {
		small, large = large, small
	}
	if len(small) < minTerms {
		return false, "too little to compare"
	}
	shared := 0
	for t := range small {
		if _, ok := large[t]; ok {
			shared++
		}
	}
	if share := float64(shared) / float64(len(small)); share >= similarEnough {
		return true, "similar words"
	}
	return false, "different words"
}

// stopTerm are terms every message shares, which say nothing of its matter.
var stopTerm = map[string]bool{
	"你好": true, "您好": true, "请问": true, "谢谢": true, "一下": true, "我的": true, "你们": true, "我们": true, "什么": true,
	"怎么": true, "还没": true, "已经": true, "没有": true, "可以": true, "帮我": true, "麻烦": true, "手机": true, "机号": true,
	"电话": true, "号码": true,
	"the": true, "and": true, "my": true, "is": true, "to": true, "a": true, "i": true, "you": true, "your": true, "of": true,
	"it": true, "for": true, "in": true, "on": true, "hi": true, "hello": true, "please": true, "thanks": true, "still": true,
}

// references finds order-like numbers: runs of letters, digits and dashes
// with at least six digits, except mobile phone numbers and dates (the
// same customer's phone in two messages says nothing about the matter).
func references(text string) []string {
	var out []string
	seen := map[string]bool{}
	flush := func(tok string) {
		tok = strings.Trim(tok, "-#")
		digits := 0
		for _, r := range tok {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 6 || isMobile(tok) || isDate(tok) || seen[tok] {
			return
		}
		seen[tok] = true
		out = append(out, tok)
	}
	var cur strings.Builder
	for _, r := range strings.ToUpper(Normalize(text)) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '#') {
			cur.WriteRune(r)
			continue
		}
		flush(cur.String())
		cur.Reset()
	}
	flush(cur.String())
	return out
}

func isMobile(tok string) bool {
	if len(tok) != 11 || tok[0] != '1' || tok[1] < '3' {
		return false
	}
	for _, r := range tok {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isDate(tok string) bool {
	p := strings.Split(tok, "-")
	return len(p) == 3 && len(p[0]) == 4 && len(p[1]) <= 2 && len(p[2]) <= 2
}

// claimPhrases say "I have asked before" in the customer's words.
var claimPhrases = []string{"第二次", "第三次", "第四次", "第五次", "又来问", "问了好几次", "问过好几次", "说了好几次", "催了好几次", "多次",
	"一直没人回", "没人理", "还是没有回复", "再问一次", "又一次",
	"second time", "third time", "fourth time", "asked before", "asking again", "asked again", "several times", "many times",
	"still no reply", "still no answer", "no one replied", "nobody replied", "again and again", "once again"}

// ClaimsRepeat says whether the customer says they have asked before
// ("third time I'm asking"). It is believed only when the history agrees.
func ClaimsRepeat(text string) bool {
	n := " " + Normalize(text) + " "
	for _, p := range claimPhrases {
		np := Normalize(p)
		if isASCII(np) {
			if containsWord(n, np) {
				return true
			}
		} else if strings.Contains(n, np) {
			return true
		}
	}
	return false
}
