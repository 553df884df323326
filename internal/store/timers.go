package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/commit"
	"github.com/kefu-project/kefu/internal/kefu"
)

// Commitment timers are durable: a commitment's next step is a column
// (next_at) under an index, every node polls it, and a step is taken with an
// update conditional on the stage it starts from, in the same transaction
// as its history and its alerts. A restart or a lost node misses no step
// (the row still says it is due) and no step is taken twice (the second
// update finds the stage moved on). Memory does not grow with the number of
// open commitments: only the due ones are read.

// Fired is one timer step taken.
type Fired struct {
	TenantID   string
	Commitment kefu.Commitment
	Step       commit.Step
}

// fireChunk is how many due steps one write takes at most: large enough
// that a backlog drains fast, small enough to keep the writer's batches
// short for the requests beside it.
const fireChunk = 200

type dueRow struct {
	tenant string
	c      kefu.Commitment
	t      kefu.Ticket
}

// FireCommitments takes every timer step due by now (up to limit) and
// returns them. Safe on several nodes at once.
func (s *Store) FireCommitments(ctx context.Context, limit int) ([]Fired, error) {
	now := s.Now()
	rows, err := s.db.QueryContext(ctx, `SELECT `+commitmentCols+`, c.tenant_id,
		t.number, t.subject, t.org_id, COALESCE(t.assignee_id, ''), t.customer_id, t.priority, t.channel, t.status
		FROM commitments c JOIN tickets t ON t.id = c.ticket_id
		WHERE c.next_at IS NOT NULL AND c.next_at <= $1 ORDER BY c.next_at LIMIT $2`, us(now), limit)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	var due []dueRow
	for rows.Next() {
		var d dueRow
		var prio, channel, status string
		c, err := scanCommitment(withExtra{rows, []any{&d.tenant, &d.t.Number, &d.t.Subject, &d.t.OrgID, &d.t.AssigneeID, &d.t.CustomerID,
			&prio, &channel, &status}})
		if err != nil {
			rows.Close()
			return nil, kefu.Internal(err)
		}
		d.c = c
		d.t.ID, d.t.TenantID, d.t.Priority, d.t.Channel, d.t.Status = c.TicketID, d.tenant, kefu.Priority(prio), kefu.Channel(channel), kefu.Status(status)
		due = append(due, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	var out []Fired
	for len(due) > 0 {
		n := min(len(due), fireChunk)
		chunk := due[:n]
		due = due[n:]
		// Within a chunk, steps go in ticket order: two nodes then take the
		// locks on shared tickets in the same order.
		slices.SortFunc(chunk, func(a, b dueRow) int {
			return cmp.Or(strings.Compare(a.c.TicketID, b.c.TicketID), strings.Compare(a.c.ID, b.c.ID))
		})
		var taken []Fired
		err := s.Write(ctx, func(tx *Tx) error {
			taken = taken[:0] // the writer may run this again after a retry
			mine, err := tx.claimDue(chunk)
			if err != nil {
				return err
			}
			for _, d := range mine {
				f, ok, err := tx.fireOne(d, now)
				if err != nil {
					return err
				}
				if ok {
					taken = append(taken, f)
				}
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

// claimDue keeps the part of a chunk this write may take. On PostgreSQL it
// locks, up front and in the order request paths use (ticket, then its
// commitments), the tickets and then the commitments of the chunk, skipping
// those another writer holds: nodes working through the same backlog
// divide it instead of queueing on each other's rows, and a step never
// waits for a ticket while holding a commitment an agent's request needs
// (which is how two nodes deadlocked). SQLite has one writer.
func (tx *Tx) claimDue(chunk []dueRow) ([]dueRow, error) {
	if tx.s.dialect != Postgres {
		return chunk, nil
	}
	tickets := make([]string, 0, len(chunk))
	for _, d := range chunk {
		if len(tickets) == 0 || tickets[len(tickets)-1] != d.c.TicketID {
			tickets = append(tickets, d.c.TicketID) // chunk is in ticket order
		}
	}
	heldTickets, err := tx.lockSkipping(`SELECT id FROM tickets WHERE id = ANY($1) ORDER BY id FOR UPDATE SKIP LOCKED`, tickets)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(chunk))
	for _, d := range chunk {
		if heldTickets[d.c.TicketID] {
			ids = append(ids, d.c.ID)
		}
	}
	held, err := tx.lockSkipping(`SELECT id FROM commitments WHERE id = ANY($1) AND next_at IS NOT NULL
		ORDER BY id FOR UPDATE SKIP LOCKED`, ids)
	if err != nil {
		return nil, err
	}
	mine := make([]dueRow, 0, len(held))
	for _, d := range chunk {
		if held[d.c.ID] {
			mine = append(mine, d)
		}
	}
	return mine, nil
}

// lockSkipping runs a SELECT … FOR UPDATE SKIP LOCKED over ids and returns
// the ids it locked.
func (tx *Tx) lockSkipping(q string, ids []string) (map[string]bool, error) {
	held := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return held, nil
	}
	rows, err := tx.query(q, ids)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, kefu.Internal(err)
		}
		held[id] = true
	}
	return held, kefu.InternalOrNil(rows.Err())
}

// fireOne takes a commitment's due step inside a write.
func (tx *Tx) fireOne(d dueRow, now time.Time) (Fired, bool, error) {
	c := d.c
	st, err := tx.s.CommitSettings(tx.ctx, d.tenant)
	if err != nil {
		return Fired{}, false, err
	}
	step, ok := st.Next(c.MadeAt, c.DueAt, c.Stage)
	if !ok || step.At.After(now) {
		// The ladder is done, or the settings moved the step later: the
		// timer only needs its next time set.
		var next any
		if ok {
			next = us(step.At)
		}
		_, err := tx.exec(`UPDATE commitments SET next_at = $3 WHERE id = $1 AND stage = $2 AND next_at IS NOT NULL`, c.ID, c.Stage, next)
		return Fired{}, false, kefu.InternalOrNil(err)
	}
	var next any
	var nextAt *time.Time
	if following, ok := st.Next(c.MadeAt, c.DueAt, step.Stage); ok {
		at := following.At
		nextAt, next = &at, us(at)
	}
	state, missed := c.State, c.MissedAt
	if step.Kind == commit.StepMiss {
		state, missed = kefu.CommitMissed, &c.DueAt
	}
	level := max(c.Level, step.Level)
	res, err := tx.exec(`UPDATE commitments SET stage = $3, level = $4, next_at = $5, state = $6, missed_at = $7
		WHERE id = $1 AND stage = $2 AND next_at IS NOT NULL AND state IN ('open', 'missed') AND paused_at IS NULL`,
		c.ID, c.Stage, step.Stage, level, next, string(state), nullUS(missed))
	if err != nil {
		return Fired{}, false, kefu.Internal(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return Fired{}, false, nil // another node took this step, or the commitment was settled meanwhile
	}
	before := c
	c.Stage, c.Level, c.NextAt, c.State, c.MissedAt = step.Stage, level, nextAt, state, missed
	if err := tx.Event(d.tenant, System, "commitment."+string(step.Kind), "commitment", c.ID, c.TicketID, before, map[string]any{
		"commitment": c, "rung": step.Rung, "level": step.Level}); err != nil {
		return Fired{}, false, err
	}
	t := d.t
	if step.Kind == commit.StepMiss {
		if err := tx.onMiss(st, &t, c, now); err != nil {
			return Fired{}, false, err
		}
	}
	if err := tx.alertFor(st, t, c, step, now); err != nil {
		return Fired{}, false, err
	}
	return Fired{TenantID: d.tenant, Commitment: c, Step: step}, true, nil
}

// onMiss raises the ticket's priority one step (a slipped promise is now
// more urgent than new work) and, for a promise made to the customer,
// tells the customer the truth before they have to ask.
func (tx *Tx) onMiss(st commit.Settings, t *kefu.Ticket, c kefu.Commitment, now time.Time) error {
	if t.Status == kefu.StatusClosed {
		return nil
	}
	if up := raisedPriority(t.Priority); up != t.Priority {
		if _, err := tx.exec(`UPDATE tickets SET priority = $2, updated_at = $3 WHERE id = $1`, t.ID, string(up), us(now)); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.Event(t.TenantID, System, "ticket.priority_raised", "ticket", t.ID, t.ID,
			map[string]any{"priority": t.Priority}, map[string]any{"priority": up, "why": "commitment missed", "commitment_id": c.ID}); err != nil {
			return err
		}
		t.Priority = up
	}
	if !c.CustomerVisible || st.TellCustomer == nil || !*st.TellCustomer {
		return nil
	}
	loc, locale := tx.s.tenantLocation(tx.ctx, tx.sql(), t.TenantID)
	locale = tx.s.customerLocale(tx.ctx, tx.sql(), *t, locale)
	rung := "team_lead"
	if len(st.Ladder) > 0 {
		rung = st.Ladder[0].To
	}
	m := kefu.Message{Kind: kefu.MessageNotice, Channel: t.Channel, Body: commit.SlipNotice(locale, c.Description, c.DueAt, loc, rung),
		Attachments: []kefu.Attachment{}}
	return tx.notice(t, &m, now)
}

// notice puts kefu's own message to the customer on a ticket.
func (tx *Tx) notice(t *kefu.Ticket, m *kefu.Message, now time.Time) error {
	if err := tx.insertMessage(t.TenantID, System, t, m, now); err != nil {
		return err
	}
	if _, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1, updated_at = $2 WHERE id = $1`, t.ID, us(now)); err != nil {
		return kefu.Internal(err)
	}
	return tx.Event(t.TenantID, System, "message.created", "message", m.ID, t.ID, nil, m)
}

// raisedPriority is one step more urgent, up to urgent (emergency is only
// for safety screening).
func raisedPriority(p kefu.Priority) kefu.Priority {
	switch p {
	case kefu.PriorityLow:
		return kefu.PriorityNormal
	case kefu.PriorityNormal, "":
		return kefu.PriorityHigh
	case kefu.PriorityHigh:
		return kefu.PriorityUrgent
	}
	return p
}

// withExtra scans a row of commitmentCols followed by more columns.
type withExtra struct {
	rows  *sql.Rows
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra...)...) }

// --- alerts to people ---

// Recipient is a person an alert goes to.
type Recipient struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Locale string `json:"locale,omitempty"`
}

// Alert is what the outbox holds: the facts, already resolved to people;
// the notifier words it per recipient's language when it sends.
type Alert struct {
	ID           string      `json:"id"`
	Kind         string      `json:"kind"`
	TicketID     string      `json:"ticket_id"`
	TicketNumber int64       `json:"ticket_number"`
	Subject      string      `json:"subject"`
	What         string      `json:"what,omitempty"` // the commitment's description or the emergency's kind
	DueAt        *time.Time  `json:"due_at,omitempty"`
	Rung         string      `json:"rung,omitempty"`
	Level        int         `json:"level,omitempty"`
	Owner        string      `json:"owner,omitempty"`
	At           time.Time   `json:"at"`
	Recipients   []Recipient `json:"recipients"`
}

// alertFor resolves who hears of a commitment's step and queues the alert.
func (tx *Tx) alertFor(st commit.Settings, t kefu.Ticket, c kefu.Commitment, step commit.Step, now time.Time) error {
	var who []Recipient
	var err error
	owner := tx.ownerRecipients(t, c)
	switch step.Kind {
	case commit.StepRemind, commit.StepMiss:
		who = owner
		if len(who) == 0 && len(st.Ladder) > 0 { // nobody owns it: the first rung hears of it
			who, err = tx.rungRecipients(t, c, st.Ladder[0].To)
		}
	case commit.StepEscalate:
		who, err = tx.rungRecipients(t, c, step.Rung)
	}
	if err != nil {
		return err
	}
	ownerName := ""
	if len(owner) > 0 {
		ownerName = owner[0].Name
	}
	due := c.DueAt
	return tx.queueAlert(t.TenantID, Alert{Kind: "commitment." + string(step.Kind), TicketID: t.ID, TicketNumber: t.Number, Subject: t.Subject,
		What: c.Description, DueAt: &due, Rung: step.Rung, Level: step.Level, Owner: ownerName, At: now, Recipients: who})
}

// queueAlert writes an alert to the outbox in the current transaction.
// An alert nobody can receive is kept (state "unrouted") so that it shows
// in the log instead of vanishing.
func (tx *Tx) queueAlert(tenantID string, a Alert) error {
	a.ID = newID()
	if a.Recipients == nil {
		a.Recipients = []Recipient{}
	}
	body, err := json.Marshal(a)
	if err != nil {
		return kefu.Internal(err)
	}
	state, next := "pending", any(us(a.At))
	if len(a.Recipients) == 0 {
		state, next = "unrouted", nil
	}
	if _, err := tx.exec(`INSERT INTO notifications (id, tenant_id, kind, ticket_id, alert, state, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, tenantID, a.Kind, a.TicketID, string(body), state, next, us(a.At)); err != nil {
		return kefu.Internal(err)
	}
	tx.AfterCommit(tx.s.kickNotifier)
	return nil
}

// ownerRecipients: the commitment's owner; for a department's deadline, the
// department's staff; for an unowned target, whoever holds the ticket.
func (tx *Tx) ownerRecipients(t kefu.Ticket, c kefu.Commitment) []Recipient {
	q, arg := `SELECT id, name, email, phone, locale FROM users WHERE tenant_id = $1 AND id = $2 AND active = 1`, c.OwnerID
	switch {
	case c.OwnerID == "" && c.DepartmentID != "":
		q, arg = `SELECT id, name, email, phone, locale FROM users WHERE tenant_id = $1 AND department_id = $2 AND active = 1 ORDER BY name LIMIT 20`, c.DepartmentID
	case c.OwnerID == "":
		arg = t.AssigneeID
	}
	if arg == "" {
		return nil
	}
	return tx.recipients(q, t.TenantID, arg)
}

// rungRecipients: the active users of a kind whose grants cover the
// ticket's organization (a grant at an ancestor covers it).
func (tx *Tx) rungRecipients(t kefu.Ticket, c kefu.Commitment, rung string) ([]Recipient, error) {
	if rung == "owner" {
		return tx.ownerRecipients(t, c), nil
	}
	return tx.s.covering(tx.ctx, tx.sql(), t.TenantID, t.OrgID, rung, 20)
}

// covering lists up to limit active users of a kind whose grants cover an
// organization, by name.
func (s *Store) covering(ctx context.Context, q querier, tenantID, orgID, kind string, limit int) ([]Recipient, error) {
	orgs, err := s.cachedOrgs(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	parent := map[string]string{}
	for _, o := range orgs {
		parent[o.ID] = o.ParentID
	}
	covers := map[string]bool{"": true}
	for id := orgID; id != "" && !covers[id]; id = parent[id] {
		covers[id] = true
	}
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.name, u.email, u.phone, u.locale, COALESCE(g.org_id, '') FROM users u JOIN grants g ON g.user_id = u.id
		WHERE u.tenant_id = $1 AND u.kind = $2 AND u.active = 1 ORDER BY u.name, u.id`, tenantID, kind)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []Recipient
	for rows.Next() {
		var r Recipient
		var org string
		if err := rows.Scan(&r.UserID, &r.Name, &r.Email, &r.Phone, &r.Locale, &org); err != nil {
			return nil, kefu.Internal(err)
		}
		if covers[org] && !seen[r.UserID] && len(out) < limit {
			seen[r.UserID] = true
			out = append(out, r)
		}
	}
	return out, kefu.InternalOrNil(rows.Err())
}

func (tx *Tx) recipients(q string, args ...any) []Recipient {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		if rows.Scan(&r.UserID, &r.Name, &r.Email, &r.Phone, &r.Locale) == nil {
			out = append(out, r)
		}
	}
	return out
}
