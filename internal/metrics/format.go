package metrics

import (
	"fmt"
	"math"
	"strconv"
)

// expo accumulates exposition text.
type expo struct{ b []byte }

// sample writes one line: name{labels…,extra="…"} value. extraName is for
// a histogram's "le"; empty means none.
func (e *expo) sample(name string, labels, values []string, extraName, extraValue string, v float64) {
	e.b = append(e.b, name...)
	if len(labels) > 0 || extraName != "" {
		e.b = append(e.b, '{')
		for i, l := range labels {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = appendLabel(e.b, l, values[i])
		}
		if extraName != "" {
			if len(labels) > 0 {
				e.b = append(e.b, ',')
			}
			e.b = appendLabel(e.b, extraName, extraValue)
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ' ')
	e.b = appendFloat(e.b, v)
	e.b = append(e.b, '\n')
}

func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	b = appendEscaped(b, value, true)
	return append(b, '"')
}

// appendEscaped escapes per the text format: in HELP only backslash and
// newline; in label values also the double quote.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quote:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat formats a sample value or bucket bound: plain decimals in the
// everyday range (a request counter reads 1500000, not 1.5e+06), exponents
// only for the very large or small, and the spellings Prometheus parses for
// the special values.
func appendFloat(b []byte, v float64) []byte {
	switch a := math.Abs(v); {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case a >= 1e-4 && a < 1e21:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// mustValidName checks a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
func mustValidName(name string) {
	if !validName(name, true) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
}

// mustValidLabels checks label names: [a-zA-Z_][a-zA-Z0-9_]*, not starting
// with "__" (reserved for Prometheus itself), no duplicates, and not "le"
// when the metric is a histogram.
func mustValidLabels(labels []string, histogram bool) {
	seen := map[string]bool{}
	for _, l := range labels {
		if !validName(l, false) || (len(l) >= 2 && l[:2] == "__") {
			panic(fmt.Sprintf("metrics: invalid label name %q", l))
		}
		if histogram && l == "le" {
			panic(`metrics: "le" is reserved for histogram buckets`)
		}
		if seen[l] {
			panic(fmt.Sprintf("metrics: label %q given twice", l))
		}
		seen[l] = true
	}
}

func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (colon && c == ':') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}
