package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kefu-project/kefu/internal/signature"
)

// Headers every delivery carries. Subscribers should deduplicate on
// HeaderDelivery: it stays the same across retries of one delivery.
const (
	HeaderEvent     = "X-Kefu-Event"
	HeaderDelivery  = "X-Kefu-Delivery"
	HeaderTimestamp = signature.HeaderTimestamp
	HeaderSignature = signature.HeaderSignature
)

// Errors returned by Verify, for callers that answer 401 and log why.
var (
	ErrNoSignature  = signature.ErrNoSignature
	ErrBadSignature = signature.ErrBadSignature
	ErrStale        = signature.ErrStale
)

// Sign returns the X-Kefu-Signature value for body sent at ts (unix
// seconds); the scheme is internal/signature's.
func Sign(secret string, ts int64, body []byte) string { return signature.Sign(secret, ts, body) }

// Verify checks a signature header against body and ts (see
// signature.Verify: several values while a secret rotates; a tolerance
// bounds replays).
func Verify(secret, header string, ts int64, body []byte, now time.Time, tolerance time.Duration) error {
	return signature.Verify(secret, header, ts, body, now, tolerance)
}

// VerifyRequest reads r's body (up to maxBody bytes) and verifies its
// signature headers, returning the body on success. It is what a receiver
// written in Go needs; other languages follow the same recipe.
func VerifyRequest(r *http.Request, secret string, maxBody int64, now time.Time, tolerance time.Duration) ([]byte, error) {
	body, err := signature.ReadRequest(r, secret, maxBody, now, tolerance)
	if err != nil && !errors.Is(err, ErrNoSignature) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrStale) {
		err = fmt.Errorf("webhook: %w", err)
	}
	return body, err
}
