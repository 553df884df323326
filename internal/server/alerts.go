package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
	"github.com/kefu-project/kefu/internal/store"
)

// The alert sender drains the notification outbox through each tenant's
// channels (internal/notify), retrying with backoff. The outbox row is
// written with what caused the alert, so an alert survives a crash; the
// alert's id is stable, so a receiver drops the duplicate a retry may send.

// alertBackoff is the wait before each retry; after the last the alert is dead.
var alertBackoff = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// notifiers keeps each tenant's built channels while their configuration
// stays the same, so an alert does not rebuild clients and templates.
type notifiers struct {
	raw map[string]string
	nt  map[string]notify.Notifier
}

func (c *notifiers) get(tenant string, raw []byte, build func() (notify.Notifier, error)) (notify.Notifier, error) {
	if c.raw[tenant] == string(raw) && c.nt[tenant] != nil {
		return c.nt[tenant], nil
	}
	nt, err := build()
	if err != nil {
		return nil, err
	}
	c.raw[tenant], c.nt[tenant] = string(raw), nt
	return nt, nil
}

func sendAlerts(ctx context.Context, s *store.Store, now func() time.Time, log *slog.Logger, kick <-chan struct{}) {
	cache := &notifiers{raw: map[string]string{}, nt: map[string]notify.Notifier{}}
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
		due, err := s.DueNotifications(ctx, 200)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("alert outbox unreadable", "err", err)
			}
			continue
		}
		for _, n := range due {
			sendOne(ctx, s, now, log, n, cache)
		}
		// Messages relayed to parties share the loop and its kick.
		sendRelays(ctx, s, now, log, notify.Options{Logger: log, Now: now})
	}
}

func sendOne(ctx context.Context, s *store.Store, now func() time.Time, log *slog.Logger, n store.Notification, cache *notifiers) {
	raw, err := s.NotifySettings(ctx, n.TenantID)
	var cfg notify.Config
	if err == nil {
		err = json.Unmarshal(raw, &cfg)
	}
	var sendErr error
	switch {
	case err != nil:
		sendErr = err
	case len(cfg.Channels) == 0:
		// No channel configured: the alert is in the outbox and the history
		// (and on webhooks subscribed to its event); nothing more to send.
		sendErr = nil
	default:
		nt, berr := cache.get(n.TenantID, raw, func() (notify.Notifier, error) { return notify.Build(cfg, notify.Options{Logger: log, Now: now}) })
		if berr != nil {
			sendErr = berr
			break
		}
		sendErr = nt.Notify(ctx, toNotify(n, now()))
	}
	attempt := n.Attempts + 1
	var next *time.Time
	if sendErr != nil && !notify.IsPermanent(sendErr) && !errors.Is(sendErr, notify.ErrNoRecipients) && attempt <= len(alertBackoff) {
		at := now().Add(alertBackoff[attempt-1])
		next = &at
	}
	if sendErr != nil {
		log.Warn("alert not delivered", "tenant", n.TenantID, "kind", n.Kind, "attempt", attempt, "err", sendErr)
	}
	if err := s.NotificationResult(ctx, n.ID, attempt, sendErr, next); err != nil && ctx.Err() == nil {
		log.Error("alert state not saved", "err", err)
	}
}

// toNotify turns an outbox entry into the notifier's alert, with the facts
// each channel words in its recipient's language.
func toNotify(n store.Notification, now time.Time) notify.Alert {
	a := n.Alert
	f := &notify.Facts{TicketNumber: a.TicketNumber, Subject: a.Subject, Owner: a.Owner, Rung: a.Rung, Now: now}
	if a.DueAt != nil {
		f.Due = *a.DueAt
		if m := int(now.Sub(*a.DueAt) / time.Minute); m > 0 {
			f.MinutesOverdue = m
		}
	}
	switch a.Kind {
	case notify.KindEmergencyRaised, notify.KindEmergencyEscalated:
		f.EmergencyKind = a.What
	case notify.KindExpediteAssigned:
		f.Reason = a.What
	default:
		f.Promise = a.What
	}
	out := notify.Alert{ID: a.ID, TenantID: n.TenantID, Kind: a.Kind, TicketID: a.TicketID, TicketNumber: a.TicketNumber, Subject: a.Subject,
		Level: a.Level, Rung: a.Rung, At: a.At, Facts: f}
	out.Title, out.Body = notify.Compose(a.Kind, notify.LocaleZhHans, *f)
	for _, r := range a.Recipients {
		out.Recipients = append(out.Recipients, notify.Recipient{UserID: r.UserID, Name: r.Name, Email: r.Email, Phone: r.Phone, Locale: r.Locale})
	}
	return out
}
