package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/kefu-project/kefu/internal/notify"
)

var ctx = context.Background()

var t0 = time.Date(2026, 11, 11, 6, 0, 0, 0, time.UTC) // 14:00 in Shanghai

// escalation is an emergency escalated to a supervisor, for three people
// in three languages and one without an email address.
func escalation() notify.Alert {
	f := notify.Facts{
		TicketNumber: 123, Subject: "司机一直往偏僻的地方开，我手机快没电了", EmergencyKind: "danger_situation",
		Rung: "supervisor", TimeZone: "Asia/Shanghai", Link: "https://kefu.example.com/t/123",
	}
	title, body := notify.Compose(notify.KindEmergencyEscalated, "zh-Hans", f)
	return notify.Alert{
		ID: "al-0001", TenantID: "acme", Kind: notify.KindEmergencyEscalated, TicketID: "tk-123", TicketNumber: 123,
		Subject: f.Subject, Title: title, Body: body, Level: 2, Rung: "supervisor", Link: f.Link, At: t0,
		Recipients: []notify.Recipient{
			{UserID: "u-zhang", Name: "张伟（主管）", Email: "zhang.wei@acme.test", Phone: "+86 138 0013 8000", Locale: "zh-Hans"},
			{UserID: "u-chen", Name: "陳美玲", Email: "chen@acme.test", Locale: "zh-Hant"},
			{UserID: "u-smith", Name: "Smith, Jo", Email: "jo@acme.test", Locale: "en"},
			{UserID: "u-li", Name: "李娜", Phone: "13900139000", Locale: "zh-Hans"},
		},
		Facts: &f,
	}
}

// parsedMail is a received message decoded the way a mail client would.
type parsedMail struct {
	header                 mail.Header
	subject                string
	from, to               *mail.Address
	charset, cte, body     string
	messageID, contentLang string
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return e.NewDecoder().Reader(r), nil
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	for i, l := range strings.Split(string(data), "\r\n") {
		if len(l) > 998 {
			t.Fatalf("line %d is %d octets long", i, len(l))
		}
		for _, c := range []byte(l) {
			if c >= 0x80 {
				t.Fatalf("line %d is not 7-bit: %q", i, l)
			}
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	p := parsedMail{header: m.Header, messageID: m.Header.Get("Message-Id"), contentLang: m.Header.Get("Content-Language")}
	if p.subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatalf("subject %q: %v", m.Header.Get("Subject"), err)
	}
	ap := mail.AddressParser{WordDecoder: dec}
	if p.from, err = ap.Parse(m.Header.Get("From")); err != nil {
		t.Fatalf("from %q: %v", m.Header.Get("From"), err)
	}
	if p.to, err = ap.Parse(m.Header.Get("To")); err != nil {
		t.Fatalf("to %q: %v", m.Header.Get("To"), err)
	}
	if _, err := mail.ParseDate(m.Header.Get("Date")); err != nil {
		t.Fatalf("date %q: %v", m.Header.Get("Date"), err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	p.charset, p.cte = params["charset"], m.Header.Get("Content-Transfer-Encoding")
	var r io.Reader
	switch p.cte {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, m.Body)
	case "quoted-printable":
		r = quotedprintable.NewReader(m.Body)
	default:
		t.Fatalf("transfer encoding %q", p.cte)
	}
	if r, err = charsetReader(p.charset, r); err != nil {
		t.Fatalf("charset %q: %v", p.charset, err)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	p.body = strings.ReplaceAll(string(raw), "\r\n", "\n")
	return p
}

func TestEmailOverSTARTTLSWithAuth(t *testing.T) {
	srv, pool := newSMTPServer(t, smtpOpts{startTLS: true, user: "alerts@acme.test", pass: "s3cret-pass-word"})
	e := &notify.Email{
		Host: srv.Host, Port: srv.Port, From: "alerts@acme.test", FromName: "kefu 值班通知",
		Username: "alerts@acme.test", Password: "s3cret-pass-word", HeloName: "kefu.acme.test",
		TLSConfig: &tls.Config{RootCAs: pool}, Now: func() time.Time { return t0 },
	}
	a := escalation()
	// A recipient without a language gets the alert's own text, which
	// has a line starting with a dot (dot-stuffing on the wire).
	a.Recipients = append(a.Recipients, notify.Recipient{UserID: "u-ops", Email: "ops@acme.test"})
	a.Body += "\n.\n.hidden line"
	if err := e.Notify(ctx, a); err != nil {
		t.Fatalf("notify: %v", err)
	}
	msgs := srv.messages()
	if len(msgs) != 4 {
		t.Fatalf("server got %d messages, want 4 (one per recipient with an email)", len(msgs))
	}
	want := []struct {
		to, name, locale string
	}{
		{"zhang.wei@acme.test", "张伟（主管）", "zh-Hans"},
		{"chen@acme.test", "陳美玲", "zh-Hant"},
		{"jo@acme.test", "Smith, Jo", "en"},
		{"ops@acme.test", "", ""},
	}
	ids := map[string]bool{}
	for i, w := range want {
		m := msgs[i]
		if !m.TLS || m.AuthUser != "alerts@acme.test" || m.Helo != "kefu.acme.test" || m.From != "alerts@acme.test" ||
			len(m.To) != 1 || m.To[0] != w.to {
			t.Fatalf("message %d envelope = %+v", i, m)
		}
		p := parseMail(t, m.Data)
		wantTitle, wantBody := a.Title, a.Body
		if w.locale != "" {
			wantTitle, wantBody = notify.Compose(a.Kind, w.locale, *a.Facts)
		}
		if p.subject != wantTitle {
			t.Errorf("%s: subject = %q, want %q", w.to, p.subject, wantTitle)
		}
		if p.body != wantBody {
			t.Errorf("%s: body = %q, want %q", w.to, p.body, wantBody)
		}
		if p.from.Name != "kefu 值班通知" || p.from.Address != "alerts@acme.test" {
			t.Errorf("%s: from = %+v", w.to, p.from)
		}
		if p.to.Name != w.name || p.to.Address != w.to {
			t.Errorf("%s: to = %+v", w.to, p.to)
		}
		if p.charset != "UTF-8" || p.cte != "base64" {
			t.Errorf("%s: charset %q, encoding %q", w.to, p.charset, p.cte)
		}
		if p.contentLang != w.locale {
			t.Errorf("%s: Content-Language = %q", w.to, p.contentLang)
		}
		h := p.header
		if h.Get("Auto-Submitted") != "auto-generated" || h.Get("Importance") != "high" || h.Get("X-Kefu-Alert-Id") != "al-0001" ||
			h.Get("X-Kefu-Alert-Kind") != notify.KindEmergencyEscalated || h.Get("Mime-Version") != "1.0" {
			t.Errorf("%s: headers = %v", w.to, h)
		}
		if !strings.HasPrefix(p.messageID, "<alert.") || !strings.HasSuffix(p.messageID, "@acme.test>") || ids[p.messageID] {
			t.Errorf("%s: Message-ID %q", w.to, p.messageID)
		}
		ids[p.messageID] = true
	}
	if !strings.Contains(msgs[0].String(), "紧急事件：工单 #123 尚未有人确认（已升级至主管）") {
		t.Errorf("zh-Hans subject not as in the brief: %s", msgs[0].String())
	}

	// The same alert sent again (a retry) has the same Message-IDs.
	if err := e.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	again := srv.messages()[4:]
	for i := range again {
		if parseMail(t, again[i].Data).messageID != parseMail(t, msgs[i].Data).messageID {
			t.Errorf("message %d: Message-ID changed on retry", i)
		}
	}
}

// String decodes a message's subject, for error messages.
func (m smtpMsg) String() string {
	mm, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return err.Error()
	}
	s, _ := (&mime.WordDecoder{CharsetReader: charsetReader}).DecodeHeader(mm.Header.Get("Subject"))
	return s
}

func TestEmailImplicitTLS(t *testing.T) {
	srv, pool := newSMTPServer(t, smtpOpts{implicit: true, user: "u", pass: "p"})
	e := &notify.Email{Host: srv.Host, Port: srv.Port, From: "alerts@acme.test", TLS: notify.TLSImplicit,
		Username: "u", Password: "p", TLSConfig: &tls.Config{RootCAs: pool}}
	a := escalation()
	a.Recipients = a.Recipients[2:3]
	if err := e.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	if m := srv.messages(); len(m) != 1 || !m[0].TLS || m[0].AuthUser != "u" {
		t.Fatalf("messages = %+v", m)
	}
}

func TestEmailLegacyCharsets(t *testing.T) {
	srv, _ := newSMTPServer(t, smtpOpts{})
	e := &notify.Email{Host: srv.Host, Port: srv.Port, From: "alerts@acme.test", FromName: "客服值班", LegacyCharsets: true}
	a := escalation()
	a.Facts.Subject = "司機一直往偏僻的地方開" // a customer who writes in traditional characters
	a.Recipients = a.Recipients[:3]
	// Big5 has no simplified characters: a zh-Hant recipient whose name
	// is in simplified characters gets UTF-8.
	a.Recipients = append(a.Recipients, notify.Recipient{Name: "张三", Email: "zs@acme.test", Locale: "zh-Hant"})
	if err := e.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	msgs := srv.messages()
	for i, want := range []struct{ charset, locale, name string }{
		{"GB18030", "zh-Hans", "张伟（主管）"}, {"Big5", "zh-Hant", "陳美玲"}, {"UTF-8", "en", "Smith, Jo"}, {"UTF-8", "zh-Hant", "张三"},
	} {
		p := parseMail(t, msgs[i].Data)
		title, body := notify.Compose(a.Kind, want.locale, *a.Facts)
		if p.charset != want.charset || p.subject != title || p.body != body || p.to.Name != want.name {
			t.Errorf("message %d: charset %s subject %q to %q body %q", i, p.charset, p.subject, p.to.Name, p.body)
		}
		if want.charset != "UTF-8" && !strings.Contains(p.header.Get("Subject"), "=?"+want.charset+"?B?") {
			t.Errorf("message %d: subject header %q", i, p.header.Get("Subject"))
		}
	}
}

func TestEmailFailures(t *testing.T) {
	a := escalation()
	tests := []struct {
		name      string
		opts      smtpOpts
		email     func(e *notify.Email, pool *tlsPool)
		alert     func(a *notify.Alert)
		delivered int
		permanent bool
		wantErr   []string
		noAUTH    bool
	}{
		{
			name: "one recipient refused, the others delivered",
			opts: smtpOpts{reject: map[string]string{"chen@acme.test": "550 5.1.1 mailbox unavailable"}},
			alert: func(a *notify.Alert) {
				a.Recipients = a.Recipients[:3]
			},
			delivered: 2, permanent: true,
			wantErr: []string{"u-chen <c***@acme.test>", "550", "mailbox unavailable"},
		},
		{
			name:      "temporary refusal is not permanent",
			opts:      smtpOpts{reject: map[string]string{"jo@acme.test": "450 4.2.1 try later"}},
			delivered: 2, permanent: false,
			wantErr: []string{"u-smith", "450"},
		},
		{
			name:      "password never sent without TLS",
			opts:      smtpOpts{user: "u", pass: "p"},
			email:     func(e *notify.Email, _ *tlsPool) { e.Username, e.Password = "u", "p" },
			permanent: true, noAUTH: true,
			wantErr: []string{"not encrypted", "3 message(s) not sent"},
		},
		{
			name:      "STARTTLS required but not offered",
			email:     func(e *notify.Email, _ *tlsPool) { e.TLS = notify.TLSRequireStartTLS },
			permanent: true,
			wantErr:   []string{"does not offer STARTTLS"},
		},
		{
			name:      "untrusted certificate",
			opts:      smtpOpts{startTLS: true},
			email:     func(e *notify.Email, _ *tlsPool) { e.TLSConfig = nil },
			permanent: true,
			wantErr:   []string{"STARTTLS", "certificate"},
		},
		{
			name: "wrong password",
			opts: smtpOpts{startTLS: true, user: "u", pass: "p"},
			email: func(e *notify.Email, p *tlsPool) {
				e.Username, e.Password, e.TLSConfig = "u", "wrong", &tls.Config{RootCAs: p.pool}
			},
			permanent: true,
			wantErr:   []string{"AUTH", "535"},
		},
		{
			name:      "nobody with an email",
			alert:     func(a *notify.Alert) { a.Recipients = a.Recipients[3:] },
			permanent: true,
			wantErr:   []string{"no recipient"},
		},
		{
			name: "bad address fails alone",
			alert: func(a *notify.Alert) {
				a.Recipients = append(a.Recipients[:1], notify.Recipient{UserID: "u-x", Email: "not an address"})
			},
			// The good one is delivered; the bad one is a permanent error.
			delivered: 1, permanent: true,
			wantErr: []string{"u-x", "bad address"},
		},
		{
			name:      "server that never answers",
			opts:      smtpOpts{silent: true},
			email:     func(e *notify.Email, _ *tlsPool) { e.Timeout = 300 * time.Millisecond },
			permanent: false,
			wantErr:   []string{"did not finish within 300ms"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, pool := newSMTPServer(t, tc.opts)
			e := &notify.Email{Host: srv.Host, Port: srv.Port, From: "alerts@acme.test"}
			if tc.email != nil {
				tc.email(e, &tlsPool{pool})
			}
			a := a
			a.Recipients = append([]notify.Recipient(nil), a.Recipients...)
			if tc.alert != nil {
				tc.alert(&a)
			}
			err := e.Notify(ctx, a)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if got := notify.IsPermanent(err); got != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
			}
			if n := len(srv.messages()); n != tc.delivered {
				t.Errorf("delivered %d, want %d", n, tc.delivered)
			}
			if tc.noAUTH && srv.saw("AUTH") {
				t.Errorf("the client sent AUTH over a plain connection")
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "zhang.wei@") {
				t.Errorf("error leaks a secret or a full address: %v", err)
			}
		})
	}
	t.Run("nobody with an email is ErrNoRecipients", func(t *testing.T) {
		a := escalation()
		a.Recipients = a.Recipients[3:]
		err := (&notify.Email{Host: "127.0.0.1", Port: 1, From: "a@b.test"}).Notify(ctx, a)
		if !errors.Is(err, notify.ErrNoRecipients) {
			t.Fatalf("err = %v", err)
		}
	})
}

type tlsPool struct{ pool *x509.CertPool }
