package api

import (
	"errors"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// FuzzDecode: whatever bytes arrive, decoding gives a value or a 4xx error
// that names the problem — never a panic, never an internal error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"subject":"退款","customer":{"name":"a","identities":[{"kind":"phone","value":"138"}]}}`,
		`{"subject":1}`, `{`, `[]`, `null`, `{"tags":"x"}`, `{"message":{"body":"\u0000"}}`, `{"a":1}{"b":2}`, "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &call{body: body}
		var in ticketIn
		err := c.decode(&in)
		if err == nil {
			return
		}
		var ke *kefu.Error
		if !errors.As(err, &ke) || ke.Kind != kefu.KindInvalid || ke.Message == "" {
			t.Fatalf("decode(%q) = %v, want an invalid-input error", body, err)
		}
	})
}
