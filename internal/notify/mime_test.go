package notify

import (
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

var decoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return e.NewDecoder().Reader(r), nil
}}

// checkHeader encodes s as a Subject in cs and checks what a mail reader
// gets back: the same text (control characters as spaces), from lines of
// at most 78 printable ASCII characters.
func checkHeader(t *testing.T, s string, cs charset) {
	t.Helper()
	enc := encodeHeader("Subject", s, cs)
	lines := strings.Split("Subject: "+enc, "\r\n")
	for i, l := range lines {
		if len(l) > 78 {
			t.Fatalf("%q: line %d is %d long: %q", s, i, len(l), l)
		}
		if i > 0 && !strings.HasPrefix(l, " ") {
			t.Fatalf("%q: continuation line %d does not start with a space: %q", s, i, l)
		}
		for _, c := range []byte(l) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("%q: line %d has byte %#x: %q", s, i, c, l)
			}
		}
	}
	got, err := decoder.DecodeHeader(strings.ReplaceAll(enc, "\r\n", ""))
	if err != nil {
		t.Fatalf("%q → %q: %v", s, enc, err)
	}
	if want := headerText(s); got != want {
		t.Fatalf("%q → %q → %q, want %q", s, enc, got, want)
	}
}

func TestEncodeHeader(t *testing.T) {
	for _, s := range []string{
		"", "Commitment missed: ticket #123 is 45 min overdue",
		"紧急事件：工单 #123 尚未有人确认（已升级至主管）",
		"緊急事件：工單 #123 尚未有人確認（已升級至主管）",
		strings.Repeat("超长的标题", 40),
		"emoji 🚨👩‍💻 and e\u0301",
		"looks like =?UTF-8?B?encoded?= but is not",
		"Bcc: evil@example.com\r\nX-Injected: yes",
		strings.Repeat("x", 200),
		"  leading and  double  spaces ",
		"\xff\xfe broken utf-8",
	} {
		for _, cs := range []charset{utf8Charset, gb18030Charset, big5Charset} {
			checkHeader(t, s, cs)
		}
	}
	// No header injection: the value stays one logical line.
	enc := encodeHeader("Subject", "hi\r\nBcc: evil@example.com", utf8Charset)
	if strings.Contains(strings.ReplaceAll(enc, "\r\n ", ""), "\n") {
		t.Fatalf("injected: %q", enc)
	}
	// Chinese uses the charset asked for when it fits, UTF-8 otherwise.
	if enc := encodeHeader("Subject", "繁體中文", big5Charset); !strings.HasPrefix(enc, "=?Big5?B?") {
		t.Errorf("Big5: %q", enc)
	}
	if enc := encodeHeader("Subject", "简体中文", big5Charset); !strings.HasPrefix(enc, "=?UTF-8?B?") {
		t.Errorf("fallback: %q", enc)
	}
}

func TestFormatAddress(t *testing.T) {
	for _, name := range []string{"", "Jo Smith", "Smith, Jo", `Jo "JJ" Smith`, "张伟（主管）", "陳美玲", "Zoë", strings.Repeat("很长的名字", 20)} {
		v := formatAddress("To", name, "x@acme.test", utf8Charset)
		a, err := (&mail.AddressParser{WordDecoder: decoder}).Parse(strings.ReplaceAll(v, "\r\n", ""))
		if err != nil {
			t.Fatalf("%q → %q: %v", name, v, err)
		}
		if a.Name != name || a.Address != "x@acme.test" {
			t.Fatalf("%q → %q → %+v", name, v, a)
		}
	}
}

func FuzzEncodeHeader(f *testing.F) {
	for _, s := range []string{"", "紧急事件：工单 #123", "a b", "=?x?=", "\r\n", "🚨", strings.Repeat("长", 100), "x\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkHeader(t, s, utf8Charset)
		checkHeader(t, s, gb18030Charset)
		if utf8.ValidString(s) {
			checkHeader(t, s, big5Charset)
		}
	})
}
