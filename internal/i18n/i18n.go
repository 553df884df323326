// Package i18n holds kefu's message catalogs (zh-Hans, zh-Hant, en) and
// picks a language from Accept-Language or a user's setting.
package i18n

import (
	"strings"
)

// Lang is a supported language tag.
type Lang string

const (
	ZhHans Lang = "zh-Hans"
	ZhHant Lang = "zh-Hant"
	En     Lang = "en"
)

// Supported lists the languages in order of preference when nothing else is known.
var Supported = []Lang{ZhHans, ZhHant, En}

// Parse maps a language tag (zh-CN, zh-TW, zh-Hant-HK, en-US…) to a supported language.
func Parse(tag string) (Lang, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case t == "":
		return "", false
	case strings.HasPrefix(t, "zh-hant"), strings.HasPrefix(t, "zh-tw"), strings.HasPrefix(t, "zh-hk"), strings.HasPrefix(t, "zh-mo"):
		return ZhHant, true
	case strings.HasPrefix(t, "zh"):
		return ZhHans, true
	case strings.HasPrefix(t, "en"):
		return En, true
	}
	return "", false
}

// Or maps a language tag to a supported language, or fallback when it
// names none (kefu's own texts to customers and staff fall back to
// simplified Chinese).
func Or(tag string, fallback Lang) Lang {
	if l, ok := Parse(tag); ok {
		return l
	}
	return fallback
}

// FromAcceptLanguage picks the first supported language of a header, by q order.
func FromAcceptLanguage(h string, fallback Lang) Lang {
	best, bestQ := Lang(""), -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q = parseQ(v)
		}
		if l, ok := Parse(tag); ok && q > bestQ {
			best, bestQ = l, q
		}
	}
	if best == "" {
		return fallback
	}
	return best
}

func parseQ(v string) float64 {
	q, frac, seen := 0.0, 0.1, false
	for i, r := range v {
		switch {
		case r == '.':
			seen = true
		case r >= '0' && r <= '9' && !seen && i == 0:
			q = float64(r - '0')
		case r >= '0' && r <= '9' && seen:
			q += float64(r-'0') * frac
			frac /= 10
		default:
			return 0
		}
	}
	return q
}

// T translates key into lang; unknown keys fall back to English, then to the key.
func T(lang Lang, key string) string {
	if m, ok := catalogs[lang]; ok {
		if s, ok := m[key]; ok {
			return s
		}
	}
	if s, ok := catalogs[En][key]; ok {
		return s
	}
	return key
}

// Has reports whether key has a translation.
func Has(key string) bool { _, ok := catalogs[En][key]; return ok }
