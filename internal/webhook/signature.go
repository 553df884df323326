package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers every delivery carries. Subscribers should deduplicate on
// HeaderDelivery: it stays the same across retries of one delivery.
const (
	HeaderEvent     = "X-Kefu-Event"
	HeaderDelivery  = "X-Kefu-Delivery"
	HeaderTimestamp = "X-Kefu-Timestamp"
	HeaderSignature = "X-Kefu-Signature"
)

const sigPrefix = "sha256="

// Errors returned by Verify, for callers that answer 401 and log why.
var (
	ErrNoSignature  = errors.New("webhook: no sha256 signature")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside tolerance")
)

// Sign returns the X-Kefu-Signature value for body sent at ts (unix
// seconds): "sha256=" and the hex HMAC-SHA256 of "<ts>.<body>". The
// timestamp is inside the MAC so that a captured request cannot be replayed
// later with a fresh timestamp.
func Sign(secret string, ts int64, body []byte) string {
	return sigPrefix + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	var buf [20]byte
	m.Write(strconv.AppendInt(buf[:0], ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signature header against body and ts. The header may list
// several comma-separated "sha256=…" values, so a sender can sign with an old
// and a new secret while it is being rotated; one match is enough. When
// tolerance is positive, ts must also lie within tolerance of now, which
// bounds how long a captured request can be replayed.
func Verify(secret, header string, ts int64, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance > 0 {
		if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
			return fmt.Errorf("%w: %s away", ErrStale, d.Round(time.Second))
		}
	}
	want := mac(secret, ts, body)
	found := false
	for part := range strings.SplitSeq(header, ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), sigPrefix)
		if !ok {
			continue
		}
		found = true
		got, err := hex.DecodeString(hexSig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	if !found {
		return ErrNoSignature
	}
	return ErrBadSignature
}

// VerifyRequest reads r's body (up to maxBody bytes) and verifies its
// signature headers, returning the body on success. It is what a receiver
// written in Go needs; other languages follow the same recipe.
func VerifyRequest(r *http.Request, secret string, maxBody int64, now time.Time, tolerance time.Duration) ([]byte, error) {
	ts, err := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("webhook: bad %s header: %w", HeaderTimestamp, err)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: read body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("webhook: body larger than %d bytes", maxBody)
	}
	if err := Verify(secret, r.Header.Get(HeaderSignature), ts, body, now, tolerance); err != nil {
		return nil, err
	}
	return body, nil
}
