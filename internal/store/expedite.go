package store

import (
	"context"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/commit"
	"github.com/kefu-project/kefu/internal/kefu"
)

// An expedite (加急) is real only when someone with the authority to deliver
// it owns it by a date. The API decides who that is (the caller, the owner
// they name, or the first person with the authority over the ticket); the
// store records it in one write: the commitment, the priority, the customer
// told who and by when, and the alert to the owner and the first rung.

// Expedite is what an expedite request becomes.
type Expedite struct {
	Reason  string
	DueAt   time.Time
	OwnerID string
}

// Expedited is the result: the commitment and the ticket as they now are.
type Expedited struct {
	Ticket     kefu.Ticket     `json:"ticket"`
	Commitment kefu.Commitment `json:"commitment"`
	Owner      string          `json:"owner"`
	Notice     *kefu.Message   `json:"notice,omitempty"`
}

// UserPrincipal loads another user's authority (their grants and roles), to
// check that a named owner can deliver.
func (s *Store) UserPrincipal(ctx context.Context, tenantID, userID string) (*Principal, error) {
	p, err := s.loadPrincipal(ctx, tenantID, userID, "")
	if err != nil {
		return nil, kefu.FieldError("owner_id", "no such user in this tenant")
	}
	return p, nil
}

// Covering lists active users of a kind whose grants cover an organization.
func (s *Store) Covering(ctx context.Context, tenantID, orgID, kind string, limit int) ([]Recipient, error) {
	return s.covering(ctx, s.db, tenantID, orgID, kind, limit)
}

// ExpediteTicket records an expedite owned by e.OwnerID.
func (s *Store) ExpediteTicket(ctx context.Context, sc Scope, a Actor, ticketID string, e Expedite) (Expedited, error) {
	var out Expedited
	if strings.TrimSpace(e.Reason) == "" {
		return out, kefu.FieldError("reason", "an expedite needs a reason")
	}
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		before, err := s.ticket(ctx, tx.sql(), sc, ticketID, true)
		if err != nil {
			return err
		}
		if before.Status.Settled() {
			return kefu.Conflict("ticket_done", "a "+string(before.Status)+" ticket cannot be expedited")
		}
		var open int
		if err := tx.queryRow(`SELECT COUNT(*) FROM commitments WHERE tenant_id = $1 AND ticket_id = $2 AND kind = 'expedite' AND state IN ('open', 'missed')`,
			sc.TenantID, ticketID).Scan(&open); err != nil {
			return kefu.Internal(err)
		}
		if open > 0 {
			return kefu.Conflict("already_expedited", "the ticket already has an open expedite: keep it, or release it with a reason first")
		}
		now := s.Now()
		var owner Recipient
		if err := tx.queryRow(`SELECT id, name, email, locale FROM users WHERE tenant_id = $1 AND id = $2 AND active = 1`, sc.TenantID, e.OwnerID).
			Scan(&owner.UserID, &owner.Name, &owner.Email, &owner.Locale); err != nil {
			return kefu.FieldError("owner_id", "no such active user")
		}
		t := before
		c := kefu.Commitment{Kind: kefu.CommitExpedite, Description: e.Reason, Reason: e.Reason, DueAt: e.DueAt, OwnerID: e.OwnerID, CustomerVisible: true}
		if err := tx.addCommitment(sc.TenantID, a, &t, &c, now); err != nil {
			return err
		}
		if kefu.PriorityRank(t.Priority) < kefu.PriorityRank(kefu.PriorityUrgent) {
			t.Priority = kefu.PriorityUrgent
		}
		t.UpdatedAt = now
		if _, err := tx.exec(`UPDATE tickets SET priority = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, ticketID, string(t.Priority), us(now)); err != nil {
			return kefu.Internal(err)
		}
		loc, locale := s.tenantLocation(ctx, tx.sql(), sc.TenantID)
		locale = s.customerLocale(ctx, tx.sql(), t, locale)
		notice := kefu.Message{Kind: kefu.MessageNotice, Channel: t.Channel, Body: commit.ExpediteNotice(locale, owner.Name, e.DueAt, loc),
			Attachments: []kefu.Attachment{}}
		if err := tx.notice(&t, &notice, now); err != nil {
			return err
		}
		t.MessageCount++
		st, err := s.CommitSettings(ctx, sc.TenantID)
		if err != nil {
			return err
		}
		who := []Recipient{owner}
		if len(st.Ladder) > 0 { // the owner's chain hears of it too
			chain, err := tx.rungRecipients(t, c, st.Ladder[0].To)
			if err != nil {
				return err
			}
			for _, r := range chain {
				if r.UserID != owner.UserID {
					who = append(who, r)
				}
			}
		}
		due := e.DueAt
		if err := tx.queueAlert(sc.TenantID, Alert{Kind: "expedite.assigned", TicketID: t.ID, TicketNumber: t.Number, Subject: t.Subject,
			What: e.Reason, DueAt: &due, Owner: owner.Name, At: now, Recipients: who}); err != nil {
			return err
		}
		out = Expedited{Ticket: t, Commitment: c, Owner: owner.Name, Notice: &notice}
		tx.SetResult(out)
		return tx.Event(sc.TenantID, a, "ticket.expedited", "ticket", ticketID, ticketID, before, out)
	})
	return out, err
}
