package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kefu-project/kefu/internal/signature"
)

// Headers of a webhook alert. The signature scheme is the one of kefu's
// event webhooks, so one verifier serves both.
const (
	HeaderAlertID   = "X-Kefu-Alert-Id"
	HeaderAlertKind = "X-Kefu-Alert-Kind"
	HeaderTimestamp = signature.HeaderTimestamp
	HeaderSignature = signature.HeaderSignature
)

// Errors of Verify, for receivers that answer 401 and log why. The scheme
// is internal/signature's, shared with the event webhooks.
var (
	ErrNoSignature  = signature.ErrNoSignature
	ErrBadSignature = signature.ErrBadSignature
	ErrStale        = signature.ErrStale
)

// Webhook posts each alert as JSON to URL, signed with Secret: the
// X-Kefu-Signature header is "sha256=" and the hex HMAC-SHA256 of
// "<timestamp>.<body>", where timestamp is the X-Kefu-Timestamp header
// (Unix seconds). Any 2xx answer is success.
type Webhook struct {
	URL    string
	Secret string
	// PreviousSecret, while a secret is being rotated, adds a second
	// signature with the old secret so receivers can switch at leisure.
	PreviousSecret string
	// Timeout bounds one request; 10 s when zero.
	Timeout time.Duration
	// Client is the HTTP client; when nil, one that does not follow
	// redirects.
	Client *http.Client
	// Now is the clock of the timestamp; time.Now when nil.
	Now func() time.Time
}

// defaultClient does not follow redirects: a redirected POST would arrive
// as a GET without its body, or at a host nobody configured. A 3xx is
// reported like any other non-2xx answer.
var defaultClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// maxAnswer is how much of an answer is read: enough to quote a short
// error, and to reuse the connection.
const maxAnswer = 64 << 10

func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	if err := a.Validate(); err != nil {
		return invalid("webhook", err)
	}
	target := hostOf(w.URL)
	body, err := json.Marshal(a)
	if err != nil {
		return &DeliveryError{Channel: "webhook", Target: target, Permanent: true, Err: err}
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &DeliveryError{Channel: "webhook", Target: target, Permanent: true, Err: fmt.Errorf("bad URL: %w", err)}
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kefu-notify/1")
	req.Header.Set(HeaderAlertID, headerText(a.ID))
	req.Header.Set(HeaderAlertKind, headerText(a.Kind))
	signature.SignRequest(req.Header, ts, body, w.Secret, w.PreviousSecret)
	status, err := postOnce(ctx, w.Client, req, timeout)
	if err != nil {
		return &DeliveryError{Channel: "webhook", Target: target, Status: status, Permanent: permanentHTTP(status), Err: err}
	}
	return nil
}

// postOnce sends req and reads the answer: the status, and an error unless
// it is 2xx (quoting the start of the answer's body).
func postOnce(ctx context.Context, client *http.Client, req *http.Request, timeout time.Duration) (int, error) {
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, fmt.Errorf("no answer within %s", timeout)
		}
		// The URL is left out: it sometimes carries a token.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			return 0, ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp.StatusCode, nil
	}
	msg := "answered " + resp.Status
	if s := oneLine(string(answer), 200); s != "" {
		msg += ": " + s
	}
	return resp.StatusCode, errors.New(msg)
}

// permanentHTTP: a 4xx answer other than timeout, conflict, too early and
// too many requests will come again for the same request.
func permanentHTTP(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status <= 499
}

// hostOf names a URL in errors without its path or query, which may hold
// tokens.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(bad URL)"
	}
	return u.Scheme + "://" + u.Host
}

// Sign returns the X-Kefu-Signature value for body sent at ts (Unix
// seconds): "sha256=" and the hex HMAC-SHA256 of "<ts>.<body>" keyed with
// secret. The timestamp is inside the MAC, so a captured request cannot be
// replayed later under a fresh timestamp.
func Sign(secret string, ts int64, body []byte) string { return signature.Sign(secret, ts, body) }

// Verify checks a X-Kefu-Signature header against body and its timestamp
// (several values while a secret rotates; one match is enough). When
// tolerance is positive, ts must also lie within tolerance of now;
// receivers should also drop alert IDs they have already seen.
func Verify(secret, header string, ts int64, body []byte, now time.Time, tolerance time.Duration) error {
	return signature.Verify(secret, header, ts, body, now, tolerance)
}

// VerifyRequest reads an alert request's body (at most maxBody bytes),
// verifies its signature and decodes the alert: what a receiver written in
// Go needs.
func VerifyRequest(r *http.Request, secret string, maxBody int64, now time.Time, tolerance time.Duration) (Alert, error) {
	var a Alert
	body, err := signature.ReadRequest(r, secret, maxBody, now, tolerance)
	if err != nil {
		if errors.Is(err, ErrNoSignature) || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrStale) {
			return a, err
		}
		return a, fmt.Errorf("notify: %w", err)
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("notify: decode alert: %w", err)
	}
	return a, nil
}
