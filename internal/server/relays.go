package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
	"github.com/kefu-project/kefu/internal/relay"
	"github.com/kefu-project/kefu/internal/store"
)

// The relay sender drains the outbox of messages to parties (drivers,
// couriers, merchants) through each tenant's SMS channel for relays,
// retrying with the alerts' backoff. It runs in the alert sender's loop,
// woken by the same kick. The party's number is read at send time from the
// store and appears in no log.

// relayBatch bounds one pass.
const relayBatch = 100

func sendRelays(ctx context.Context, s *store.Store, now func() time.Time, log *slog.Logger, sms notify.Options) int {
	due, err := s.DueRelaySMS(ctx, relayBatch)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("relay outbox unreadable", "err", err)
		}
		return 0
	}
	channels := map[string]*notify.SMS{}
	failures := map[string]error{}
	sent := 0
	for _, m := range due {
		ch, ok := channels[m.TenantID]
		cerr := failures[m.TenantID]
		if !ok && cerr == nil {
			ch, cerr = relayChannel(ctx, s, m.TenantID, sms)
			channels[m.TenantID], failures[m.TenantID] = ch, cerr
		}
		sendErr := cerr
		if sendErr == nil {
			sendErr = ch.SendText(ctx, m.Phone, m.Text)
		}
		attempt := m.Attempts + 1
		var next *time.Time
		if sendErr != nil && !notify.IsPermanent(sendErr) && attempt <= len(alertBackoff) {
			at := now().Add(alertBackoff[attempt-1])
			next = &at
		}
		if sendErr != nil {
			log.Warn("relayed message not delivered", "tenant", m.TenantID, "relay", m.RelayID, "attempt", attempt, "err", maskedErr(sendErr))
		} else {
			sent++
		}
		if err := s.RelaySMSResult(ctx, m, attempt, sendErr, next); err != nil && ctx.Err() == nil {
			log.Error("relay message state not saved", "err", err)
		}
	}
	return sent
}

func relayChannel(ctx context.Context, s *store.Store, tenantID string, o notify.Options) (*notify.SMS, error) {
	raw, err := s.NotifySettings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var cfg notify.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, &notify.DeliveryError{Channel: "sms", Permanent: true, Err: errors.New("notification settings unreadable")}
	}
	return notify.RelaySMS(cfg, o)
}

// SendRelays sends every message to parties now due, once, and says how
// many went (the alert loop does this on its own; tests call it).
func (n *Node) SendRelays(ctx context.Context) int {
	return sendRelays(ctx, n.Store, n.Store.Now, n.log, notify.Options{Logger: n.log, Now: n.Store.Now})
}

// maskedErr is an SMS failure as the log keeps it: gateways echo the
// party's number.
func maskedErr(err error) string {
	t, _ := relay.Mask(err.Error(), "en")
	return t
}
