package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/kefu-project/kefu/internal/signature"
	"github.com/kefu-project/kefu/internal/store"
)

// maxResponseRead is how much of a response body is read (and discarded):
// enough for the connection to be reused after a typical short answer,
// little enough that a subscriber streaming garbage cannot hold a worker.
const maxResponseRead = 64 << 10

// deliver makes one attempt and records its outcome. A failure to record is
// only logged: the lease then expires and the attempt is made again, which
// is the at-least-once promise.
func (d *Dispatcher) deliver(ctx context.Context, due store.DueDelivery) {
	attempt := due.Attempts + 1
	status, err := d.post(ctx, due)
	log := d.log.With("delivery", due.ID, "webhook", due.WebhookID, "event", due.EventType, "attempt", attempt)

	var next *time.Time
	errText := ""
	if err != nil {
		errText = err.Error()
		if attempt < d.maxAttempts {
			t := d.clock.Now().Add(backoff(attempt, rand.Float64()))
			next = &t
			log.Info("webhook: attempt failed, will retry", "status", status, "err", errText, "next", t)
		} else {
			log.Warn("webhook: delivery dead after last attempt", "status", status, "err", errText)
		}
	}
	if rerr := d.store.RecordAttempt(ctx, due, status, errText, err == nil, next); rerr != nil {
		log.Error("webhook: record attempt", "err", rerr)
	}
}

// post sends the signed payload once. It returns the HTTP status (0 when no
// response came) and an error unless the status was 2xx.
func (d *Dispatcher) post(ctx context.Context, due store.DueDelivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, due.URL, bytes.NewReader(due.Payload))
	if err != nil {
		return 0, fmt.Errorf("bad webhook URL: %w", err)
	}
	ts := d.clock.Now().Unix()
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "kefu-webhook/1")
	h.Set(HeaderEvent, due.EventType)
	h.Set(HeaderDelivery, due.ID)
	signature.SignRequest(h, ts, due.Payload, due.Secret)

	resp, err := d.client.Do(req)
	if err != nil {
		return 0, d.describe(ctx, err)
	}
	// The body only matters for connection reuse; the status line is the
	// answer, so an error while draining does not change the outcome.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("subscriber answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// describe turns a transport error into text for the delivery log. The URL
// is left out: the log already belongs to the webhook, and URLs sometimes
// carry tokens.
func (d *Dispatcher) describe(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no response within %s", d.timeout)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
