package search

import (
	"reflect"
	"testing"
)

func TestTerms(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"退款申请", []string{"退款", "款申", "申请"}},
		{"Refund for order #A1234", []string{"refund", "for", "order", "a1234"}},
		{"我要退款refund", []string{"我要", "要退", "退款", "refund"}},
		{"好", []string{"好"}},
		{"ＲＥＦＵＮＤ 退貨", []string{"refund", "退貨"}},
		{"", nil},
		{"  ,,, ", nil},
	}
	for _, c := range cases {
		if got := Terms(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Terms(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDocumentDistinct(t *testing.T) {
	if got := Document("退款 退款", "Refund refund"); got != "退款 refund" {
		t.Fatalf("Document = %q", got)
	}
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"退款申请", "hello world", "\xff\xfe", "ａｂｃ１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range Terms(s) {
			if term == "" {
				t.Fatalf("empty term from %q", s)
			}
		}
		_ = Document(s)
	})
}
