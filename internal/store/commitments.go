package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/commit"
	"github.com/kefu-project/kefu/internal/kefu"
)

func (tx *Tx) addCommitment(tenantID string, a Actor, t *kefu.Ticket, c *kefu.Commitment, now time.Time) error {
	if !kefu.ValidCommitmentKind(c.Kind) {
		return kefu.FieldError("kind", "unknown commitment kind")
	}
	if c.DueAt.IsZero() {
		return kefu.FieldError("due_at", "required")
	}
	if c.OwnerID == "" && c.DepartmentID == "" && !kefu.SLAKind(c.Kind) {
		c.OwnerID = a.ID
		if a.Kind != "user" && a.Kind != "token" {
			c.OwnerID = t.AssigneeID
		}
	}
	// An SLA target may have no owner yet: it belongs to whoever holds the
	// ticket when it fires.
	if c.OwnerID == "" && c.DepartmentID == "" && !kefu.SLAKind(c.Kind) {
		return kefu.FieldError("owner_id", "a commitment needs an owner or a department")
	}
	if err := tx.checkRef("users", "owner_id", tenantID, c.OwnerID); err != nil {
		return err
	}
	if err := tx.checkRef("departments", "department_id", tenantID, c.DepartmentID); err != nil {
		return err
	}
	if len(c.Description) > 2000 {
		return kefu.FieldError("description", "at most 2000 bytes")
	}
	if len(c.Reason) > 2000 {
		return kefu.FieldError("reason", "at most 2000 bytes")
	}
	st, err := tx.s.CommitSettings(tx.ctx, tenantID)
	if err != nil {
		return err
	}
	c.ID, c.TicketID, c.State, c.MadeBy, c.MadeAt = newID(), t.ID, kefu.CommitOpen, a.ID, now
	c.Stage, c.Level, c.MissedAt, c.PausedAt, c.NextAt = commit.StageNew, 0, nil, nil, nil
	if step, ok := st.Next(now, c.DueAt, commit.StageNew); ok {
		if step.Kind != commit.StepRemind {
			c.Stage = commit.StageReminded
		}
		at := step.At
		c.NextAt = &at
	}
	// Queued (insertFirst): a new ticket's SLA targets go with the ticket.
	if err := tx.insertFirst("commitments", `id, tenant_id, ticket_id, kind, description, due_at, owner_id, department_id, state, made_by, made_at,
		next_at, stage, reason, customer_visible, policy, business`, c.ID, tenantID, t.ID, string(c.Kind), c.Description, us(c.DueAt),
		nullStr(c.OwnerID), nullStr(c.DepartmentID), string(c.State), c.MadeBy, us(now), nullUS(c.NextAt), c.Stage, c.Reason,
		boolInt(c.CustomerVisible), c.Policy, boolInt(c.Business)); err != nil {
		return err
	}
	return tx.Event(tenantID, a, "commitment.created", "commitment", c.ID, t.ID, nil, c)
}

// AddCommitment records a promise on a ticket.
func (s *Store) AddCommitment(ctx context.Context, sc Scope, a Actor, ticketID string, c kefu.Commitment) (kefu.Commitment, error) {
	if kefu.SLAKind(c.Kind) {
		return c, kefu.FieldError("kind", "service-level targets are set by the tenant's SLA policy, not by hand")
	}
	c.CustomerVisible = true
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		t, err := s.ticket(ctx, tx.sql(), sc, ticketID, false)
		if err != nil {
			return err
		}
		if t.Status == kefu.StatusClosed {
			return kefu.Conflict("ticket_closed", "the ticket is closed")
		}
		cc := c
		if err := tx.addCommitment(sc.TenantID, a, &t, &cc, s.Now()); err != nil {
			return err
		}
		c = cc
		tx.SetResult(cc)
		return nil
	})
	return c, err
}

// commitmentCols are read from "commitments c".
const commitmentCols = `c.id, c.ticket_id, c.kind, c.description, c.due_at, COALESCE(c.owner_id, ''), COALESCE(c.department_id, ''), c.state,
	c.made_by, c.made_at, c.kept_at, COALESCE(c.released_by, ''), c.released_at, COALESCE(c.release_reason, ''), c.next_at, c.stage, c.level,
	c.missed_at, c.paused_at, c.reason, c.customer_visible, c.policy, c.business`

func scanCommitment(sc interface{ Scan(...any) error }) (kefu.Commitment, error) {
	var c kefu.Commitment
	var kind, state string
	var due, made int64
	var visible, business int
	var kept, released, next, missed, paused sql.NullInt64
	err := sc.Scan(&c.ID, &c.TicketID, &kind, &c.Description, &due, &c.OwnerID, &c.DepartmentID, &state, &c.MadeBy, &made,
		&kept, &c.ReleasedBy, &released, &c.ReleaseReason, &next, &c.Stage, &c.Level, &missed, &paused, &c.Reason, &visible, &c.Policy, &business)
	c.Kind, c.State, c.DueAt, c.MadeAt = kefu.CommitmentKind(kind), kefu.CommitmentState(state), fromUS(due), fromUS(made)
	c.KeptAt, c.ReleasedAt = fromNullUS(kept), fromNullUS(released)
	c.NextAt, c.MissedAt, c.PausedAt = fromNullUS(next), fromNullUS(missed), fromNullUS(paused)
	c.CustomerVisible, c.Business = visible == 1, business == 1
	return c, err
}

// Commitments lists a ticket's commitments, soonest due first.
func (s *Store) Commitments(ctx context.Context, sc Scope, ticketID string) ([]kefu.Commitment, error) {
	if _, err := s.Ticket(ctx, sc, ticketID); err != nil {
		return nil, err
	}
	return s.ticketCommitments(ctx, s.db, sc.TenantID, ticketID)
}

func (s *Store) ticketCommitments(ctx context.Context, q querier, tenantID, ticketID string) ([]kefu.Commitment, error) {
	return commitmentRows(q.QueryContext(ctx, `SELECT `+commitmentCols+` FROM commitments c WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY due_at, id`, tenantID, ticketID))
}

// commitmentRows reads the commitments a query of commitmentCols returns,
// and closes its rows.
func commitmentRows(rows *sql.Rows, err error) ([]kefu.Commitment, error) {
	return collect(rows, err, scanCommitment)
}

// collect reads every row of a query with scan, and closes the rows; err is
// the query's own error, so a call can wrap the query directly. The result
// is never nil (an empty list encodes as []).
func collect[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, v)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// SettleCommitment marks a commitment kept, or released with a reason (the
// caller has checked the authority to release). Its timer stops.
func (s *Store) SettleCommitment(ctx context.Context, sc Scope, a Actor, ticketID, id string, to kefu.CommitmentState, reason string) (kefu.Commitment, error) {
	var out kefu.Commitment
	if to != kefu.CommitKept && to != kefu.CommitReleased {
		return out, kefu.FieldError("state", "must be kept or released")
	}
	if to == kefu.CommitReleased && strings.TrimSpace(reason) == "" {
		return out, kefu.FieldError("reason", "required to release a commitment")
	}
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		if _, err := s.ticket(ctx, tx.sql(), sc, ticketID, false); err != nil {
			return err
		}
		before, err := scanCommitment(tx.queryRow(`SELECT `+commitmentCols+` FROM commitments c WHERE tenant_id = $1 AND ticket_id = $2 AND id = $3`, sc.TenantID, ticketID, id))
		if err != nil {
			return notFound(err, "commitment")
		}
		if before.State != kefu.CommitOpen && before.State != kefu.CommitMissed {
			return kefu.Conflict("commitment_settled", "the commitment is already "+string(before.State))
		}
		if err := tx.relayHolds(sc.TenantID, ticketID, id); err != nil {
			return err
		}
		c, err := tx.settle(sc.TenantID, a, before, to, reason)
		out = c
		tx.SetResult(c)
		return err
	})
	return out, err
}

// settle closes one open commitment inside a write and records it.
func (tx *Tx) settle(tenantID string, a Actor, before kefu.Commitment, to kefu.CommitmentState, reason string) (kefu.Commitment, error) {
	now := tx.s.Now()
	c := before
	c.State, c.NextAt = to, nil
	if to == kefu.CommitKept {
		c.KeptAt = &now
	} else {
		c.ReleasedBy, c.ReleasedAt, c.ReleaseReason = a.ID, &now, reason
	}
	if _, err := tx.exec(`UPDATE commitments SET state = $3, kept_at = $4, released_by = $5, released_at = $6, release_reason = $7, next_at = NULL
		WHERE tenant_id = $1 AND id = $2`,
		tenantID, c.ID, string(c.State), nullUS(c.KeptAt), nullStr(c.ReleasedBy), nullUS(c.ReleasedAt), nullStr(c.ReleaseReason)); err != nil {
		return c, kefu.Internal(err)
	}
	return c, tx.Event(tenantID, a, "commitment."+string(to), "commitment", c.ID, c.TicketID, before, c)
}

// --- authority-bearing actions and approvals ---

const actionCols = `a.id, a.ticket_id, a.action, a.amount, a.currency, a.reason, a.params, a.state, a.requested_by, a.requested_at,
	COALESCE(a.decided_by, ''), a.decided_at, COALESCE(a.decision_note, '')`

func scanAction(sc interface{ Scan(...any) error }) (kefu.ActionRequest, error) {
	var r kefu.ActionRequest
	var action, params, state string
	var req int64
	var decided sql.NullInt64
	err := sc.Scan(&r.ID, &r.TicketID, &action, &r.Amount, &r.Currency, &r.Reason, &params, &state, &r.RequestedBy, &req, &r.DecidedBy, &decided, &r.Decision)
	if err != nil {
		return r, err
	}
	r.Action, r.State, r.RequestedAt, r.DecidedAt = kefu.Action(action), kefu.ApprovalState(state), fromUS(req), fromNullUS(decided)
	err = json.Unmarshal([]byte(params), &r.Params)
	return r, err
}

// RequestAction records an action on a ticket. withinLimit (decided by the
// caller from the requester's roles) makes it approved at once; otherwise
// it waits as a pending approval.
func (s *Store) RequestAction(ctx context.Context, sc Scope, a Actor, ticketID string, r kefu.ActionRequest, withinLimit bool) (kefu.ActionRequest, error) {
	if r.Action == "" {
		return r, kefu.FieldError("action", "required")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return r, kefu.FieldError("reason", "required")
	}
	if r.Amount < 0 {
		return r, kefu.FieldError("amount", "must not be negative")
	}
	if r.Params == nil {
		r.Params = map[string]string{}
	}
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		if _, err := s.ticket(ctx, tx.sql(), sc, ticketID, false); err != nil {
			return err
		}
		now := s.Now()
		r.ID, r.TicketID, r.RequestedBy, r.RequestedAt = newID(), ticketID, a.ID, now
		r.State = kefu.ApprovalPending
		r.DecidedBy, r.DecidedAt, r.Decision = "", nil, ""
		if withinLimit {
			r.State, r.DecidedBy, r.DecidedAt, r.Decision = kefu.ApprovalApproved, a.ID, &now, "within the requester's own limit"
		}
		params, _ := json.Marshal(r.Params)
		if _, err := tx.exec(`INSERT INTO action_requests (id, tenant_id, ticket_id, action, amount, currency, reason, params, state, requested_by, requested_at, decided_by, decided_at, decision_note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, r.ID, sc.TenantID, ticketID, string(r.Action), r.Amount, r.Currency, r.Reason,
			string(params), string(r.State), a.ID, us(now), nullStr(r.DecidedBy), nullUS(r.DecidedAt), nullStr(r.Decision)); err != nil {
			return kefu.Internal(err)
		}
		typ := "action.requested"
		if withinLimit {
			typ = "action.executed"
		}
		tx.SetResult(r)
		return tx.Event(sc.TenantID, a, typ, "action", r.ID, ticketID, nil, r)
	})
	return r, err
}

// ActionRequest reads one action request in scope.
func (s *Store) ActionRequest(ctx context.Context, sc Scope, id string) (kefu.ActionRequest, error) {
	r, err := scanAction(s.db.QueryRowContext(ctx, `SELECT `+actionCols+` FROM action_requests a WHERE a.tenant_id = $1 AND a.id = $2`, sc.TenantID, id))
	if err != nil {
		return r, notFound(err, "approval")
	}
	if _, err := s.Ticket(ctx, sc, r.TicketID); err != nil {
		return r, kefu.NotFound("approval")
	}
	return r, nil
}

// ActionRequests lists requests by state (pending for the approval inbox)
// or by ticket.
func (s *Store) ActionRequests(ctx context.Context, sc Scope, state, ticketID string, limit int) ([]kefu.ActionRequest, error) {
	args := []any{sc.TenantID, state, ticketID}
	vis := ticketVisible(sc, "t", &args)
	args = append(args, clampLimit(limit))
	rows, err := s.db.QueryContext(ctx, `SELECT `+actionCols+` FROM action_requests a JOIN tickets t ON t.id = a.ticket_id
		WHERE a.tenant_id = $1 AND ($2 = '' OR a.state = $2) AND ($3 = '' OR a.ticket_id = $3) AND `+vis+
		` ORDER BY a.requested_at DESC, a.id DESC LIMIT `+placeholder(len(args)), args...)
	return collect(rows, err, scanAction)
}

// DecideAction approves or refuses a pending request. The caller has
// checked that the decider holds the authority.
func (s *Store) DecideAction(ctx context.Context, sc Scope, a Actor, id string, approve bool, note string) (kefu.ActionRequest, error) {
	var out kefu.ActionRequest
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := scanAction(tx.queryRow(`SELECT `+actionCols+` FROM action_requests a WHERE a.tenant_id = $1 AND a.id = $2`+s.forUpdate(), sc.TenantID, id))
		if err != nil {
			return notFound(err, "approval")
		}
		if _, err := s.ticket(ctx, tx.sql(), sc, before.TicketID, false); err != nil {
			return kefu.NotFound("approval")
		}
		if before.State != kefu.ApprovalPending {
			return kefu.Conflict("approval_decided", "the request was already "+string(before.State))
		}
		if before.RequestedBy == a.ID {
			return kefu.Forbidden("own_request", "nobody approves their own request")
		}
		now := s.Now()
		r := before
		r.State = kefu.ApprovalRefused
		if approve {
			r.State = kefu.ApprovalApproved
		}
		r.DecidedBy, r.DecidedAt, r.Decision = a.ID, &now, note
		if _, err := tx.exec(`UPDATE action_requests SET state = $3, decided_by = $4, decided_at = $5, decision_note = $6 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, id, string(r.State), a.ID, us(now), note); err != nil {
			return kefu.Internal(err)
		}
		out = r
		typ := "action.refused"
		if approve {
			typ = "action.executed"
		}
		tx.SetResult(r)
		return tx.Event(sc.TenantID, a, typ, "action", id, r.TicketID, before, r)
	})
	return out, err
}

// CommitmentFilter selects commitments across tickets (a supervisor's view
// of promises at risk, missed or owned by someone).
type CommitmentFilter struct {
	State     string // open, missed, kept, released; "" = open or missed
	Kind      string
	OwnerID   string
	DueBefore *time.Time // at risk: open and due before this
	Limit     int
}

// CommitmentsAcross lists the commitments in scope, soonest due first.
func (s *Store) CommitmentsAcross(ctx context.Context, sc Scope, f CommitmentFilter) ([]kefu.Commitment, error) {
	args := []any{sc.TenantID, f.State, f.Kind, f.OwnerID, int64(0)}
	if f.DueBefore != nil {
		args[4] = us(*f.DueBefore)
	}
	q := `SELECT ` + commitmentCols + ` FROM commitments c JOIN tickets t ON t.id = c.ticket_id
		WHERE c.tenant_id = $1 AND (($2 = '' AND c.state IN ('open', 'missed')) OR c.state = $2) AND ($3 = '' OR c.kind = $3)
		AND ($4 = '' OR c.owner_id = $4) AND ($5 = 0 OR c.due_at < $5) AND ` + ticketVisible(sc, "t", &args)
	args = append(args, clampLimit(f.Limit))
	return commitmentRows(s.db.QueryContext(ctx, q+` ORDER BY c.due_at, c.id LIMIT `+placeholder(len(args)), args...))
}

// KindSummary counts one kind of commitment: how many are open, how many
// slipped, and the kept rate (kept on time over all settled or missed).
type KindSummary struct {
	Kind        string  `json:"kind"`
	Open        int     `json:"open"`
	OpenMissed  int     `json:"open_missed"` // missed and still not kept
	Kept        int     `json:"kept"`
	KeptOnTime  int     `json:"kept_on_time"`
	Missed      int     `json:"missed"` // ever missed, kept late or not
	Released    int     `json:"released"`
	KeptRate    float64 `json:"kept_rate"`
	KeptFormula string  `json:"kept_rate_formula"`
}

// CommitmentSummary counts the commitments made since a time, by kind.
func (s *Store) CommitmentSummary(ctx context.Context, sc Scope, since time.Time) ([]KindSummary, error) {
	args := []any{sc.TenantID, us(since)}
	rows, err := s.db.QueryContext(ctx, `SELECT c.kind,
		SUM(CASE WHEN c.state = 'open' THEN 1 ELSE 0 END), SUM(CASE WHEN c.state = 'missed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN c.state = 'kept' THEN 1 ELSE 0 END), SUM(CASE WHEN c.state = 'kept' AND c.kept_at <= c.due_at THEN 1 ELSE 0 END),
		SUM(CASE WHEN c.missed_at IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN c.state = 'released' THEN 1 ELSE 0 END)
		FROM commitments c JOIN tickets t ON t.id = c.ticket_id
		WHERE c.tenant_id = $1 AND c.made_at >= $2 AND `+ticketVisible(sc, "t", &args)+` GROUP BY c.kind ORDER BY c.kind`, args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []KindSummary{}
	for rows.Next() {
		var k KindSummary
		if err := rows.Scan(&k.Kind, &k.Open, &k.OpenMissed, &k.Kept, &k.KeptOnTime, &k.Missed, &k.Released); err != nil {
			return nil, kefu.Internal(err)
		}
		if d := k.Kept + k.OpenMissed; d > 0 {
			k.KeptRate = float64(k.KeptOnTime) / float64(d)
		}
		k.KeptFormula = "kept on time / (kept + missed and still open); open and released ones are not counted"
		out = append(out, k)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// SeedCommitments stores many commitments on one ticket in one write, with
// their timers but without a history entry each: for the timer benchmark
// and load tests, never for customers' promises (use AddCommitment).
func (s *Store) SeedCommitments(ctx context.Context, tenantID, ticketID, ownerID string, dues []time.Time) error {
	st, err := s.CommitSettings(ctx, tenantID)
	if err != nil {
		return err
	}
	return s.Write(ctx, func(tx *Tx) error {
		now := s.Now()
		for _, due := range dues {
			stage, next := commit.StageNew, any(nil)
			if step, ok := st.Next(now, due, commit.StageNew); ok {
				if step.Kind != commit.StepRemind {
					stage = commit.StageReminded
				}
				next = us(step.At)
			}
			if _, err := tx.exec(`INSERT INTO commitments (id, tenant_id, ticket_id, kind, description, due_at, owner_id, state, made_by, made_at, next_at, stage)
				VALUES ($1, $2, $3, 'callback', 'seeded', $4, $5, 'open', $5, $6, $7, $8)`, newID(), tenantID, ticketID, us(due), ownerID, us(now), next, stage); err != nil {
				return kefu.Internal(err)
			}
		}
		return nil
	})
}
