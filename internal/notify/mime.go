package notify

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// lineWidth is where headers and base64 bodies are folded: RFC 5322
// recommends at most 78 characters a line.
const lineWidth = 76

// charset is the character set of one email: UTF-8 (enc nil), or a legacy
// Chinese set for old mail clients.
type charset struct {
	name string
	enc  encoding.Encoding
}

var (
	utf8Charset    = charset{name: "UTF-8"}
	gb18030Charset = charset{name: "GB18030", enc: simplifiedchinese.GB18030}
	big5Charset    = charset{name: "Big5", enc: traditionalchinese.Big5}
)

// legacyCharset is the charset legacy mode uses for a locale: GB18030 for
// simplified Chinese, Big5 for traditional, UTF-8 otherwise.
func legacyCharset(locale string) charset {
	if locale == "" {
		return utf8Charset
	}
	switch NormalizeLocale(locale) {
	case LocaleZhHans:
		return gb18030Charset
	case LocaleZhHant:
		return big5Charset
	}
	return utf8Charset
}

// bytes converts s to the charset. It fails when s holds a character the
// charset lacks (Big5 has no simplified characters and no emoji).
func (c charset) bytes(s string) ([]byte, error) {
	if c.enc == nil {
		return []byte(s), nil
	}
	return c.enc.NewEncoder().Bytes([]byte(s))
}

// fits reports whether every string can be written in the charset.
func (c charset) fits(ss ...string) bool {
	for _, s := range ss {
		if _, err := c.bytes(s); err != nil {
			return false
		}
	}
	return true
}

// headerText makes a header value safe: invalid UTF-8 is replaced, and
// line breaks and other control characters become spaces, so that no
// value can add a header line.
func headerText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// plainHeader reports whether s can go into a header as it is: printable
// ASCII, nothing that looks like an encoded word, and no word too long to
// fold.
func plainHeader(s string) bool {
	if strings.Contains(s, "=?") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	for w := range strings.FieldsSeq(s) {
		if len(w) > lineWidth-10 {
			return false
		}
	}
	return true
}

// encodeHeader formats the value of the header called name: as it is when
// plainHeader allows, else as RFC 2047 "B" encoded words in the charset
// (UTF-8 when the text does not fit it). Lines are folded so that none,
// with the "Name: " prefix, exceeds lineWidth.
func encodeHeader(name, value string, cs charset) string {
	value = headerText(value)
	used := len(name) + 2
	if plainHeader(value) {
		return foldPlain(value, used)
	}
	if !cs.fits(value) {
		cs = utf8Charset
	}
	return encodeWords(value, cs, used)
}

// foldPlain folds ASCII text before spaces.
func foldPlain(s string, used int) string {
	var b strings.Builder
	col := used
	for i, w := range strings.Split(s, " ") {
		if i > 0 {
			if col+1+len(w) > lineWidth && col > 1 {
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// encodeWords writes s as encoded words, one a line, each cut at a
// character boundary so that every word decodes on its own (RFC 2047 §5).
func encodeWords(s string, cs charset, used int) string {
	prefix := "=?" + cs.name + "?B?"
	overhead := len(prefix) + len("?=")
	var b strings.Builder
	var chunk []byte
	avail := func() int { return (lineWidth - used - overhead) / 4 * 3 }
	flush := func() {
		if b.Len() > 0 {
			b.WriteString("\r\n ")
		}
		b.WriteString(prefix)
		b.WriteString(base64.StdEncoding.EncodeToString(chunk))
		b.WriteString("?=")
		chunk = chunk[:0]
		used = 1
	}
	for _, r := range s {
		rb, err := cs.bytes(string(r))
		if err != nil { // cannot happen: the caller checked fits
			rb = []byte(string(utf8.RuneError))
		}
		if len(chunk)+len(rb) > avail() && len(chunk) > 0 {
			flush()
		}
		chunk = append(chunk, rb...)
	}
	if len(chunk) > 0 || b.Len() == 0 {
		flush()
	}
	return b.String()
}

// formatAddress is a From or To value: the display name encoded as needed
// and the address in angle brackets.
func formatAddress(header, name, addr string, cs charset) string {
	name = strings.TrimSpace(headerText(name))
	if name == "" {
		return "<" + addr + ">"
	}
	if plainHeader(name) {
		// net/mail quotes specials (commas, dots, quotes…) for us.
		return (&mail.Address{Name: name, Address: addr}).String()
	}
	return encodeHeader(header, name, cs) + " <" + addr + ">"
}

// encodeBody turns text into a body in the charset with its
// Content-Transfer-Encoding: quoted-printable when the bytes are ASCII
// (readable in the raw message), base64 otherwise. Lines end in CRLF.
func encodeBody(text string, cs charset) (cte string, body []byte, err error) {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n")
	raw, err := cs.bytes(text)
	if err != nil {
		return "", nil, err
	}
	ascii := true
	for _, c := range raw {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	var buf bytes.Buffer
	if ascii {
		w := quotedprintable.NewWriter(&buf)
		w.Write(raw)
		w.Close()
		return "quoted-printable", buf.Bytes(), nil
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > lineWidth {
		buf.WriteString(enc[:lineWidth])
		buf.WriteString("\r\n")
		enc = enc[lineWidth:]
	}
	buf.WriteString(enc)
	buf.WriteString("\r\n")
	return "base64", buf.Bytes(), nil
}
