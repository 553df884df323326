package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// webhookCache holds each tenant's active subscriptions, so that recording
// an event costs no query when nobody listens.
type webhookCache struct {
	mu      sync.Mutex
	tenants map[string]hookEntry
}

type hookEntry struct {
	hooks  []kefu.Webhook
	loaded time.Time
}

const hookTTL = 5 * time.Second

func (s *Store) subscriptions(tx *Tx, tenantID string) ([]kefu.Webhook, error) {
	c := &s.hookCache
	c.mu.Lock()
	e, ok := c.tenants[tenantID]
	c.mu.Unlock()
	if ok && time.Since(e.loaded) < hookTTL {
		return e.hooks, nil
	}
	rows, err := tx.query(`SELECT id, url, events, secret FROM webhooks WHERE tenant_id = $1 AND active = 1`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var hooks []kefu.Webhook
	for rows.Next() {
		h := kefu.Webhook{TenantID: tenantID, Active: true}
		var evs string
		if err := rows.Scan(&h.ID, &h.URL, &evs, &h.Secret); err != nil {
			return nil, kefu.Internal(err)
		}
		_ = json.Unmarshal([]byte(evs), &h.Events)
		hooks = append(hooks, h)
	}
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	c.mu.Lock()
	if c.tenants == nil {
		c.tenants = map[string]hookEntry{}
	}
	c.tenants[tenantID] = hookEntry{hooks: hooks, loaded: time.Now()}
	c.mu.Unlock()
	return hooks, nil
}

func (s *Store) forgetHooks(tenantID string) {
	s.hookCache.mu.Lock()
	delete(s.hookCache.tenants, tenantID)
	s.hookCache.mu.Unlock()
}

// WebhookMatches reports whether a subscription pattern list covers an
// event type: exact, "ticket.*" for a family, or "*" for everything.
func WebhookMatches(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == "*" || p == typ || (strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}

// WebhookPayload is the JSON body a subscriber receives.
type WebhookPayload struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	At         time.Time       `json:"at"`
	TenantID   string          `json:"tenant_id"`
	EntityKind string          `json:"entity_kind"`
	EntityID   string          `json:"entity_id"`
	TicketID   string          `json:"ticket_id,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Previous   json.RawMessage `json:"previous,omitempty"`
}

// enqueueDeliveries queues a delivery per matching subscription in the same
// transaction as the event, so an event is never lost nor sent unrecorded.
func (s *Store) enqueueDeliveries(tx *Tx, e kefu.Event) error {
	hooks, err := s.subscriptions(tx, e.TenantID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	var payload []byte
	for _, h := range hooks {
		if !WebhookMatches(h.Events, e.Type) {
			continue
		}
		if payload == nil {
			payload, _ = json.Marshal(WebhookPayload{ID: e.ID, Type: e.Type, At: e.At, TenantID: e.TenantID, EntityKind: e.EntityKind,
				EntityID: e.EntityID, TicketID: e.TicketID, Data: e.After, Previous: e.Before})
		}
		if err := tx.insertLater("webhook_deliveries", "id, tenant_id, webhook_id, event_id, event_type, payload, state, next_at, created_at",
			newID(), e.TenantID, h.ID, e.ID, e.Type, string(payload), "pending", us(e.At), us(e.At)); err != nil {
			return err
		}
		tx.AfterCommit(s.kickDeliveries)
	}
	return nil
}

// OnDeliveriesQueued registers the dispatcher's wake-up.
func (s *Store) OnDeliveriesQueued(f func()) { s.deliveryKick.Store(&f) }

func (s *Store) kickDeliveries() {
	if f := s.deliveryKick.Load(); f != nil {
		(*f)()
	}
}

func validateWebhook(h kefu.Webhook) error {
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return kefu.FieldError("url", "must be an http or https URL")
	}
	if len(h.Events) == 0 {
		return kefu.FieldError("events", "subscribe to at least one event type (e.g. ticket.*)")
	}
	for _, e := range h.Events {
		if e == "" || strings.ContainsAny(e, " \t") {
			return kefu.FieldError("events", "bad event pattern "+e)
		}
	}
	if len(h.Secret) < 16 {
		return kefu.FieldError("secret", "at least 16 characters")
	}
	return nil
}

// CreateWebhook adds a subscription; the caller generates the secret if none was given.
func (s *Store) CreateWebhook(ctx context.Context, tenantID string, a Actor, h kefu.Webhook) (kefu.Webhook, error) {
	if err := validateWebhook(h); err != nil {
		return h, err
	}
	h.Active = true
	err := s.Write(ctx, func(tx *Tx) error {
		h.ID, h.TenantID, h.CreatedAt = newID(), tenantID, s.Now()
		evs, _ := json.Marshal(h.Events)
		if _, err := tx.exec(`INSERT INTO webhooks (id, tenant_id, url, events, secret, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6)`,
			h.ID, tenantID, h.URL, string(evs), h.Secret, us(h.CreatedAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.AfterCommit(func() { s.forgetHooks(tenantID) })
		tx.SetResult(h)
		safe := h
		safe.Secret = ""
		return tx.Event(tenantID, a, "webhook.created", "webhook", h.ID, "", nil, safe)
	})
	return h, err
}

// Webhooks lists subscriptions (secrets left out).
func (s *Store) Webhooks(ctx context.Context, tenantID string) ([]kefu.Webhook, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, url, events, active, created_at FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Webhook{}
	for rows.Next() {
		h := kefu.Webhook{TenantID: tenantID}
		var evs string
		var active int
		var created int64
		if err := rows.Scan(&h.ID, &h.URL, &evs, &active, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		h.Active, h.CreatedAt = active == 1, fromUS(created)
		_ = json.Unmarshal([]byte(evs), &h.Events)
		out = append(out, h)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Webhook reads one subscription (no secret).
func (s *Store) Webhook(ctx context.Context, tenantID, id string) (kefu.Webhook, error) {
	hs, err := s.Webhooks(ctx, tenantID)
	if err != nil {
		return kefu.Webhook{}, err
	}
	for _, h := range hs {
		if h.ID == id {
			return h, nil
		}
	}
	return kefu.Webhook{}, kefu.NotFound("webhook")
}

// DeleteWebhook deactivates a subscription; its delivery log stays.
func (s *Store) DeleteWebhook(ctx context.Context, tenantID string, a Actor, id string) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE webhooks SET active = 0 WHERE tenant_id = $1 AND id = $2 AND active = 1`, tenantID, id)
		if err != nil {
			return kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kefu.NotFound("webhook")
		}
		if _, err := tx.exec(`UPDATE webhook_deliveries SET state = 'cancelled', next_at = NULL WHERE tenant_id = $1 AND webhook_id = $2 AND state = 'pending'`, tenantID, id); err != nil {
			return kefu.Internal(err)
		}
		tx.AfterCommit(func() { s.forgetHooks(tenantID) })
		return tx.Event(tenantID, a, "webhook.deleted", "webhook", id, "", nil, nil)
	})
}

const deliveryCols = `id, tenant_id, webhook_id, event_id, event_type, payload, state, attempts, next_at, last_status, last_error, created_at, delivered_at`

func scanDelivery(sc interface{ Scan(...any) error }) (kefu.Delivery, error) {
	var d kefu.Delivery
	var payload string
	var next, delivered sql.NullInt64
	var created int64
	err := sc.Scan(&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.EventType, &payload, &d.State, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &delivered)
	d.Payload, d.NextAt, d.CreatedAt, d.DeliveredAt = []byte(payload), fromNullUS(next), fromUS(created), fromNullUS(delivered)
	return d, err
}

// Deliveries is a webhook's delivery log, newest first.
func (s *Store) Deliveries(ctx context.Context, tenantID, webhookID string, limit int) ([]kefu.Delivery, error) {
	if _, err := s.Webhook(ctx, tenantID, webhookID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
		tenantID, webhookID, clampLimit(limit))
	return collect(rows, err, scanDelivery)
}

// DueDelivery is a claimed delivery with its target.
type DueDelivery struct {
	kefu.Delivery
	URL    string
	Secret string
	Lease  int64 // the claim; RecordAttempt only counts while it holds
}

// ClaimDeliveries takes up to n due deliveries for this node for lease,
// so that several nodes never send the same attempt at once.
func (s *Store) ClaimDeliveries(ctx context.Context, n int, lease time.Duration) ([]DueDelivery, error) {
	now := s.Now()
	var out []DueDelivery
	err := s.Write(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.query(`SELECT d.id FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
			WHERE d.state = 'pending' AND d.next_at <= $1 AND d.locked_until < $1 AND h.active = 1 ORDER BY d.next_at LIMIT $2`, us(now), n)
		if err != nil {
			return kefu.Internal(err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return kefu.Internal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			lease := us(now.Add(lease))
			res, err := tx.exec(`UPDATE webhook_deliveries SET locked_until = $2 WHERE id = $1 AND state = 'pending' AND locked_until < $3`, id, lease, us(now))
			if err != nil {
				return kefu.Internal(err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue // another node took it
			}
			d, err := scanDelivery(tx.queryRow(`SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1`, id))
			if err != nil {
				return kefu.Internal(err)
			}
			dd := DueDelivery{Delivery: d, Lease: lease}
			if err := tx.queryRow(`SELECT url, secret FROM webhooks WHERE id = $1`, d.WebhookID).Scan(&dd.URL, &dd.Secret); err != nil {
				return kefu.Internal(err)
			}
			out = append(out, dd)
		}
		return nil
	})
	return out, err
}

// RecordAttempt stores the outcome of one delivery attempt: delivered, or
// retried at next, or dead when next is nil. It only counts while the claim
// (lease) still holds and the delivery is pending, so a node whose lease ran
// out, or a delivery cancelled meanwhile, is not overwritten.
func (s *Store) RecordAttempt(ctx context.Context, d DueDelivery, status int, errText string, delivered bool, next *time.Time) error {
	id := d.ID
	now := s.Now()
	if len(errText) > 500 {
		errText = errText[:500]
	}
	return s.Write(ctx, func(tx *Tx) error {
		state := "pending"
		var deliveredAt any
		switch {
		case delivered:
			state, deliveredAt = "delivered", us(now)
		case next == nil:
			state = "dead"
		}
		_, err := tx.exec(`UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, next_at = $3, locked_until = 0, last_status = $4, last_error = $5, delivered_at = $6
			WHERE id = $1 AND state = 'pending' AND locked_until = $7`,
			id, state, nullUS(next), status, errText, deliveredAt, d.Lease)
		return kefu.InternalOrNil(err)
	})
}

// NextDeliveryAt tells when the earliest pending delivery is due, for the
// dispatcher's timer.
func (s *Store) NextDeliveryAt(ctx context.Context) (*time.Time, error) {
	var v sql.NullInt64
	// A leased delivery is not due before its lease ends.
	err := s.db.QueryRowContext(ctx, `SELECT MIN(CASE WHEN locked_until > next_at THEN locked_until ELSE next_at END) FROM webhook_deliveries WHERE state = 'pending'`).Scan(&v)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	return fromNullUS(v), nil
}
