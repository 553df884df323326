package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/kefu-project/kefu/internal/kefu"
)

// IntakeSettings reads a tenant's intake settings (defaults when unset).
func (s *Store) IntakeSettings(ctx context.Context, tenantID string) (kefu.IntakeSettings, error) {
	var st kefu.IntakeSettings
	var updated int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(safety_queue_id, ''), updated_at FROM intake_settings WHERE tenant_id = $1`, tenantID).
		Scan(&st.SafetyQueueID, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, kefu.Internal(err)
	}
	st.UpdatedAt = fromUS(updated)
	return st, nil
}

// PutIntakeSettings saves a tenant's intake settings.
func (s *Store) PutIntakeSettings(ctx context.Context, tenantID string, a Actor, st kefu.IntakeSettings) (kefu.IntakeSettings, error) {
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("queues", "safety_queue_id", tenantID, st.SafetyQueueID); err != nil {
			return err
		}
		st.UpdatedAt = s.Now()
		if _, err := tx.exec(`INSERT INTO intake_settings (tenant_id, safety_queue_id, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET safety_queue_id = excluded.safety_queue_id, updated_at = excluded.updated_at`,
			tenantID, nullStr(st.SafetyQueueID), us(st.UpdatedAt)); err != nil {
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
	return tx.Event(tenantID, a, "emergency.raised", "ticket", e.TicketID, e.TicketID, nil, e)
}

// RaiseEmergency makes an open ticket an emergency after a later message:
// top priority, the safety queue if the tenant has one, and the pinned
// record, in one write. It returns the ticket as it now is.
func (s *Store) RaiseEmergency(ctx context.Context, sc Scope, a Actor, e kefu.Emergency, safetyQueue string) (kefu.Ticket, kefu.Emergency, error) {
	var out kefu.Ticket
	err := s.WriteAbout(ctx, e.TicketID, func(tx *Tx) error {
		before, err := s.ticket(ctx, tx.sqlTx, sc, e.TicketID, true)
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

const emergencyCols = `id, ticket_id, message_id, kind, score, reason, raised_at, acked_by, acked_at`

func scanEmergency(sc interface{ Scan(...any) error }) (kefu.Emergency, error) {
	var e kefu.Emergency
	var raised int64
	var acked sql.NullInt64
	if err := sc.Scan(&e.ID, &e.TicketID, &e.MessageID, &e.Kind, &e.Score, &e.Reason, &raised, &e.AckedBy, &acked); err != nil {
		return e, err
	}
	e.RaisedAt = fromUS(raised)
	if acked.Valid {
		t := fromUS(acked.Int64)
		e.AckedAt = &t
	}
	return e, nil
}

// Emergencies lists a tenant's emergencies, newest first: the open ones
// (not yet acknowledged), or all of a ticket's.
func (s *Store) Emergencies(ctx context.Context, sc Scope, open bool, ticketID string) ([]kefu.Emergency, error) {
	args := []any{sc.TenantID, boolInt(open), ticketID}
	q := `SELECT e.id, e.ticket_id, e.message_id, e.kind, e.score, e.reason, e.raised_at, e.acked_by, e.acked_at
		FROM emergencies e JOIN tickets t ON t.id = e.ticket_id
		WHERE e.tenant_id = $1 AND ($2 = 0 OR e.acked_at IS NULL) AND ($3 = '' OR e.ticket_id = $3) AND ` + ticketVisible(sc, "t", &args)
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY e.raised_at DESC, e.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Emergency{}
	for rows.Next() {
		e, err := scanEmergency(rows)
		if err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, e)
	}
	return out, kefu.InternalOrNil(rows.Err())
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
		if _, err := s.ticket(ctx, tx.sqlTx, sc, e.TicketID, false); err != nil {
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
