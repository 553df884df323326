package notify_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
)

const secret = "kefu-alert-secret-0123456789"

// hookRequest is one request as a receiver saw it.
type hookRequest struct {
	header http.Header
	body   []byte
	alert  notify.Alert
	err    error // from VerifyRequest
}

// receiver verifies every request as an integrator would, then answers
// with status.
func receiver(t *testing.T, secret string, now time.Time, status int, answer string) (*httptest.Server, func() []hookRequest) {
	var mu sync.Mutex
	var got []hookRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		a, err := notify.VerifyRequest(r, secret, 1<<20, now, 5*time.Minute)
		mu.Lock()
		got = append(got, hookRequest{header: r.Header.Clone(), body: body, alert: a, err: err})
		mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []hookRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]hookRequest(nil), got...)
	}
}

func TestWebhookSignedDelivery(t *testing.T) {
	srv, requests := receiver(t, secret, t0, http.StatusAccepted, "")
	w := &notify.Webhook{URL: srv.URL + "/oncall?token=abc", Secret: secret, Now: func() time.Time { return t0 }}
	a := escalation()
	if err := w.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	reqs := requests()
	if len(reqs) != 1 || reqs[0].err != nil {
		t.Fatalf("requests = %+v", reqs)
	}
	r := reqs[0]
	h := r.header
	if h.Get("Content-Type") != "application/json" || h.Get(notify.HeaderAlertID) != "al-0001" ||
		h.Get(notify.HeaderAlertKind) != notify.KindEmergencyEscalated || h.Get(notify.HeaderTimestamp) != strconv.FormatInt(t0.Unix(), 10) {
		t.Fatalf("headers = %v", h)
	}
	if want := notify.Sign(secret, t0.Unix(), r.body); h.Get(notify.HeaderSignature) != want {
		t.Fatalf("signature %q, want %q", h.Get(notify.HeaderSignature), want)
	}
	got := r.alert
	if got.ID != a.ID || got.Title != a.Title || got.Body != a.Body || got.TicketNumber != 123 || got.Rung != "supervisor" ||
		!got.At.Equal(a.At) || len(got.Recipients) != 4 || got.Recipients[1].Name != "陳美玲" || got.Facts == nil || got.Facts.EmergencyKind != "danger_situation" {
		t.Fatalf("decoded alert = %+v", got)
	}
}

func TestWebhookSignatureRejections(t *testing.T) {
	body := []byte(`{"id":"al-1"}`)
	ts := t0.Unix()
	good := notify.Sign(secret, ts, body)
	tests := []struct {
		name   string
		secret string
		header string
		ts     int64
		body   []byte
		now    time.Time
		want   error
	}{
		{"good", secret, good, ts, body, t0, nil},
		{"rotation: one of two matches", secret, notify.Sign("old-secret-0123456789", ts, body) + ", " + good, ts, body, t0, nil},
		{"other secret", "another-secret-0123456789", good, ts, body, t0, notify.ErrBadSignature},
		{"body changed", secret, good, ts, []byte(`{"id":"al-2"}`), t0, notify.ErrBadSignature},
		{"timestamp changed (replay under a fresh time)", secret, good, ts + 60, body, t0.Add(time.Minute), notify.ErrBadSignature},
		{"old request replayed", secret, good, ts, body, t0.Add(6 * time.Minute), notify.ErrStale},
		{"no signature", secret, "", ts, body, t0, notify.ErrNoSignature},
		{"other scheme", secret, "sha1=abc", ts, body, t0, notify.ErrNoSignature},
		{"not hex", secret, "sha256=zz", ts, body, t0, notify.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.Verify(tc.secret, tc.header, tc.ts, tc.body, tc.now, 5*time.Minute)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestWebhookRotationSignsWithBothSecrets(t *testing.T) {
	// A receiver still on the old secret accepts during the rotation.
	srv, requests := receiver(t, "previous-secret-0123456789", t0, http.StatusNoContent, "")
	w := &notify.Webhook{URL: srv.URL, Secret: secret, PreviousSecret: "previous-secret-0123456789", Now: func() time.Time { return t0 }}
	if err := w.Notify(ctx, escalation()); err != nil {
		t.Fatal(err)
	}
	if r := requests(); len(r) != 1 || r[0].err != nil || strings.Count(r[0].header.Get(notify.HeaderSignature), "sha256=") != 2 {
		t.Fatalf("requests = %+v", r)
	}
}

func TestWebhookFailures(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		answer    string
		secret    string // the receiver's
		permanent bool
		want      []string
	}{
		{"server error", http.StatusBadGateway, "upstream down", secret, false, []string{"502 Bad Gateway", "upstream down"}},
		{"rejected", http.StatusUnprocessableEntity, `{"error":"unknown rung"}`, secret, true, []string{"422", "unknown rung"}},
		{"rate limited", http.StatusTooManyRequests, "", secret, false, []string{"429"}},
		{"wrong secret", http.StatusOK, "", "receiver-has-another-secret", true, []string{"401", "signature does not match"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := receiver(t, tc.secret, t0, tc.status, tc.answer)
			w := &notify.Webhook{URL: srv.URL + "/hook?token=hush", Secret: secret, Now: func() time.Time { return t0 }}
			err := w.Notify(ctx, escalation())
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "hush") {
				t.Errorf("error leaks the URL's token: %v", err)
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v", !tc.permanent)
			}
			var de *notify.DeliveryError
			if !errors.As(err, &de) || de.Channel != "webhook" || de.Status == 0 {
				t.Errorf("error = %#v", err)
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		err := (&notify.Webhook{URL: srv.URL, Secret: secret, Timeout: 100 * time.Millisecond}).Notify(ctx, escalation())
		if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") || notify.IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("redirects are not followed", func(t *testing.T) {
		other, requests := receiver(t, secret, t0, http.StatusOK, "")
		srv := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
		defer srv.Close()
		err := (&notify.Webhook{URL: srv.URL, Secret: secret}).Notify(ctx, escalation())
		if err == nil || !strings.Contains(err.Error(), "307") || len(requests()) != 0 {
			t.Fatalf("err = %v, the other host got %d requests", err, len(requests()))
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := (&notify.Webhook{URL: url, Secret: secret}).Notify(ctx, escalation())
		if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("invalid alert", func(t *testing.T) {
		a := escalation()
		a.ID = ""
		err := (&notify.Webhook{URL: "http://127.0.0.1:1", Secret: secret}).Notify(ctx, a)
		if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "without id") {
			t.Fatalf("err = %v", err)
		}
	})
}
