// Package signature is the one signing scheme of everything kefu sends out
// (event webhooks and alert webhooks), so one verifier serves both:
// "sha256=" and the hex HMAC-SHA256 of "<unix ts>.<body>". The timestamp is
// inside the MAC, so a captured request cannot be replayed later under a
// fresh timestamp.
package signature

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

// Prefix names the scheme in the header value.
const Prefix = "sha256="

// The headers a signed request carries: the unix time it was signed at,
// and the signature(s) of "<time>.<body>".
const (
	HeaderTimestamp = "X-Kefu-Timestamp"
	HeaderSignature = "X-Kefu-Signature"
)

// Errors of Verify, for receivers that answer 401 and log why.
var (
	ErrNoSignature  = errors.New("no sha256 signature")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("timestamp outside tolerance")
)

// Sign returns the signature header value for body sent at ts (unix seconds).
func Sign(secret string, ts int64, body []byte) string {
	return Prefix + hex.EncodeToString(mac(secret, ts, body))
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
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), Prefix)
		if !ok {
			continue
		}
		found = true
		if got, err := hex.DecodeString(hexSig); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	if !found {
		return ErrNoSignature
	}
	return ErrBadSignature
}

// SignRequest sets a request's timestamp and signature headers for body
// sent at ts, signed with each secret given (the current one, and the
// previous one while it is being rotated; empty secrets are skipped).
func SignRequest(h http.Header, ts int64, body []byte, secrets ...string) {
	var sigs []string
	for _, s := range secrets {
		if s != "" {
			sigs = append(sigs, Sign(s, ts, body))
		}
	}
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, strings.Join(sigs, ","))
}

// ReadRequest reads r's body (at most maxBody bytes) and verifies its
// signature headers, returning the body on success: what a receiver
// written in Go needs; other languages follow the same recipe.
func ReadRequest(r *http.Request, secret string, maxBody int64, now time.Time, tolerance time.Duration) ([]byte, error) {
	ts, err := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("bad %s header: %w", HeaderTimestamp, err)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("body larger than %d bytes", maxBody)
	}
	if err := Verify(secret, r.Header.Get(HeaderSignature), ts, body, now, tolerance); err != nil {
		return nil, err
	}
	return body, nil
}
