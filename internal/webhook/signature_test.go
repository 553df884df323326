package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/webhook"
)

const secret = "0123456789abcdef-secret"

func TestSignKnownVector(t *testing.T) {
	// Computed independently: python3 hmac.new(secret, b'1700000000.{"id":"e1"}', sha256).
	got := webhook.Sign(secret, 1700000000, []byte(`{"id":"e1"}`))
	want := "sha256=5c2af32d825ed7378d59d36d2b5707e5e60156c46c23dc19c6b40ab0a0993281"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	ts := now.Unix()
	body := []byte(`{"id":"e1","type":"ticket.created"}`)
	sig := webhook.Sign(secret, ts, body)
	tol := 5 * time.Minute

	cases := []struct {
		name   string
		secret string
		header string
		ts     int64
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, sig, ts, body, now, nil},
		{"valid among several (secret rotation)", secret, webhook.Sign("old-secret-0123456789", ts, body) + ", " + sig, ts, body, now, nil},
		{"clock skew inside tolerance", secret, sig, ts, body, now.Add(-4 * time.Minute), nil},
		{"tampered body", secret, sig, ts, []byte(`{"id":"e2","type":"ticket.created"}`), now, webhook.ErrBadSignature},
		{"wrong secret", "another-secret-0123456", sig, ts, body, now, webhook.ErrBadSignature},
		{"timestamp swapped", secret, sig, ts + 1, body, now, webhook.ErrBadSignature},
		{"replayed later", secret, sig, ts, body, now.Add(6 * time.Minute), webhook.ErrStale},
		{"from the future", secret, sig, ts, body, now.Add(-6 * time.Minute), webhook.ErrStale},
		{"no header", secret, "", ts, body, now, webhook.ErrNoSignature},
		{"other scheme only", secret, "sha1=abcdef", ts, body, now, webhook.ErrNoSignature},
		{"not hex", secret, "sha256=zz", ts, body, now, webhook.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := webhook.Verify(c.secret, c.header, c.ts, c.body, c.now, tol)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	// Zero tolerance turns the timestamp check off, for receivers that
	// check freshness themselves.
	if err := webhook.Verify(secret, sig, ts, body, now.Add(24*time.Hour), 0); err != nil {
		t.Fatalf("zero tolerance: %v", err)
	}
}

func TestVerifyRequest(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := `{"id":"e1"}`
	req := func(ts, sig, b string) *http.Request {
		r := httptest.NewRequest("POST", "/hook", strings.NewReader(b))
		r.Header.Set(webhook.HeaderTimestamp, ts)
		r.Header.Set(webhook.HeaderSignature, sig)
		return r
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	good := webhook.Sign(secret, now.Unix(), []byte(body))

	got, err := webhook.VerifyRequest(req(ts, good, body), secret, 1<<20, now, time.Minute)
	if err != nil || string(got) != body {
		t.Fatalf("VerifyRequest = %q, %v", got, err)
	}
	if _, err := webhook.VerifyRequest(req("", good, body), secret, 1<<20, now, time.Minute); err == nil {
		t.Fatal("missing timestamp accepted")
	}
	if _, err := webhook.VerifyRequest(req(ts, good, body), secret, 4, now, time.Minute); err == nil {
		t.Fatal("oversized body accepted")
	}
	if _, err := webhook.VerifyRequest(req(ts, good, body+" "), secret, 1<<20, now, time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("tampered body: %v", err)
	}
}
