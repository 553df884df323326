package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	return recentTickets(ctx, s.db, sc, customerID, since, limit)
}

func recentTickets(ctx context.Context, q querier, sc Scope, customerID string, since time.Time, limit int) ([]PastTicket, error) {
	args := []any{sc.TenantID, customerID, us(since)}
	rows, err := q.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets t
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
	ms, err := q.QueryContext(ctx, `SELECT ticket_id, body FROM messages WHERE tenant_id = $1 AND ticket_id IN (`+strings.Join(marks, ", ")+`)
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
	m, err := validatedMessage(m)
	if err != nil {
		return out, err
	}
	err = s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		var err error
		out, err = tx.recordRepeat(sc, a, ticketID, m, r)
		return err
	})
	return out, err
}

// recordRepeat is RecordRepeat's write; m is validated.
func (tx *Tx) recordRepeat(sc Scope, a Actor, ticketID string, m *kefu.Message, r Repeat) (RepeatRecorded, error) {
	s := tx.s
	before, err := s.ticket(tx.ctx, tx.sql(), sc, ticketID, true)
	if err != nil {
		return RepeatRecorded{}, err
	}
	if before.Status.Settled() {
		return RepeatRecorded{}, kefu.Conflict("ticket_settled", "the ticket was settled meanwhile; open a new one")
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
		return RepeatRecorded{}, kefu.Internal(err)
	}
	if t.Status != before.Status {
		if err := tx.slaOnStatus(&t, before.Status, t.Status, now); err != nil {
			return RepeatRecorded{}, err
		}
	}
	var msg *kefu.Message
	if m != nil {
		mm := *m
		if mm.Attachments, err = tx.resolveAttachments(sc.TenantID, m.Attachments); err != nil {
			return RepeatRecorded{}, err
		}
		if mm.Channel == "" {
			mm.Channel = t.Channel
		}
		if err := tx.insertMessage(sc.TenantID, a, &t, &mm, now); err != nil {
			return RepeatRecorded{}, err
		}
		if _, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1 WHERE id = $1`, ticketID); err != nil {
			return RepeatRecorded{}, kefu.Internal(err)
		}
		t.MessageCount++
		if err := tx.Event(sc.TenantID, a, "message.created", "message", mm.ID, ticketID, nil, mm); err != nil {
			return RepeatRecorded{}, err
		}
		msg = &mm
	}
	if err := tx.Event(sc.TenantID, a, "ticket.repeat", "ticket", ticketID, ticketID, before, map[string]any{
		"repeat_count": t.RepeatCount, "reason": r.Reason, "priority": t.Priority}); err != nil {
		return RepeatRecorded{}, err
	}
	if err := tx.recordIntake(sc.TenantID, ticketID, msg, r.Intake); err != nil {
		return RepeatRecorded{}, err
	}
	if toProblem {
		if err := tx.Event(sc.TenantID, System, "ticket.to_problem_resolution", "ticket", ticketID, ticketID, nil, map[string]any{
			"repeat_count": t.RepeatCount, "queue_id": t.QueueID, "threshold": r.Threshold}); err != nil {
			return RepeatRecorded{}, err
		}
	}
	out := RepeatRecorded{Ticket: t, Message: msg, Repeat: true, Reason: r.Reason}
	tx.SetResult(out)
	return out, nil
}

// RepeatCheck is intake's repeat detection for a new contact (OpenContact).
type RepeatCheck struct {
	WindowDays     int    // the customer's tickets updated this many days back count
	Threshold      int    // as in Repeat
	ProblemQueueID string // as in Repeat
	// Match is intake's judgement on the customer's tickets of the window,
	// newest first: the one the contact is about and why, or nil. It may
	// run on the single writer, and more than once (a batch that fails is
	// run again): quick, and without effects.
	Match func(past []PastTicket) (hit *PastTicket, why string)
}

// repeatPast is how many of the customer's recent tickets intake compares.
const repeatPast = 20

// OpenContact opens a ticket for a customer's new contact, unless intake
// finds it repeats one of the customer's recent tickets: an open one takes
// the contact instead (joined, as RecordRepeat), a settled one makes the
// new ticket its linked repeat. The decisions go on the intake record, and
// identities the customer gave for the first time become theirs either way.
//
// On SQLite the check runs inside the write: the single writer's pages are
// warm (a reader's are cold after every commit), and nothing can change
// between the check and the act. On PostgreSQL, where every statement in a
// write is a round trip the batch waits for, it reads first from the read
// pool, and a contact that joins a ticket is that ticket's write
// (WriteAbout), as every other change to a ticket.
func (s *Store) OpenContact(ctx context.Context, sc Scope, a Actor, n NewTicket, rc RepeatCheck) (TicketCreated, *RepeatRecorded, error) {
	if s.dialect == SQLite {
		return s.createTicket(ctx, sc, a, n, &rc)
	}
	t, msg, err := validateNewTicket(n)
	if err != nil {
		return TicketCreated{}, nil, err
	}
	if n.Intake == nil {
		n.Intake = &kefu.IntakeRecord{}
	}
	cid, known, err := s.ResolveCustomerID(ctx, sc, n.Customer, n.Ticket.OrgID)
	if err != nil {
		return TicketCreated{}, nil, err
	}
	n.Customer.Unseen = !known && n.Customer.ID == "" // a hint for the write
	var past []PastTicket
	if known {
		if past, err = s.RecentTickets(ctx, sc, cid, s.Now().AddDate(0, 0, -rc.WindowDays), repeatPast); err != nil {
			return TicketCreated{}, nil, err
		}
	}
	hit, why := rc.judge(n.Intake, cid, known, past)
	if hit != nil && !hit.Status.Settled() {
		steps := len(n.Intake.Steps)
		repeated(n.Intake, hit, why, true)
		var r RepeatRecorded
		err := s.WriteAbout(ctx, hit.ID, func(tx *Tx) error {
			t := t
			if err := tx.checkNewTicket(sc, &t); err != nil { // what the contact asked for is checked as if it opened a ticket
				return err
			}
			// As on SQLite, an identity the customer wrote from for the
			// first time is theirs from now on.
			if _, _, err := tx.resolveCustomer(sc, a, n.Customer, t.OrgID); err != nil {
				return err
			}
			var err error
			r, err = tx.recordRepeat(sc, a, hit.ID, msg, rc.repeat(why, n.Intake))
			return err
		})
		if err == nil {
			return TicketCreated{}, &r, nil
		}
		if !isConflict(err, "ticket_settled") {
			return TicketCreated{}, nil, err // an Idempotency-Key's twin included: the caller replays it
		}
		// Settled meanwhile: the contact opens a new ticket, linked as a repeat.
		n.Intake.Steps = n.Intake.Steps[:steps]
	}
	if hit != nil {
		repeated(n.Intake, hit, why, false)
		n.RepeatOf, n.RepeatReason = hit.ID, why
	}
	return s.createValidTicket(ctx, sc, a, n, t, msg, nil)
}

// judge asks intake about the customer's recent tickets, and puts who the
// customer is, and a new matter, on the record.
func (rc *RepeatCheck) judge(rec *kefu.IntakeRecord, cid string, known bool, past []PastTicket) (*PastTicket, string) {
	step := func(step, decision, why string) {
		rec.Steps = append(rec.Steps, kefu.IntakeStep{Step: step, Decision: decision, Why: why})
	}
	if !known {
		step("customer", "new customer", "no identity given matches a customer of this tenant")
		return nil, ""
	}
	step("customer", "known customer "+cid, "an identity given matches")
	var hit *PastTicket
	why := ""
	if rc.Match != nil {
		hit, why = rc.Match(past)
	}
	if hit == nil {
		step("repeat", "a new matter", fmt.Sprintf("none of the customer's %d ticket(s) of the last %d days is about the same matter", len(past), rc.WindowDays))
	}
	return hit, why
}

// repeated puts what a repeat does on the record: the contact joins the
// open ticket, or opens a new one linked to the settled one.
func repeated(rec *kefu.IntakeRecord, hit *PastTicket, why string, joins bool) {
	decision := fmt.Sprintf("repeats settled ticket #%d: a new ticket, linked", hit.Number)
	if joins {
		decision = fmt.Sprintf("joins open ticket #%d", hit.Number)
	}
	rec.Steps = append(rec.Steps, kefu.IntakeStep{Step: "repeat", Decision: decision, Why: why})
}

func (rc *RepeatCheck) repeat(why string, rec *kefu.IntakeRecord) Repeat {
	return Repeat{Reason: why, Threshold: rc.Threshold, ProblemQueueID: rc.ProblemQueueID, Intake: rec}
}

// txQuerier reads inside a write, through the writer's prepared statements.
type txQuerier struct{ tx *Tx }

func (q txQuerier) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	return q.tx.queryRow(query, args...)
}

func (q txQuerier) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.query(query, args...)
}
