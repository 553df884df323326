package bench

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// CheckBaseURL parses raw and refuses anything that is not an http(s) URL
// on a loopback host: 127.0.0.0/8, ::1 (also as an IPv4-mapped address) or
// the name "localhost". The bench tool only ever loads a server on the same
// machine; the CLI may call this to fail fast before doing anything else.
func CheckBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("bench: base URL is empty (want e.g. http://127.0.0.1:8080)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bench: base URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bench: base URL %q: scheme must be http or https", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("bench: base URL %q: must not carry credentials (use the token option)", raw)
	}
	host := u.Hostname()
	if !isLoopbackHost(host) {
		return nil, fmt.Errorf("bench: refusing to load %q: host %q is not loopback (127.0.0.0/8, ::1, localhost); kefu bench only runs against a server on this machine", raw, host)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // zone, e.g. ::1%lo
		h = h[:i]
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// newClient builds the default client: keep-alive connections sized for the
// concurrency, no proxy, no redirects, and a dialer that refuses to connect
// to any non-loopback address even if "localhost" resolves elsewhere.
func newClient(concurrency int) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           loopbackDialer().DialContext,
		MaxIdleConns:          2 * concurrency,
		MaxIdleConnsPerHost:   2 * concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, CheckRedirect: noRedirect}, tr
}

// loopbackDialer refuses to connect to any non-loopback address, even if
// "localhost" resolves elsewhere.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if !isLoopbackHost(host) {
				return fmt.Errorf("bench: refusing to connect to non-loopback address %s", address)
			}
			return nil
		},
	}
}

// noRedirect keeps a redirect from taking the load anywhere else: the 3xx
// response itself is returned and counted as a non-2xx error.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// guardClient returns a copy of c that never follows redirects.
func guardClient(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = noRedirect
	return &cc
}
