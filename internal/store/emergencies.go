package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// IntakeSettings reads a tenant's intake settings (defaults when unset).
func (s *Store) IntakeSettings(ctx context.Context, tenantID string) (kefu.IntakeSettings, error) {
	st := kefu.IntakeSettings{AckTargetSeconds: 60, Ladder: []string{}}
	var updated int64
	var ladder string
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(safety_queue_id, ''), ack_target_seconds, ladder, updated_at FROM intake_settings WHERE tenant_id = $1`, tenantID).
		Scan(&st.SafetyQueueID, &st.AckTargetSeconds, &ladder, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, kefu.Internal(err)
	}
	_ = json.Unmarshal([]byte(ladder), &st.Ladder)
	st.UpdatedAt = fromUS(updated)
	return st, nil
}

// PutIntakeSettings saves a tenant's intake settings.
func (s *Store) PutIntakeSettings(ctx context.Context, tenantID string, a Actor, st kefu.IntakeSettings) (kefu.IntakeSettings, error) {
	if st.AckTargetSeconds == 0 {
		st.AckTargetSeconds = 60
	}
	if st.AckTargetSeconds < 5 || st.AckTargetSeconds > 3600 {
		return st, kefu.FieldError("ack_target_seconds", "from 5 to 3600")
	}
	if st.Ladder == nil {
		st.Ladder = []string{}
	}
	if len(st.Ladder) > 10 {
		return st, kefu.FieldError("ladder", "at most 10 rungs")
	}
	for _, r := range st.Ladder {
		if strings.TrimSpace(r) == "" {
			return st, kefu.FieldError("ladder", "a rung needs a name")
		}
	}
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("queues", "safety_queue_id", tenantID, st.SafetyQueueID); err != nil {
			return err
		}
		st.UpdatedAt = s.Now()
		ladder, _ := json.Marshal(st.Ladder)
		if _, err := tx.exec(`INSERT INTO intake_settings (tenant_id, safety_queue_id, ack_target_seconds, ladder, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id) DO UPDATE SET safety_queue_id = excluded.safety_queue_id, ack_target_seconds = excluded.ack_target_seconds,
			ladder = excluded.ladder, updated_at = excluded.updated_at`,
			tenantID, nullStr(st.SafetyQueueID), st.AckTargetSeconds, string(ladder), us(st.UpdatedAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(st)
		return tx.Event(tenantID, a, "intake.settings_changed", "tenant", tenantID, "", nil, st)
	})
	return st, err
}

// raiseEmergency records an emergency on a ticket inside a write: the
// pinned record, and the "emergency.raised" event that webhooks (the
// on-call notifier) and the history carry.
func (tx *Tx) raiseEmergency(tenantID string, a Actor, e *kefu.Emergency) error {
	e.ID, e.RaisedAt = newID(), tx.s.Now()
	if _, err := tx.exec(`INSERT INTO emergencies (id, tenant_id, ticket_id, kind, score, reason, message_id, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, tenantID, e.TicketID, e.Kind, e.Score, e.Reason, e.MessageID, us(e.RaisedAt)); err != nil {
		return kefu.Internal(err)
	}
	if err := tx.Event(tenantID, a, "emergency.raised", "ticket", e.TicketID, e.TicketID, nil, e); err != nil {
		return err
	}
	return tx.emergencyAlert(tenantID, *e, "emergency.raised", "safety")
}

// emergencyAlert queues the on-call alert of an emergency: the safety team
// when it is raised, the rung's people when it climbs.
func (tx *Tx) emergencyAlert(tenantID string, e kefu.Emergency, kind, rung string) error {
	var t kefu.Ticket
	if err := tx.queryRow(`SELECT number, subject, org_id FROM tickets WHERE id = $1`, e.TicketID).Scan(&t.Number, &t.Subject, &t.OrgID); err != nil {
		return kefu.Internal(err)
	}
	t.ID, t.TenantID = e.TicketID, tenantID
	who, err := tx.rungRecipients(t, kefu.Commitment{}, rung)
	if err != nil {
		return err
	}
	return tx.queueAlert(tenantID, Alert{Kind: kind, TicketID: t.ID, TicketNumber: t.Number, Subject: t.Subject, What: e.Kind,
		Rung: rung, Level: e.Level, At: tx.s.Now(), Recipients: who})
}

// RaiseEmergency makes an open ticket an emergency after a later message:
// top priority, the safety queue if the tenant has one, and the pinned
// record, in one write. It returns the ticket as it now is.
func (s *Store) RaiseEmergency(ctx context.Context, sc Scope, a Actor, e kefu.Emergency, safetyQueue string) (kefu.Ticket, kefu.Emergency, error) {
	var out kefu.Ticket
	err := s.WriteAbout(ctx, e.TicketID, func(tx *Tx) error {
		before, err := s.ticket(ctx, tx.sql(), sc, e.TicketID, true)
		if err != nil {
			return err
		}
		t := before
		t.Priority = kefu.PriorityEmergency
		if safetyQueue != "" {
			t.QueueID = safetyQueue
		}
		t.UpdatedAt = s.Now()
		if _, err := tx.exec(`UPDATE tickets SET priority = $3, queue_id = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, t.ID, string(t.Priority), nullStr(t.QueueID), us(t.UpdatedAt)); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.raiseEmergency(sc.TenantID, a, &e); err != nil {
			return err
		}
		out = t
		tx.SetResult(t)
		return tx.Event(sc.TenantID, a, "ticket.updated", "ticket", t.ID, t.ID, before, t)
	})
	return out, e, err
}

const emergencyCols = `id, ticket_id, message_id, kind, score, reason, raised_at, acked_by, acked_at, level, escalated_at`

func scanEmergency(sc interface{ Scan(...any) error }) (kefu.Emergency, error) {
	var e kefu.Emergency
	var raised int64
	var acked, escalated sql.NullInt64
	if err := sc.Scan(&e.ID, &e.TicketID, &e.MessageID, &e.Kind, &e.Score, &e.Reason, &raised, &e.AckedBy, &acked, &e.Level, &escalated); err != nil {
		return e, err
	}
	e.RaisedAt = fromUS(raised)
	if acked.Valid {
		t := fromUS(acked.Int64)
		e.AckedAt = &t
	}
	if escalated.Valid {
		t := fromUS(escalated.Int64)
		e.EscalatedAt = &t
	}
	return e, nil
}

// Escalated is one rung an emergency went up.
type Escalated struct {
	TenantID  string
	Emergency kefu.Emergency
}

// EscalateEmergencies moves every open emergency that has waited past its
// tenant's acknowledgement target one rung up the ladder per target
// passed, recording "emergency.escalated" (history and webhooks: the
// on-call notifier) for each rung. Safe on several nodes at once: a rung
// is taken with a conditional update, so only one node records it.
func (s *Store) EscalateEmergencies(ctx context.Context) ([]Escalated, error) {
	now := s.Now()
	rows, err := s.db.QueryContext(ctx, `SELECT e.tenant_id, e.`+strings.ReplaceAll(emergencyCols, ", ", ", e.")+`,
		COALESCE(i.ack_target_seconds, 60), COALESCE(i.ladder, '[]')
		FROM emergencies e LEFT JOIN intake_settings i ON i.tenant_id = e.tenant_id
		WHERE e.acked_at IS NULL AND e.raised_at <= $1 ORDER BY e.raised_at LIMIT 1000`, us(now.Add(-5*time.Second)))
	if err != nil {
		return nil, kefu.Internal(err)
	}
	type due struct {
		tenant string
		e      kefu.Emergency
		rung   int
		ladder []string
	}
	var todo []due
	for rows.Next() {
		var tenant, ladderJSON string
		var target int
		var e kefu.Emergency
		var raised int64
		var acked, escalated sql.NullInt64
		if err := rows.Scan(&tenant, &e.ID, &e.TicketID, &e.MessageID, &e.Kind, &e.Score, &e.Reason, &raised, &e.AckedBy, &acked, &e.Level, &escalated,
			&target, &ladderJSON); err != nil {
			rows.Close()
			return nil, kefu.Internal(err)
		}
		e.RaisedAt = fromUS(raised)
		st := kefu.IntakeSettings{AckTargetSeconds: target}
		_ = json.Unmarshal([]byte(ladderJSON), &st.Ladder)
		ladder := st.EffectiveLadder()
		rung := min(int(now.Sub(e.RaisedAt)/st.AckTarget()), len(ladder))
		if rung > e.Level {
			todo = append(todo, due{tenant, e, rung, ladder})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	var out []Escalated
	for _, d := range todo {
		var taken []Escalated
		err := s.WriteAbout(ctx, d.e.TicketID, func(tx *Tx) error {
			taken = taken[:0] // the writer may run this again after a retry
			for level := d.e.Level + 1; level <= d.rung; level++ {
				res, err := tx.exec(`UPDATE emergencies SET level = $3, escalated_at = $4 WHERE id = $1 AND level = $2 AND acked_at IS NULL`,
					d.e.ID, level-1, level, us(now))
				if err != nil {
					return kefu.Internal(err)
				}
				if k, _ := res.RowsAffected(); k != 1 {
					return nil // another node took this rung, or someone acknowledged
				}
				e := d.e
				e.Level, e.EscalatedTo, e.EscalatedAt = level, d.ladder[level-1], &now
				if err := tx.Event(d.tenant, System, "emergency.escalated", "ticket", e.TicketID, e.TicketID, nil, e); err != nil {
					return err
				}
				if err := tx.emergencyAlert(d.tenant, e, "emergency.escalated", e.EscalatedTo); err != nil {
					return err
				}
				taken = append(taken, Escalated{TenantID: d.tenant, Emergency: e})
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, taken...)
	}
	return out, nil
}

// Emergencies lists a tenant's emergencies, newest first: the open ones
// (not yet acknowledged), or all of a ticket's.
func (s *Store) Emergencies(ctx context.Context, sc Scope, open bool, ticketID string) ([]kefu.Emergency, error) {
	args := []any{sc.TenantID, boolInt(open), ticketID}
	q := `SELECT e.` + strings.ReplaceAll(emergencyCols, ", ", ", e.") + `
		FROM emergencies e JOIN tickets t ON t.id = e.ticket_id
		WHERE e.tenant_id = $1 AND ($2 = 0 OR e.acked_at IS NULL) AND ($3 = '' OR e.ticket_id = $3) AND ` + ticketVisible(sc, "t", &args)
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY e.raised_at DESC, e.id DESC LIMIT 500`, args...)
	return collect(rows, err, scanEmergency)
}

// AckEmergency records that a person has taken an emergency on; it stops
// being pinned. Acknowledging twice keeps the first.
func (s *Store) AckEmergency(ctx context.Context, sc Scope, a Actor, id string) (kefu.Emergency, error) {
	var out kefu.Emergency
	err := s.Write(ctx, func(tx *Tx) error {
		e, err := scanEmergency(tx.queryRow(`SELECT `+emergencyCols+` FROM emergencies WHERE tenant_id = $1 AND id = $2`, sc.TenantID, id))
		if err != nil {
			return notFound(err, "emergency")
		}
		if _, err := s.ticket(ctx, tx.sql(), sc, e.TicketID, false); err != nil {
			return kefu.NotFound("emergency")
		}
		if e.AckedAt == nil {
			now := s.Now()
			if _, err := tx.exec(`UPDATE emergencies SET acked_by = $3, acked_at = $4 WHERE tenant_id = $1 AND id = $2`, sc.TenantID, id, a.ID, us(now)); err != nil {
				return kefu.Internal(err)
			}
			e.AckedBy, e.AckedAt = a.ID, &now
			if err := tx.Event(sc.TenantID, a, "emergency.acknowledged", "ticket", e.TicketID, e.TicketID, nil, e); err != nil {
				return err
			}
		}
		out = e
		tx.SetResult(e)
		return nil
	})
	return out, err
}
