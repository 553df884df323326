package intake

import (
	"strings"
	"unicode"
)

// TicketCategory is one category intake can give a ticket, with the words
// that point to it (any script; traditional characters match their
// simplified forms).
type TicketCategory struct {
	Code  string   `json:"code"`
	Terms []string `json:"terms"`
}

// DefaultCategories are the categories intake knows without a tenant's
// own: the matters a consumer service center hears most.
var DefaultCategories = []TicketCategory{
	{"refund", []string{"退款", "退钱", "退费", "返款", "退回的钱", "refund", "money back", "reimburse"}},
	{"return", []string{"退货", "退换", "换货", "寄回", "return the", "send it back", "exchange"}},
	{"delivery", []string{"物流", "快递", "配送", "发货", "没收到", "未收到", "派送", "运单", "包裹", "delivery", "shipping", "parcel", "package", "courier", "tracking"}},
	{"payment", []string{"扣款", "扣费", "付款", "支付", "重复扣", "账单", "发票", "charged", "payment", "billing", "invoice", "double charge"}},
	{"account", []string{"账号", "帐号", "登录", "登陆", "密码", "验证码", "注销", "封号", "account", "log in", "login", "password", "sign in"}},
	{"lost_item", []string{"落在车上", "遗失", "丢在", "忘在", "失物", "left my", "lost my", "lost item", "forgot my"}},
	{"driver", []string{"司机", "绕路", "绕远", "车牌", "driver", "detour", "route"}},
	{"order", []string{"订单", "下单", "取消订单", "order"}},
	{"product", []string{"质量", "坏了", "故障", "损坏", "破损", "不能用", "broken", "defective", "damaged", "doesn't work", "not working"}},
	{"complaint", []string{"投诉", "态度", "差评", "举报", "complain", "complaint", "rude"}},
}

// Classification is what intake decided about a message's matter and
// language, and why.
type Classification struct {
	Category string `json:"category,omitempty"`
	Language string `json:"language,omitempty"`
	Why      string `json:"why"`
}

// Classifier assigns categories from compiled terms. Build once per rule
// set; safe for concurrent use.
type Classifier struct {
	cats  []TicketCategory
	terms []term    // normalized, category by category in listed order; ASCII ones counted once, as whole words
	index termIndex // of terms
}

// NewClassifier compiles categories (nil or empty: DefaultCategories).
func NewClassifier(cats []TicketCategory) *Classifier {
	if len(cats) == 0 {
		cats = DefaultCategories
	}
	c := &Classifier{cats: cats}
	for i, cat := range cats {
		for _, t := range cat.Terms {
			if n := Normalize(t); n != "" {
				c.terms = append(c.terms, term{text: n, cat: i, word: isASCII(n)})
			}
		}
	}
	c.index = newTermIndex(c.terms)
	return c
}

// Classify picks the category whose terms occur most often (the first
// listed wins a tie) and the language of the text.
func (c *Classifier) Classify(text string) Classification { return c.classify(text, padded(text)) }

// classify is Classify given the text also padded and normalized.
func (c *Classifier) classify(text, n string) Classification {
	lang := Language(text)
	hits := make([]int, len(c.cats))
	first := make([]string, len(c.cats))
	// Candidates come in listed order, so first is each category's first
	// listed term that occurs.
	for _, ti := range c.index.candidates(n) {
		t := c.terms[ti]
		if t.word {
			if !containsWord(n, t.text) {
				continue
			}
			hits[t.cat]++
		} else if k := strings.Count(n, t.text); k > 0 {
			hits[t.cat] += k
		} else {
			continue
		}
		if first[t.cat] == "" {
			first[t.cat] = t.text
		}
	}
	best, bestHits, bestTerm := -1, 0, ""
	for i, h := range hits {
		if h > bestHits {
			best, bestHits, bestTerm = i, h, first[i]
		}
	}
	out := Classification{Language: lang}
	if best < 0 {
		out.Why = "no category's words occur"
	} else {
		out.Category = c.cats[best].Code
		out.Why = "“" + bestTerm + "” points to " + out.Category
	}
	if lang != "" {
		out.Why += "; written in " + lang
	}
	return out
}

// Language tells the language a customer wrote in: zh-Hans, zh-Hant, en,
// ja or ko, by script ("" when the text has no letters). Chinese is
// traditional when more of its characters have a different simplified form
// than are simplified-only.
func Language(text string) string {
	var han, trad, simp, latin, kana, hangul int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Han, r):
			han++
			if _, ok := t2s[r]; ok {
				trad++
			} else if simplifiedOnly[r] {
				simp++
			}
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			latin++
		}
	}
	switch {
	case kana > 0 && kana*5 >= han:
		return "ja"
	case hangul > 0 && hangul >= han:
		return "ko"
	case han > 0 && han*2 >= latin/3:
		// A Chinese sentence with a brand name or order code in it is still
		// Chinese: Latin letters weigh a third of a character.
		if trad > simp {
			return "zh-Hant"
		}
		return "zh-Hans"
	case latin > 0:
		return "en"
	}
	return ""
}

// simplifiedOnly are simplified characters (the images of t2s that differ
// from their traditional form): seeing them means simplified text.
var simplifiedOnly = func() map[rune]bool {
	m := make(map[rune]bool, len(t2s))
	for trad, simp := range t2s {
		if trad != simp {
			m[simp] = true
		}
	}
	return m
}()
