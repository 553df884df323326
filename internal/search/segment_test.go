package search

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
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
		terms := Terms(s)
		for _, term := range terms {
			if term == "" {
				t.Fatalf("empty term from %q", s)
			}
		}
		if want := plainTerms(s); !reflect.DeepEqual(terms, want) {
			t.Fatalf("Terms(%q) = %q, built rune by rune %q", s, terms, want)
		}
		_ = Document(s)
	})
}

// plainTerms is Terms written the plain way, each term built rune by rune:
// Terms, which cuts its terms out of the text, must agree with it.
func plainTerms(text string) []string {
	text = norm.NFKC.String(text)
	var terms []string
	var word []rune
	var cjk []rune
	flush := func() {
		if len(word) > 0 {
			terms = append(terms, strings.ToLower(string(word)))
		}
		if len(cjk) == 1 {
			terms = append(terms, string(cjk))
		}
		for i := 0; i+1 < len(cjk); i++ {
			terms = append(terms, string(cjk[i:i+2]))
		}
		word, cjk = word[:0], cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			if len(word) > 0 {
				flush()
			}
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(cjk) > 0 {
				flush()
			}
			word = append(word, r)
		default:
			flush()
		}
	}
	flush()
	return terms
}

func TestDocumentCapped(t *testing.T) {
	var many []string // 3,000 distinct words
	for i := range 3000 {
		many = append(many, "w"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26)))
	}
	text := strings.Join(many, " ")
	if d := Document(text); len(d) > 8192 || len(d) < 8000 {
		t.Fatalf("Document of %d bytes is %d bytes, want just under 8192", len(text), len(d))
	}
}

// BenchmarkDocument: a new ticket's search text (subject and first message).
//
//	go test ./internal/search -run XXX -bench Document
func BenchmarkDocument(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Document("投诉：客服电话一直打不通", "客服电话打了好几次都没人接，订单 Y598906 的退款到底什么时候到账？已经等了 10 个工作日了。")
	}
}
