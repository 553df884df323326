package notify_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a small SMTP server (RFC 5321) in the test's process:
// EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type smtpServer struct {
	t    *testing.T
	ln   net.Listener
	Host string
	Port int

	tlsConf  *tls.Config // offers STARTTLS when set (and not implicit)
	implicit bool        // TLS from the first byte
	user     string      // AUTH PLAIN is offered and checked when set
	pass     string
	reject   map[string]string // RCPT address → reply line ("550 5.1.1 no such user")
	silent   bool              // accept, then never say a word

	mu       sync.Mutex
	msgs     []smtpMsg
	commands []string
}

// smtpMsg is one accepted message.
type smtpMsg struct {
	Helo     string
	From     string
	To       []string
	Data     []byte
	TLS      bool
	AuthUser string
}

type smtpOpts struct {
	startTLS bool
	implicit bool
	user     string
	pass     string
	reject   map[string]string
	silent   bool
}

// testCert is a certificate for 127.0.0.1, and a pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.StartTLS()
	defer srv.Close()
	return srv.TLS.Certificates[0], srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

func newSMTPServer(t *testing.T, o smtpOpts) (*smtpServer, *x509.CertPool) {
	t.Helper()
	s := &smtpServer{t: t, user: o.user, pass: o.pass, reject: o.reject, implicit: o.implicit, silent: o.silent}
	var pool *x509.CertPool
	if o.startTLS || o.implicit {
		cert, p := testCert(t)
		pool = p
		s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	s.ln = ln
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s, pool
}

func (s *smtpServer) messages() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

func (s *smtpServer) saw(cmd string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.commands {
		if strings.HasPrefix(c, cmd) {
			return true
		}
	}
	return false
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if s.silent {
		buf := make([]byte, 1)
		c.Read(buf) // until the client gives up
		return
	}
	_, isTLS := c.(*tls.Conn)
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) { tp.PrintfLine(format, args...) }
	reply("220 smtp.test ESMTP ready")
	var helo, authUser string
	var cur *smtpMsg
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.commands = append(s.commands, line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			helo = arg
			lines := []string{"smtp.test greets " + arg, "8BITMIME", "SIZE 10240000"}
			if s.tlsConf != nil && !isTLS {
				lines = append(lines, "STARTTLS")
			}
			if s.user != "" {
				lines = append(lines, "AUTH LOGIN PLAIN")
			}
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				reply("250%s%s", sep, l)
			}
		case "STARTTLS":
			if s.tlsConf == nil || isTLS {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, isTLS = tc, true
			tp = textproto.NewConn(c)
			helo, authUser, cur = "", "", nil
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") || s.user == "" {
				reply("504 5.5.4 mechanism not supported")
				continue
			}
			if resp == "" {
				reply("334 ")
				if resp, err = tp.ReadLine(); err != nil {
					return
				}
			}
			raw, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				reply("535 5.7.8 authentication failed")
				continue
			}
			authUser = parts[1]
			reply("235 2.7.0 authenticated")
		case "MAIL":
			if helo == "" {
				reply("503 5.5.1 EHLO first")
				continue
			}
			if s.user != "" && authUser == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			from, ok := path(arg, "FROM:")
			if !ok {
				reply("501 5.5.4 syntax: MAIL FROM:<address>")
				continue
			}
			cur = &smtpMsg{Helo: helo, From: from, TLS: isTLS, AuthUser: authUser}
			reply("250 2.1.0 ok")
		case "RCPT":
			to, ok := path(arg, "TO:")
			switch {
			case cur == nil:
				reply("503 5.5.1 MAIL first")
			case !ok:
				reply("501 5.5.4 syntax: RCPT TO:<address>")
			case s.reject[to] != "":
				reply("%s", s.reject[to])
			default:
				cur.To = append(cur.To, to)
				reply("250 2.1.5 ok")
			}
		case "DATA":
			if cur == nil || len(cur.To) == 0 {
				reply("503 5.5.1 RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			// ReadDotBytes turns CRLF into LF; the message is kept as
			// it was on the wire.
			cur.Data = []byte(strings.ReplaceAll(string(data), "\n", "\r\n"))
			s.mu.Lock()
			s.msgs = append(s.msgs, *cur)
			s.mu.Unlock()
			cur = nil
			reply("250 2.0.0 queued")
		case "RSET":
			cur = nil
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("500 5.5.2 unknown command")
		}
	}
}

// path reads "FROM:<a@b> PARAMS" after its keyword.
func path(arg, keyword string) (string, bool) {
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(keyword):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
