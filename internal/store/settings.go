package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/commit"
	"github.com/kefu-project/kefu/internal/intake"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/safety"
	"github.com/kefu-project/kefu/internal/sla"
)

// A tenant's rules (commitments, SLA, notification channels) are JSON
// documents in tenant_settings, one per name. They are read on hot paths
// (every new ticket looks up its SLA), so each node caches them briefly;
// another node's change is seen within settingsTTL.
const settingsTTL = 5 * time.Second

type settingsCache struct {
	mu sync.Mutex
	m  map[[2]string]settingsEntry
}

type settingsEntry struct {
	raw    []byte // nil: unset
	parsed any    // raw as its reader parsed it (nil until first read)
	loaded time.Time
}

func (s *Store) settingRaw(ctx context.Context, tenantID, name string) ([]byte, error) {
	key := [2]string{tenantID, name}
	s.settings.mu.Lock()
	e, ok := s.settings.m[key]
	s.settings.mu.Unlock()
	if ok && time.Since(e.loaded) < settingsTTL {
		return e.raw, nil
	}
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM tenant_settings WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&raw)
	var b []byte
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, kefu.Internal(err)
	default:
		b = []byte(raw)
	}
	s.settings.mu.Lock()
	if s.settings.m == nil {
		s.settings.m = map[[2]string]settingsEntry{}
	}
	s.settings.m[key] = settingsEntry{raw: b, loaded: time.Now()}
	s.settings.mu.Unlock()
	return b, nil
}

// settingParsed returns a setting as parse reads it, parsing once per load:
// the readers sit on the ticket write path, and building an SLA calendar
// (time zone, holidays) each time would cost more than the lookup.
func (s *Store) settingParsed(ctx context.Context, tenantID, name string, parse func(raw []byte) (any, error)) (any, error) {
	raw, err := s.settingRaw(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	key := [2]string{tenantID, name}
	s.settings.mu.Lock()
	e := s.settings.m[key]
	s.settings.mu.Unlock()
	if e.parsed != nil && string(e.raw) == string(raw) {
		return e.parsed, nil
	}
	v, err := parse(raw)
	if err != nil {
		return nil, err
	}
	s.settings.mu.Lock()
	if e, ok := s.settings.m[key]; ok && string(e.raw) == string(raw) {
		e.parsed = v
		s.settings.m[key] = e
	}
	s.settings.mu.Unlock()
	return v, nil
}

// putSetting saves a setting document and records the change.
func (s *Store) putSetting(ctx context.Context, tenantID string, a Actor, name string, v any) error {
	return s.putSettingLogged(ctx, tenantID, a, name, v, v)
}

// putSettingLogged saves v and records logged in the history (a redacted
// copy where v holds secrets).
func (s *Store) putSettingLogged(ctx context.Context, tenantID string, a Actor, name string, v, logged any) error {
	logRaw, err := json.Marshal(logged)
	if err != nil {
		return kefu.Internal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return kefu.Internal(err)
	}
	err = s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO tenant_settings (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			tenantID, name, string(raw), us(s.Now())); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(logged)
		return tx.Event(tenantID, a, "settings.changed", "tenant", tenantID, "", nil, map[string]any{"name": name, "value": json.RawMessage(logRaw)})
	})
	if err == nil {
		s.settings.mu.Lock()
		delete(s.settings.m, [2]string{tenantID, name})
		s.settings.mu.Unlock()
	}
	return err
}

// CommitSettings are a tenant's rules for commitments, defaults filled.
func (s *Store) CommitSettings(ctx context.Context, tenantID string) (commit.Settings, error) {
	v, err := s.settingParsed(ctx, tenantID, "commitments", func(raw []byte) (any, error) {
		var st commit.Settings
		if raw != nil {
			_ = json.Unmarshal(raw, &st)
		}
		return st.Defaults(), nil
	})
	if err != nil {
		return commit.Settings{}, err
	}
	return v.(commit.Settings), nil
}

// PutCommitSettings checks and saves a tenant's rules for commitments.
func (s *Store) PutCommitSettings(ctx context.Context, tenantID string, a Actor, st commit.Settings) (commit.Settings, error) {
	if f, p := st.Validate(); f != "" {
		return st, kefu.FieldError(f, p)
	}
	if st.ProblemQueueID != "" {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM queues WHERE tenant_id = $1 AND id = $2`, tenantID, st.ProblemQueueID).Scan(&n); err != nil {
			return st, kefu.Internal(err)
		}
		if n == 0 {
			return st, kefu.FieldError("problem_queue_id", "no such queue")
		}
	}
	st.UpdatedAt = s.Now()
	if err := s.putSetting(ctx, tenantID, a, "commitments", st); err != nil {
		return st, err
	}
	return st.Defaults(), nil
}

// SLA is a tenant's SLA settings with the calendar built.
type SLA struct {
	sla.Settings
	Cal *sla.Calendar `json:"-"`
}

// SLASettings reads a tenant's SLA (no policies when unset).
func (s *Store) SLASettings(ctx context.Context, tenantID string) (SLA, error) {
	v, err := s.settingParsed(ctx, tenantID, "sla", func(raw []byte) (any, error) {
		out := SLA{Settings: sla.Settings{Policies: []sla.Policy{}}}
		if raw == nil {
			return out, nil
		}
		if err := json.Unmarshal(raw, &out.Settings); err != nil {
			return nil, kefu.Internal(err)
		}
		out.Cal, _, _ = out.Validate()
		return out, nil
	})
	if err != nil {
		return SLA{Settings: sla.Settings{Policies: []sla.Policy{}}}, err
	}
	return v.(SLA), nil
}

// PutSLASettings checks and saves a tenant's SLA calendar and policies.
// Tickets opened from now on get the new targets; open targets keep theirs.
func (s *Store) PutSLASettings(ctx context.Context, tenantID string, a Actor, st sla.Settings) (sla.Settings, error) {
	if st.Policies == nil {
		st.Policies = []sla.Policy{}
	}
	if _, f, p := st.Validate(); f != "" {
		return st, kefu.FieldError(f, p)
	}
	st.UpdatedAt = s.Now()
	return st, s.putSetting(ctx, tenantID, a, "sla", st)
}

// NotifySettings is a tenant's notification channels as stored (the
// notifier checks and builds them).
func (s *Store) NotifySettings(ctx context.Context, tenantID string) (json.RawMessage, error) {
	raw, err := s.settingRaw(ctx, tenantID, "notify")
	if raw == nil {
		raw = []byte("{}")
	}
	return raw, err
}

// PutNotifySettings saves a tenant's notification channels (the caller has
// checked them); the history and the idempotent replay keep the redacted copy.
func (s *Store) PutNotifySettings(ctx context.Context, tenantID string, a Actor, raw, redacted json.RawMessage) error {
	return s.putSettingLogged(ctx, tenantID, a, "notify", raw, redacted)
}

// tenantLocation is a tenant's time zone (UTC when unset or unknown).
func (s *Store) tenantLocation(ctx context.Context, q querier, tenantID string) (*time.Location, string) {
	var tz, locale string
	if err := q.QueryRowContext(ctx, `SELECT time_zone, locale FROM tenants WHERE id = $1`, tenantID).Scan(&tz, &locale); err != nil {
		return time.UTC, ""
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		loc = time.UTC
	}
	return loc, locale
}

// customerLocale is the language kefu's own messages to a customer use:
// the customer's saved locale, else the language of their latest message
// on the ticket, else the tenant's. An English-writing customer of a
// Chinese tenant is answered in English.
func (s *Store) customerLocale(ctx context.Context, q querier, t kefu.Ticket, tenantLocale string) string {
	var saved string
	if t.CustomerID != "" {
		_ = q.QueryRowContext(ctx, `SELECT locale FROM customers WHERE id = $1`, t.CustomerID).Scan(&saved)
	}
	if l := safety.Locale(saved); l != "" {
		return l
	}
	var body string
	if err := q.QueryRowContext(ctx, `SELECT body FROM messages WHERE ticket_id = $1 AND kind = 'customer' ORDER BY created_at DESC, id DESC LIMIT 1`,
		t.ID).Scan(&body); err == nil {
		switch l := intake.Language(body); l {
		case "zh-Hans", "zh-Hant", "en":
			return l
		}
	}
	return tenantLocale
}

// StatusKey is the tenant's key for signing customers' status links, made
// on first use.
func (s *Store) StatusKey(ctx context.Context, tenantID string) ([]byte, error) {
	raw, err := s.settingRaw(ctx, tenantID, "status_key")
	if err != nil {
		return nil, err
	}
	var key []byte
	if raw != nil && json.Unmarshal(raw, &key) == nil && len(key) == 32 {
		return key, nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE id = $1`, tenantID).Scan(&n); err != nil || n == 0 {
		return nil, kefu.NotFound("tenant")
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, kefu.Internal(err)
	}
	b, _ := json.Marshal(key)
	err = s.Write(ctx, func(tx *Tx) error {
		// First writer wins: a concurrent first use keeps the key already saved.
		_, err := tx.exec(`INSERT INTO tenant_settings (tenant_id, name, value, updated_at) VALUES ($1, 'status_key', $2, $3) ON CONFLICT (tenant_id, name) DO NOTHING`,
			tenantID, string(b), us(s.Now()))
		return kefu.InternalOrNil(err)
	})
	if err != nil {
		return nil, err
	}
	s.settings.mu.Lock()
	delete(s.settings.m, [2]string{tenantID, "status_key"})
	s.settings.mu.Unlock()
	raw, err = s.settingRaw(ctx, tenantID, "status_key")
	if err != nil {
		return nil, err
	}
	if json.Unmarshal(raw, &key) != nil || len(key) != 32 {
		return nil, kefu.Internal(errors.New("status key unreadable"))
	}
	return key, nil
}
