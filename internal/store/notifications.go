package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/relay"
)

// The notification outbox: alerts are written with what caused them and
// sent afterwards, retried with backoff until delivered or given up.

// OnNotificationsQueued registers f to run after a commit that queued alerts.
func (s *Store) OnNotificationsQueued(f func()) { s.notifyKick.Store(&f) }

func (s *Store) kickNotifier() {
	if f := s.notifyKick.Load(); f != nil {
		(*f)()
	}
}

// Notification is one alert in the outbox with its delivery state.
type Notification struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"-"`
	Kind      string     `json:"kind"`
	TicketID  string     `json:"ticket_id,omitempty"`
	Alert     Alert      `json:"alert"`
	State     string     `json:"state"` // pending, sent, dead, unrouted
	Attempts  int        `json:"attempts"`
	NextAt    *time.Time `json:"next_attempt_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

const notificationCols = `id, tenant_id, kind, ticket_id, alert, state, attempts, next_at, last_error, created_at, sent_at`

func scanNotification(sc interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var alert string
	var created int64
	var next, sent sql.NullInt64
	if err := sc.Scan(&n.ID, &n.TenantID, &n.Kind, &n.TicketID, &alert, &n.State, &n.Attempts, &next, &n.LastError, &created, &sent); err != nil {
		return n, err
	}
	n.NextAt, n.SentAt, n.CreatedAt = fromNullUS(next), fromNullUS(sent), fromUS(created)
	return n, json.Unmarshal([]byte(alert), &n.Alert)
}

// scanNotifications reads a result set of notifications. The outbox keeps
// whole phone numbers, which its sender needs to text people; the log of
// alerts people read (masked) shows them masked.
func scanNotifications(rows *sql.Rows, masked bool) ([]Notification, error) {
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, kefu.Internal(err)
		}
		if masked {
			for i := range n.Alert.Recipients {
				n.Alert.Recipients[i].Phone = relay.MaskPhone(n.Alert.Recipients[i].Phone)
			}
		}
		out = append(out, n)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// DueNotifications are the pending alerts whose attempt is due.
func (s *Store) DueNotifications(ctx context.Context, limit int) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+notificationCols+` FROM notifications WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at LIMIT $2`,
		us(s.Now()), limit)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	due, err := scanNotifications(rows, false)
	if err != nil || len(due) == 0 {
		return due, err
	}
	// They are about to be sent: the writes that queued them must be durable.
	return due, s.durable(ctx)
}

// NotificationResult records one delivery attempt: sent, or failed with the
// error and the next attempt (nil: give up, the alert is dead).
func (s *Store) NotificationResult(ctx context.Context, id string, attempt int, sendErr error, next *time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		now := s.Now()
		var err error
		switch {
		case sendErr == nil:
			_, err = tx.exec(`UPDATE notifications SET state = 'sent', attempts = $2, sent_at = $3, next_at = NULL, last_error = '' WHERE id = $1 AND state = 'pending'`,
				id, attempt, us(now))
		case next == nil:
			_, err = tx.exec(`UPDATE notifications SET state = 'dead', attempts = $2, next_at = NULL, last_error = $3 WHERE id = $1 AND state = 'pending'`,
				id, attempt, truncate(sendErr.Error(), 1000))
		default:
			_, err = tx.exec(`UPDATE notifications SET attempts = $2, next_at = $3, last_error = $4 WHERE id = $1 AND state = 'pending'`,
				id, attempt, us(*next), truncate(sendErr.Error(), 1000))
		}
		return kefu.InternalOrNil(err)
	})
}

// Notifications lists a tenant's alerts, newest first, optionally of one
// ticket (a scope check on the ticket is the caller's).
func (s *Store) Notifications(ctx context.Context, sc Scope, ticketID string, limit int) ([]Notification, error) {
	args := []any{sc.TenantID, ticketID}
	q := `SELECT n.id, n.tenant_id, n.kind, n.ticket_id, n.alert, n.state, n.attempts, n.next_at, n.last_error, n.created_at, n.sent_at
		FROM notifications n LEFT JOIN tickets t ON t.id = n.ticket_id
		WHERE n.tenant_id = $1 AND ($2 = '' OR n.ticket_id = $2) AND (t.id IS NULL OR ` + ticketVisible(sc, "t", &args) + `)`
	args = append(args, clampLimit(limit))
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY n.created_at DESC, n.id DESC LIMIT `+placeholder(len(args)), args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	return scanNotifications(rows, true)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n]
}
