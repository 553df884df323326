package store

import (
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/sla"
)

// Service-level targets are commitments kefu makes by itself from the
// tenant's SLA policy: first response and resolution when a ticket opens,
// next response when the customer writes again after an answer, and the
// department's deadline when a ticket is forwarded without one. They run
// on the policy's clock (business hours or 24×7) and pause while the ticket
// waits for the customer.

// hasSLA reports whether the tenant has ever set an SLA, so that tenants
// without one pay nothing for it on the message path.
func (s *Store) hasSLA(tx *Tx, tenantID string) bool {
	raw, err := s.settingRaw(tx.ctx, tenantID, "sla")
	return err != nil || raw != nil
}

// slaPolicy is the policy in force for a ticket, if the tenant has any.
func (tx *Tx) slaPolicy(t kefu.Ticket) (SLA, sla.Policy, bool, error) {
	st, err := tx.s.SLASettings(tx.ctx, t.TenantID)
	if err != nil || len(st.Policies) == 0 {
		return st, sla.Policy{}, false, err
	}
	tier := ""
	if tiered(st) {
		if known, ok := tx.appends.tiers[t.CustomerID]; ok { // created, found or changed in this batch (sawTier)
			tier = known
		} else if err := tx.queryRow(`SELECT tier FROM customers WHERE id = $1`, t.CustomerID).Scan(&tier); err != nil {
			return st, sla.Policy{}, false, kefu.Internal(err)
		}
	}
	p, ok := st.Match(sla.Facts{Tier: tier, Priority: string(t.Priority), Channel: string(t.Channel), Category: t.Category})
	return st, p, ok, nil
}

// tiered says whether some policy depends on the customer's tier.
func tiered(st SLA) bool {
	for _, p := range st.Policies {
		if len(p.Tiers) > 0 {
			return true
		}
	}
	return false
}

// slaTarget makes one target commitment on the policy's clock.
func (tx *Tx) slaTarget(t *kefu.Ticket, st SLA, p sla.Policy, kind kefu.CommitmentKind, minutes int, now time.Time) error {
	if minutes <= 0 {
		return nil
	}
	cal := st.Clock(p, st.Cal)
	c := kefu.Commitment{Kind: kind, DueAt: sla.Due(cal, now, time.Duration(minutes)*time.Minute), OwnerID: t.AssigneeID,
		Policy: p.Name, Business: cal != nil, Description: string(kind) + " (" + p.Name + ")"}
	return tx.addCommitment(t.TenantID, System, t, &c, now)
}

// openSLA sets a new ticket's first-response and resolution targets.
func (tx *Tx) openSLA(t *kefu.Ticket, now time.Time) error {
	if t.Status.Settled() {
		return nil
	}
	st, p, ok, err := tx.slaPolicy(*t)
	if err != nil || !ok {
		return err
	}
	if err := tx.slaTarget(t, st, p, kefu.CommitFirstResponse, p.FirstResponseMinutes, now); err != nil {
		return err
	}
	return tx.slaTarget(t, st, p, kefu.CommitResolution, p.ResolutionMinutes, now)
}

// slaOnMessage keeps the response targets an agent's reply meets, and sets a
// next-response target when the customer writes again after an answer.
func (tx *Tx) slaOnMessage(t *kefu.Ticket, kind kefu.MessageKind, now time.Time) error {
	switch kind {
	case kefu.MessageAgent:
		if tc := tx.touchedFor(t.ID); tc != nil && !tc.answerOwed {
			return nil // nothing owed, as the batch's count of the message saw
		}
		open, err := commitmentRows(tx.query(`SELECT `+commitmentCols+` FROM commitments c WHERE tenant_id = $1 AND ticket_id = $2
			AND kind IN ('first_response', 'next_response') AND state IN ('open', 'missed')`, t.TenantID, t.ID))
		if err != nil {
			return err
		}
		for _, c := range open {
			if _, err := tx.settle(t.TenantID, System, c, kefu.CommitKept, ""); err != nil {
				return err
			}
		}
		return nil
	case kefu.MessageCustomer:
		st, err := tx.s.SLASettings(tx.ctx, t.TenantID)
		if err != nil || len(st.Policies) == 0 {
			return err
		}
		// The customer's tier (when a policy depends on it) and the answers
		// already owed, in one statement: this runs for every customer
		// message, and on PostgreSQL every statement is a round trip.
		var tier string
		var owed int
		if tc := tx.touchedFor(t.ID); tc != nil {
			tier, owed = tc.tier, boolInt(tc.answerOwed)
		} else if err := tx.queryRow(`SELECT COALESCE((SELECT tier FROM customers WHERE id = $3 AND $4 = 1), ''), COUNT(*) FROM commitments c
			WHERE tenant_id = $1 AND ticket_id = $2 AND kind IN ('first_response', 'next_response') AND state IN ('open', 'missed')`,
			t.TenantID, t.ID, t.CustomerID, boolInt(tiered(st))).Scan(&tier, &owed); err != nil {
			return kefu.Internal(err)
		}
		p, ok := st.Match(sla.Facts{Tier: tier, Priority: string(t.Priority), Channel: string(t.Channel), Category: t.Category})
		if !ok || p.NextResponseMinutes <= 0 || owed > 0 {
			return nil // no target, or an answer is already owed and its target stands
		}
		return tx.slaTarget(t, st, p, kefu.CommitNextResponse, p.NextResponseMinutes, now)
	}
	return nil
}

// slaOnStatus pauses the targets that wait on the customer when a ticket
// goes pending, and gives them back their remaining time when it leaves
// pending.
func (tx *Tx) slaOnStatus(t *kefu.Ticket, from, to kefu.Status, now time.Time) error {
	switch {
	case to == kefu.StatusPending && from != kefu.StatusPending:
		_, err := tx.exec(`UPDATE commitments SET paused_at = $3, next_at = NULL WHERE tenant_id = $1 AND ticket_id = $2
			AND kind IN ('resolution', 'next_response') AND state = 'open' AND paused_at IS NULL`, t.TenantID, t.ID, us(now))
		if err != nil {
			return kefu.Internal(err)
		}
		return tx.Event(t.TenantID, System, "sla.paused", "ticket", t.ID, t.ID, nil, map[string]any{"at": now})
	case from == kefu.StatusPending && to != kefu.StatusPending:
		paused, err := commitmentRows(tx.query(`SELECT `+commitmentCols+` FROM commitments c WHERE tenant_id = $1 AND ticket_id = $2 AND paused_at IS NOT NULL AND state = 'open'`, t.TenantID, t.ID))
		if err != nil {
			return err
		}
		if len(paused) == 0 {
			return nil
		}
		st, err := tx.s.SLASettings(tx.ctx, t.TenantID)
		if err != nil {
			return err
		}
		cst, err := tx.s.CommitSettings(tx.ctx, t.TenantID)
		if err != nil {
			return err
		}
		for _, c := range paused {
			var cal *sla.Calendar
			if c.Business {
				cal = st.Cal
			}
			due := sla.Resume(cal, *c.PausedAt, c.DueAt, now)
			// The timer starts again from the step it had reached.
			var next any
			if step, ok := cst.Next(c.MadeAt, due, c.Stage); ok {
				next = us(step.At)
			}
			if _, err := tx.exec(`UPDATE commitments SET due_at = $3, paused_at = NULL, next_at = $4 WHERE tenant_id = $1 AND id = $2`,
				t.TenantID, c.ID, us(due), next); err != nil {
				return kefu.Internal(err)
			}
			after := c
			after.DueAt, after.PausedAt = due, nil
			if err := tx.Event(t.TenantID, System, "sla.resumed", "commitment", c.ID, t.ID, c, after); err != nil {
				return err
			}
		}
	}
	return nil
}

// departmentDeadline is the deadline the SLA policy gives a department.
func (tx *Tx) departmentDeadline(t kefu.Ticket, now time.Time) (time.Time, bool, error) {
	st, p, ok, err := tx.slaPolicy(t)
	if err != nil || !ok || p.DepartmentMinutes <= 0 {
		return time.Time{}, false, err
	}
	return sla.Due(st.Clock(p, st.Cal), now, time.Duration(p.DepartmentMinutes)*time.Minute), true, nil
}
