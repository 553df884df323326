package notify

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// SMSProvider sends one text message. Errors that a retry cannot fix
// should be a *DeliveryError with Permanent set.
type SMSProvider interface {
	Send(ctx context.Context, phone, text string) error
}

// SMS sends each recipient that has a phone number the alert's title (and
// its link when it fits) as one short message: at most 70 characters, or
// 160 when the text is all GSM-7, cut at a character boundary.
type SMS struct {
	Provider SMSProvider
	// MaxChars overrides the limit (in UCS-2 units or GSM-7 septets), for
	// providers that join long messages.
	MaxChars int
	// Signature is put before the text ("【某某客服】"), for providers
	// that need it in the text; it counts towards the limit.
	Signature string
}

func (s *SMS) Notify(ctx context.Context, a Alert) error {
	if err := a.Validate(); err != nil {
		return invalid("sms", err)
	}
	if s.Provider == nil {
		return &DeliveryError{Channel: "sms", Permanent: true, Err: errors.New("no SMS provider configured")}
	}
	var errs []error
	tried := false
	for _, r := range a.Recipients {
		if strings.TrimSpace(r.Phone) == "" {
			continue
		}
		tried = true
		phone, err := normalizePhone(r.Phone)
		if err != nil {
			errs = append(errs, &DeliveryError{Channel: "sms", Target: who(r, maskPhone(r.Phone)), Permanent: true, Err: err})
			continue
		}
		if err := s.Provider.Send(ctx, phone, s.Text(a, r)); err != nil {
			de := &DeliveryError{Channel: "sms", Target: who(r, maskPhone(phone)), Err: err}
			if pe, ok := errors.AsType[*DeliveryError](err); ok {
				de.Status, de.Permanent, de.Err = pe.Status, pe.Permanent, pe.Err
			}
			errs = append(errs, de)
		}
	}
	if !tried {
		return nobody("sms")
	}
	return errors.Join(errs...)
}

// Text is the message r gets for a: the title in r's language, then the
// link when the whole still fits in one message.
func (s *SMS) Text(a Alert, r Recipient) string {
	title, _ := a.TextFor(r)
	title = s.Signature + oneLine(title, 1000)
	if a.Link != "" {
		with := title + " " + a.Link
		if smsCost(with) <= s.limit(with) {
			return with
		}
	}
	return FitSMS(title, s.limit(title))
}

func (s *SMS) limit(text string) int {
	if s.MaxChars > 0 {
		return s.MaxChars
	}
	if isGSM7(text) {
		return 160
	}
	return 70
}

// normalizePhone drops the spaces, dashes, dots and parentheses people
// write in numbers and checks what is left: digits, with an optional
// leading +.
func normalizePhone(p string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(p) {
		switch {
		case r >= '0' && r <= '9', r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", fmt.Errorf("bad phone number: unexpected %q", r)
		}
	}
	n := len(strings.TrimPrefix(b.String(), "+"))
	if n < 5 || n > 15 {
		return "", fmt.Errorf("bad phone number: %d digits", n)
	}
	return b.String(), nil
}

// GSM 03.38: the basic set costs one septet a character, the extension
// set two.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

func isGSM7(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(gsmBasic, r) && !strings.ContainsRune(gsmExt, r) {
			return false
		}
	}
	return true
}

// smsCost is the length of s as sent: septets when s is all GSM-7, else
// UTF-16 units (a character outside the BMP, like most emoji, takes two).
func smsCost(s string) int {
	gsm := isGSM7(s)
	n := 0
	for _, r := range s {
		n += runeCost(r, gsm)
	}
	return n
}

func runeCost(r rune, gsm bool) int {
	switch {
	case gsm && strings.ContainsRune(gsmExt, r):
		return 2
	case !gsm && r > 0xFFFF:
		return 2
	}
	return 1
}

// FitSMS cuts text to at most max units (see smsCost) and marks the cut
// with an ellipsis ("…", or "..." in GSM-7 text, which has no "…"). It
// cuts between characters, never inside one, and not between a character
// and the marks or joiners that belong to it.
func FitSMS(text string, max int) string {
	if smsCost(text) <= max {
		return text
	}
	gsm := isGSM7(text)
	ellipsis := "…"
	if gsm {
		ellipsis = "..."
	}
	room := max - len([]rune(ellipsis))
	if room <= 0 {
		return ""
	}
	rs := []rune(text)
	k, used := 0, 0
	for k < len(rs) && used+runeCost(rs[k], gsm) <= room {
		used += runeCost(rs[k], gsm)
		k++
	}
	for k > 0 && k < len(rs) && (extends(rs[k]) || rs[k-1] == '\u200d') {
		k--
	}
	return strings.TrimRightFunc(string(rs[:k]), unicode.IsSpace) + ellipsis
}

// extends reports whether r belongs to the character before it: combining
// marks, variation selectors, the zero-width joiner, emoji modifiers.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Variation_Selector) ||
		r == '\u200d' || (r >= 0x1F3FB && r <= 0x1F3FF)
}

// HTTPSMS is a generic SMS gateway reached by an HTTP POST of a JSON
// object: {"phone": "...", "text": "..."} plus Extra fields, with a token
// header. Any 2xx answer is success.
type HTTPSMS struct {
	URL   string
	Token string
	// TokenHeader carries Token: "Authorization" (the default) as
	// "Bearer <token>", any other header (X-Api-Key…) as it is.
	TokenHeader string
	// PhoneField and TextField name the body's fields; "phone" and "text"
	// by default.
	PhoneField, TextField string
	// Extra fields of the body: sender ID, sign name, template code…
	Extra map[string]string
	// Timeout bounds one request; 10 s when zero.
	Timeout time.Duration
	// Client is the HTTP client; when nil, one that does not follow
	// redirects.
	Client *http.Client
}

func (p *HTTPSMS) Send(ctx context.Context, phone, text string) error {
	target := hostOf(p.URL)
	fields := make(map[string]string, len(p.Extra)+2)
	for k, v := range p.Extra {
		fields[k] = v
	}
	fields[cmp.Or(p.PhoneField, "phone")] = phone
	fields[cmp.Or(p.TextField, "text")] = text
	body, err := json.Marshal(fields)
	if err != nil {
		return &DeliveryError{Channel: "sms", Target: target, Permanent: true, Err: err}
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(body))
	if err != nil {
		return &DeliveryError{Channel: "sms", Target: target, Permanent: true, Err: fmt.Errorf("bad URL: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kefu-notify/1")
	if p.Token != "" {
		h := cmp.Or(p.TokenHeader, "Authorization")
		if strings.EqualFold(h, "Authorization") {
			req.Header.Set(h, "Bearer "+p.Token)
		} else {
			req.Header.Set(h, p.Token)
		}
	}
	status, err := postOnce(ctx, p.Client, req, timeout)
	if err != nil {
		return &DeliveryError{Channel: "sms", Target: target, Status: status, Permanent: permanentHTTP(status), Err: fmt.Errorf("gateway %s: %w", target, err)}
	}
	return nil
}
