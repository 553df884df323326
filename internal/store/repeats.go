package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Repeat contacts: intake decides whether a customer is writing again about
// the same matter (internal/intake); the store finds what to compare with
// and records the decision.

// PastTicket is one of a customer's recent tickets with the customer's own
// words, for intake to compare a new contact with.
type PastTicket struct {
	kefu.Ticket
	Words []string // subject and the first customer messages
}

// ResolveCustomerID finds the customer a reference names without creating
// anything: by id (following a merge) or by any known identity. ok is
// false for a customer kefu has not met.
func (s *Store) ResolveCustomerID(ctx context.Context, sc Scope, ref CustomerRef, orgID string) (string, bool, error) {
	if ref.ID != "" {
		var merged sql.NullString
		err := s.db.QueryRowContext(ctx, `SELECT merged_into FROM customers WHERE tenant_id = $1 AND id = $2`, sc.TenantID, ref.ID).Scan(&merged)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, nil
		}
		if err != nil {
			return "", false, kefu.Internal(err)
		}
		if merged.Valid {
			return merged.String, true, nil
		}
		return ref.ID, true, nil
	}
	for _, id := range ref.Identities {
		v, err := NormalizeIdentity(id.Kind, id.Value)
		if err != nil {
			return "", false, nil // a malformed identity: the create will say so
		}
		scope := ""
		if id.Kind == kefu.IdentityExternal {
			if scope = id.OrgID; scope == "" {
				scope = orgID
			}
		}
		// One statement, as the write resolves it (this runs for every new contact).
		var cid string
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(c.merged_into, c.id) FROM customer_identities i JOIN customers c ON c.id = i.customer_id
			WHERE i.tenant_id = $1 AND i.kind = $2 AND i.scope = $3 AND i.value = $4`,
			sc.TenantID, string(id.Kind), scope, v).Scan(&cid)
		if err == nil {
			return cid, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", false, kefu.Internal(err)
		}
	}
	return "", false, nil
}

// RecentTickets lists a customer's tickets updated since a time (any
// status), newest first, with their words.
func (s *Store) RecentTickets(ctx context.Context, sc Scope, customerID string, since time.Time, limit int) ([]PastTicket, error) {
	args := []any{sc.TenantID, customerID, us(since)}
	rows, err := s.db.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets t
		WHERE t.tenant_id = $1 AND t.customer_id = $2 AND t.updated_at >= $3 AND `+ticketVisible(sc, "t", &args)+
		` ORDER BY t.updated_at DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	var out []PastTicket
	for rows.Next() {
		t, err := scanTicket(rows, sc.TenantID)
		if err != nil {
			rows.Close()
			return nil, kefu.Internal(err)
		}
		out = append(out, PastTicket{Ticket: t, Words: []string{t.Subject}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// The customer's words on all of them in one query (not one per ticket):
	// this runs for every new contact.
	at := map[string]int{}
	margs := []any{sc.TenantID}
	var marks []string
	for i, t := range out {
		at[t.ID] = i
		margs = append(margs, t.ID)
		marks = append(marks, placeholder(len(margs)))
	}
	ms, err := s.db.QueryContext(ctx, `SELECT ticket_id, body FROM messages WHERE tenant_id = $1 AND ticket_id IN (`+strings.Join(marks, ", ")+`)
		AND kind = 'customer' ORDER BY created_at, id`, margs...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer ms.Close()
	for ms.Next() {
		var id, body string
		if err := ms.Scan(&id, &body); err != nil {
			return nil, kefu.Internal(err)
		}
		if i := at[id]; len(out[i].Words) <= 5 { // the subject and the first five messages
			out[i].Words = append(out[i].Words, body)
		}
	}
	if err := ms.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	return out, nil
}

// Repeat is intake's finding that a contact repeats an open ticket.
type Repeat struct {
	Reason         string
	Threshold      int    // at this many contacts about the matter (the first and its repeats) the ticket goes to ProblemQueueID
	ProblemQueueID string // "" to leave the queue alone
	// Intake is what intake decided about the contact, for the history.
	Intake *kefu.IntakeRecord
}

// RepeatRecorded is a contact that joined an open ticket instead of opening one.
type RepeatRecorded struct {
	kefu.Ticket
	Message *kefu.Message `json:"message,omitempty"`
	Repeat  bool          `json:"repeat"`
	Reason  string        `json:"repeat_reason"`
}

// RecordRepeat adds a repeated contact to the open ticket it repeats: the
// message, the count, the priority one step up, and at the threshold the
// problem-resolution queue, in one write.
func (s *Store) RecordRepeat(ctx context.Context, sc Scope, a Actor, ticketID string, m *kefu.Message, r Repeat) (RepeatRecorded, error) {
	var out RepeatRecorded
	if m != nil {
		mm := *m
		if err := validateMessage(&mm); err != nil {
			return out, err
		}
		m = &mm
	}
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		before, err := s.ticket(ctx, tx.sqlTx, sc, ticketID, true)
		if err != nil {
			return err
		}
		if before.Status == kefu.StatusSolved || before.Status == kefu.StatusClosed {
			return kefu.Conflict("ticket_settled", "the ticket was settled meanwhile; open a new one")
		}
		now := s.Now()
		t := before
		t.RepeatCount++
		t.Priority = raisedPriority(t.Priority)
		if t.Status == kefu.StatusPending {
			t.Status = kefu.StatusOpen
		}
		toProblem := r.ProblemQueueID != "" && r.Threshold > 0 && t.RepeatCount+1 >= r.Threshold && t.QueueID != r.ProblemQueueID
		if toProblem {
			t.QueueID, t.AssigneeID = r.ProblemQueueID, ""
		}
		t.UpdatedAt = now
		if _, err := tx.exec(`UPDATE tickets SET repeat_count = $3, priority = $4, status = $5, queue_id = $6, assignee_id = $7, updated_at = $8
			WHERE tenant_id = $1 AND id = $2`, sc.TenantID, ticketID, t.RepeatCount, string(t.Priority), string(t.Status), nullStr(t.QueueID),
			nullStr(t.AssigneeID), us(now)); err != nil {
			return kefu.Internal(err)
		}
		if t.Status != before.Status {
			if err := tx.slaOnStatus(&t, before.Status, t.Status, now); err != nil {
				return err
			}
		}
		var msg *kefu.Message
		if m != nil {
			mm := *m
			if mm.Attachments, err = tx.resolveAttachments(sc.TenantID, m.Attachments); err != nil {
				return err
			}
			if mm.Channel == "" {
				mm.Channel = t.Channel
			}
			if err := tx.insertMessage(sc.TenantID, a, &t, &mm, now); err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1 WHERE id = $1`, ticketID); err != nil {
				return kefu.Internal(err)
			}
			t.MessageCount++
			if err := tx.Event(sc.TenantID, a, "message.created", "message", mm.ID, ticketID, nil, mm); err != nil {
				return err
			}
			msg = &mm
		}
		if err := tx.Event(sc.TenantID, a, "ticket.repeat", "ticket", ticketID, ticketID, before, map[string]any{
			"repeat_count": t.RepeatCount, "reason": r.Reason, "priority": t.Priority}); err != nil {
			return err
		}
		if err := tx.recordIntake(sc.TenantID, ticketID, msg, r.Intake); err != nil {
			return err
		}
		if toProblem {
			if err := tx.Event(sc.TenantID, System, "ticket.to_problem_resolution", "ticket", ticketID, ticketID, nil, map[string]any{
				"repeat_count": t.RepeatCount, "queue_id": t.QueueID, "threshold": r.Threshold}); err != nil {
				return err
			}
		}
		out = RepeatRecorded{Ticket: t, Message: msg, Repeat: true, Reason: r.Reason}
		tx.SetResult(out)
		return nil
	})
	return out, err
}
