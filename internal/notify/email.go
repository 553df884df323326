package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// TLS modes of an SMTP connection.
const (
	// TLSStartTLS upgrades with STARTTLS when the server offers it (the
	// default). Without it the session stays plain, and a password is
	// then never sent.
	TLSStartTLS = "starttls"
	// TLSRequireStartTLS fails when the server does not offer STARTTLS.
	TLSRequireStartTLS = "require_starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit = "implicit"
	// TLSNone never uses TLS: only for a relay on a trusted network or a
	// development mail catcher. Credentials are refused in this mode.
	TLSNone = "none"
)

// DefaultPort is the port for a TLS mode when none is given.
func DefaultPort(tlsMode string) int {
	switch tlsMode {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

// Email sends each recipient that has an email address one plain-text
// message, over one SMTP session per alert. Messages are UTF-8 unless
// LegacyCharsets is set; Subject and display names are RFC 2047 encoded;
// the body is base64 (or quoted-printable when it is ASCII).
type Email struct {
	Host string
	Port int // 0 means DefaultPort(TLS)
	// From is the sender's address; FromName its display name
	// ("kefu 值班通知").
	From     string
	FromName string
	// Username and Password, when set, authenticate with AUTH PLAIN, which
	// is only ever sent over TLS.
	Username string
	Password string
	TLS      string // TLSStartTLS when empty
	// LegacyCharsets writes to zh-Hans recipients in GB18030 and to
	// zh-Hant recipients in Big5 (when the text fits Big5), for old mail
	// clients; everything else stays UTF-8.
	LegacyCharsets bool
	// HeloName is the name given in EHLO; the host's name when empty.
	HeloName string
	// Timeout bounds the whole SMTP session; 30 s when zero.
	Timeout time.Duration
	// TLSConfig is cloned for TLS connections (to add root CAs); its
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	// Now is the clock for the Date header; time.Now when nil.
	Now func() time.Time
}

// message is one email ready for the envelope.
type message struct {
	to   string
	who  string // for errors
	data []byte
}

func (e *Email) Notify(ctx context.Context, a Alert) error {
	if err := a.Validate(); err != nil {
		return invalid("email", err)
	}
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return &DeliveryError{Channel: "email", Permanent: true, Err: fmt.Errorf("bad sender address %q: %w", e.From, err)}
	}
	var msgs []message
	var errs []error
	for _, r := range a.Recipients {
		raw := strings.TrimSpace(r.Email)
		if raw == "" {
			continue
		}
		to, err := mail.ParseAddress(raw)
		if err == nil && !isASCII(to.Address) {
			err = errors.New("address is not ASCII (SMTPUTF8 is not supported)")
		}
		if err != nil {
			errs = append(errs, &DeliveryError{Channel: "email", Target: who(r, maskEmail(raw)), Permanent: true, Err: fmt.Errorf("bad address: %w", err)})
			continue
		}
		data, err := e.compose(a, r, from.Address, to.Address)
		if err != nil {
			errs = append(errs, &DeliveryError{Channel: "email", Target: who(r, maskEmail(to.Address)), Permanent: true, Err: err})
			continue
		}
		msgs = append(msgs, message{to: to.Address, who: who(r, maskEmail(to.Address)), data: data})
	}
	if len(msgs) == 0 {
		if len(errs) == 0 {
			return nobody("email")
		}
		return errors.Join(errs...)
	}
	errs = append(errs, e.send(ctx, from.Address, msgs)...)
	return errors.Join(errs...)
}

func (e *Email) addr() string {
	port := e.Port
	if port == 0 {
		port = DefaultPort(e.TLS)
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

// send delivers msgs over one session. A failure to open the session
// fails every message; a message the server refuses fails alone.
func (e *Email) send(ctx context.Context, from string, msgs []message) []error {
	server := e.addr()
	fail := func(err error) []error {
		return []error{&DeliveryError{Channel: "email", Target: server, Status: replyCode(err), Permanent: permanentSMTP(err),
			Err: fmt.Errorf("%d message(s) not sent: %w", len(msgs), err)}}
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl).Round(time.Millisecond) // the caller's is sooner: report that
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	c, err := e.open(ctx)
	if err != nil {
		return fail(sessionErr(ctx, err, timeout))
	}
	defer c.Close()

	var errs []error
	for i, m := range msgs {
		err := transaction(c, from, m)
		if err == nil {
			continue
		}
		err = sessionErr(ctx, err, timeout)
		errs = append(errs, &DeliveryError{Channel: "email", Target: m.who, Status: replyCode(err), Permanent: permanentSMTP(err), Err: err})
		if _, isReply := errors.AsType[*textproto.Error](err); !isReply || c.Reset() != nil {
			// The session is gone: the rest were not tried.
			for _, rest := range msgs[i+1:] {
				errs = append(errs, &DeliveryError{Channel: "email", Target: rest.who, Err: fmt.Errorf("not sent, the session failed: %w", err)})
			}
			return errs
		}
	}
	_ = c.Quit() // the messages are accepted; a failed QUIT changes nothing
	return errs
}

func transaction(c *smtp.Client, from string, m message) error {
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.to); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(m.data); err != nil {
		w.Close()
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("message refused: %w", err)
	}
	return nil
}

// open dials, greets, upgrades to TLS and authenticates.
func (e *Email) open(ctx context.Context) (*smtp.Client, error) {
	mode := e.TLS
	switch mode {
	case "":
		mode = TLSStartTLS
	case TLSStartTLS, TLSRequireStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, permanentErr(fmt.Sprintf("unknown TLS mode %q", mode))
	}
	tlsConf := e.tlsConfig()
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if mode == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConf}).DialContext(ctx, "tcp", e.addr())
	} else {
		conn, err = d.DialContext(ctx, "tcp", e.addr())
	}
	if err != nil {
		return nil, err
	}
	// Every read and write of the session is bounded by ctx: its deadline,
	// and its cancellation, which unblocks whatever is waiting.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	c, err := smtp.NewClient(conn, e.Host)
	if err != nil {
		stop()
		conn.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			stop()
			c.Close()
		}
	}()
	if err := c.Hello(e.helo()); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	secure := mode == TLSImplicit
	if mode == TLSStartTLS || mode == TLSRequireStartTLS {
		if has, _ := c.Extension("STARTTLS"); has {
			if err := c.StartTLS(tlsConf); err != nil {
				return nil, fmt.Errorf("STARTTLS: %w", err)
			}
			secure = true
		} else if mode == TLSRequireStartTLS {
			return nil, permanentErr("the server does not offer STARTTLS, which this channel requires")
		}
	}
	if e.Username != "" {
		if !secure {
			return nil, permanentErr("not sending the password: the connection is not encrypted (the server did not offer STARTTLS)")
		}
		has, mechs := c.Extension("AUTH")
		if !has || !hasWord(mechs, "PLAIN") {
			return nil, permanentErr(fmt.Sprintf("the server does not offer AUTH PLAIN (offers %q)", mechs))
		}
		if err := c.Auth(plainAuth{user: e.Username, pass: e.Password}); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	ok = true
	return c, nil
}

func (e *Email) tlsConfig() *tls.Config {
	var c *tls.Config
	if e.TLSConfig != nil {
		c = e.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = e.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

func (e *Email) helo() string {
	if e.HeloName != "" {
		return e.HeloName
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// plainAuth is AUTH PLAIN (RFC 4616) that refuses to run on a connection
// that is not TLS: unlike smtp.PlainAuth it makes no exception for
// localhost.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("refusing AUTH PLAIN without TLS")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge during AUTH PLAIN")
	}
	return nil, nil
}

// permanentError is a session problem that retrying will not fix.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func permanentErr(msg string) error { return &permanentError{msg} }

// permanentSMTP: a 5xx reply, a TLS certificate the server will keep
// presenting, or a configuration problem. Everything else (4xx, network,
// timeouts) may pass.
func permanentSMTP(err error) bool {
	if code := replyCode(err); code != 0 {
		return code >= 500
	}
	if _, ok := errors.AsType[*permanentError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	return false
}

func replyCode(err error) int {
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return te.Code
	}
	return 0
}

// sessionErr says "did not finish within" for the session's deadline
// rather than an i/o timeout on some address: the only deadlines set on
// the connection are the session's and the one cancellation sets.
func sessionErr(ctx context.Context, err error, timeout time.Duration) error {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("SMTP session canceled: %w", err)
		}
		return fmt.Errorf("SMTP session did not finish within %s: %w", timeout, err)
	}
	return err
}

func hasWord(list, w string) bool {
	for f := range strings.FieldsSeq(list) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// compose builds the message for one recipient.
func (e *Email) compose(a Alert, r Recipient, from, to string) ([]byte, error) {
	title, body := a.TextFor(r)
	if a.Link != "" && !strings.Contains(body, a.Link) {
		body = strings.TrimRight(body, "\n") + "\n\n" + a.Link
	}
	cs := utf8Charset
	if e.LegacyCharsets {
		if l := legacyCharset(r.Locale); l.fits(title, body, r.Name, e.FromName) {
			cs = l
		}
	}
	cte, encBody, err := encodeBody(body, cs)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	var b bytes.Buffer
	h := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	h("Date", now().Format(time.RFC1123Z))
	h("From", formatAddress("From", e.FromName, from, cs))
	h("To", formatAddress("To", r.Name, to, cs))
	h("Subject", encodeHeader("Subject", title, cs))
	h("Message-ID", messageID(a.ID, to, from))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset="+cs.name)
	h("Content-Transfer-Encoding", cte)
	if r.Locale != "" && a.Facts != nil {
		h("Content-Language", NormalizeLocale(r.Locale))
	}
	// An alert is automatic: no vacation replies to it (RFC 3834, and
	// Exchange's own header).
	h("Auto-Submitted", "auto-generated")
	h("X-Auto-Response-Suppress", "All")
	if a.Emergency() {
		h("Importance", "high")
		h("X-Priority", "1")
	}
	h("X-Kefu-Alert-Id", encodeHeader("X-Kefu-Alert-Id", a.ID, utf8Charset))
	h("X-Kefu-Alert-Kind", encodeHeader("X-Kefu-Alert-Kind", a.Kind, utf8Charset))
	b.WriteString("\r\n")
	b.Write(encBody)
	return b.Bytes(), nil
}

// messageID is stable for an alert and a recipient, so a message sent
// again after a failed attempt can be recognized as the same one.
func messageID(alertID, to, from string) string {
	sum := sha256.Sum256([]byte(alertID + "\x00" + to))
	domain := "kefu.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	return "<alert." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}
