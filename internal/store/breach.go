package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/sla"
)

// Breach prediction: for each open SLA target, the probability it will be
// missed, estimated from how long the same kind of target (same policy and
// clock) took this tenant over the last two weeks (sla.Survival).

// AtRisk is an open target with its predicted chance of being missed.
type AtRisk struct {
	Commitment   kefu.Commitment `json:"commitment"`
	TicketNumber int64           `json:"ticket_number"`
	Subject      string          `json:"subject"`
	// Risk is P(missed | still open after Elapsed); Basis says what it
	// stands on ("history" with N past targets, or "time used" when the
	// history is too thin to estimate and Risk is the share of the budget
	// already used).
	Risk           float64 `json:"risk"`
	Basis          string  `json:"basis"`
	Samples        int     `json:"samples"`
	ElapsedSeconds int64   `json:"elapsed_seconds"`
	BudgetSeconds  int64   `json:"budget_seconds"`
}

// AtRiskFilter selects predictions.
type AtRiskFilter struct {
	MinRisk float64 // default 0.5
	Kind    string
	Limit   int
}

// slaKinds are the commitments SLA policies make: the targets predicted.
var slaKinds = []kefu.CommitmentKind{kefu.CommitFirstResponse, kefu.CommitNextResponse, kefu.CommitResolution, kefu.CommitDepartment}

const (
	breachWindow     = 14 * 24 * time.Hour
	breachPerKind    = 5000 // the most recent targets of a kind the estimate reads
	breachMinSamples = 30
	breachTTL        = time.Minute
)

type breachModel struct {
	by     map[string]sla.Survival // kind|policy|business
	byKind map[string]sla.Survival
	built  time.Time
}

type breachCache struct {
	mu sync.Mutex
	m  map[string]breachModel
}

func groupKey(kind, policy string, business bool) string {
	return fmt.Sprintf("%s|%s|%t", kind, policy, business)
}

// breachModelOf builds (or reuses, for a minute) a tenant's estimates.
func (s *Store) breachModelOf(ctx context.Context, tenantID string, now time.Time) (breachModel, error) {
	s.breach.mu.Lock()
	m, ok := s.breach.m[tenantID]
	s.breach.mu.Unlock()
	if ok && now.Sub(m.built) < breachTTL && !now.Before(m.built) {
		return m, nil
	}
	slaSt, err := s.SLASettings(ctx, tenantID)
	if err != nil {
		return m, err
	}
	groups, kinds := map[string][]sla.Sample{}, map[string][]sla.Sample{}
	for _, kind := range slaKinds {
		rows, err := s.db.QueryContext(ctx, `SELECT policy, business, made_at, state, kept_at, released_at FROM commitments
			WHERE tenant_id = $1 AND kind = $2 AND made_at >= $3 ORDER BY made_at DESC LIMIT $4`,
			tenantID, string(kind), us(now.Add(-breachWindow)), breachPerKind)
		if err != nil {
			return m, kefu.Internal(err)
		}
		for rows.Next() {
			var policy, state string
			var business int
			var made int64
			var kept, released sql.NullInt64
			if err := rows.Scan(&policy, &business, &made, &state, &kept, &released); err != nil {
				rows.Close()
				return m, kefu.Internal(err)
			}
			start, end, done := fromUS(made), now, false
			switch {
			case kept.Valid:
				end, done = fromUS(kept.Int64), true
			case released.Valid:
				end = fromUS(released.Int64)
			}
			d := end.Sub(start)
			if business == 1 && slaSt.Cal != nil {
				d = slaSt.Cal.Between(start, end)
			}
			sm := sla.Sample{D: max(d, 0), Done: done}
			k := groupKey(string(kind), policy, business == 1)
			groups[k] = append(groups[k], sm)
			kinds[string(kind)] = append(kinds[string(kind)], sm)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return m, kefu.Internal(err)
		}
	}
	m = breachModel{by: map[string]sla.Survival{}, byKind: map[string]sla.Survival{}, built: now}
	for k, xs := range groups {
		m.by[k] = sla.NewSurvival(xs)
	}
	for k, xs := range kinds {
		m.byKind[k] = sla.NewSurvival(xs)
	}
	s.breach.mu.Lock()
	if s.breach.m == nil {
		s.breach.m = map[string]breachModel{}
	}
	s.breach.m[tenantID] = m
	s.breach.mu.Unlock()
	return m, nil
}

// BreachRisks predicts which open SLA targets in scope will be missed,
// most likely first.
func (s *Store) BreachRisks(ctx context.Context, sc Scope, f AtRiskFilter) ([]AtRisk, error) {
	if f.MinRisk < 0 || f.MinRisk > 1 {
		return nil, kefu.FieldError("min_risk", "from 0 to 1")
	}
	if f.MinRisk == 0 {
		f.MinRisk = 0.5
	}
	now := s.Now()
	model, err := s.breachModelOf(ctx, sc.TenantID, now)
	if err != nil {
		return nil, err
	}
	slaSt, err := s.SLASettings(ctx, sc.TenantID)
	if err != nil {
		return nil, err
	}
	args := []any{sc.TenantID, f.Kind}
	rows, err := s.db.QueryContext(ctx, `SELECT `+commitmentCols+`, t.number, t.subject FROM commitments c JOIN tickets t ON t.id = c.ticket_id
		WHERE c.tenant_id = $1 AND c.state = 'open' AND c.paused_at IS NULL AND c.kind IN ('first_response', 'next_response', 'resolution', 'department_deadline')
		AND ($2 = '' OR c.kind = $2) AND `+ticketVisible(sc, "t", &args)+` ORDER BY c.due_at, c.id LIMIT 2000`, args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []AtRisk{}
	for rows.Next() {
		var r AtRisk
		c, err := scanCommitment(withExtra{rows, []any{&r.TicketNumber, &r.Subject}})
		if err != nil {
			return nil, kefu.Internal(err)
		}
		r.Commitment = c
		elapsed, budget := now.Sub(c.MadeAt), c.DueAt.Sub(c.MadeAt)
		if c.Business && slaSt.Cal != nil {
			elapsed, budget = slaSt.Cal.Between(c.MadeAt, now), slaSt.Cal.Between(c.MadeAt, c.DueAt)
		}
		elapsed, budget = max(elapsed, 0), max(budget, 0)
		r.ElapsedSeconds, r.BudgetSeconds = int64(elapsed/time.Second), int64(budget/time.Second)
		sv, ok := model.by[groupKey(string(c.Kind), c.Policy, c.Business)]
		if !ok || sv.N() < breachMinSamples {
			sv, ok = model.byKind[string(c.Kind)]
		}
		switch {
		case ok && sv.N() >= breachMinSamples:
			r.Risk, r.Samples = sv.BreachRisk(elapsed, budget), sv.N()
			r.Basis = fmt.Sprintf("history: %d %s targets of the last 14 days", sv.N(), c.Kind)
		case budget > 0:
			r.Risk = min(float64(elapsed)/float64(budget), 1)
			r.Basis = "time used: too little history to predict"
		default:
			r.Risk, r.Basis = 1, "time used: no time was given"
		}
		if r.Risk >= f.MinRisk {
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	slices.SortStableFunc(out, func(a, b AtRisk) int {
		return cmp.Or(cmp.Compare(b.Risk, a.Risk), a.Commitment.DueAt.Compare(b.Commitment.DueAt))
	})
	if n := clampLimit(f.Limit); len(out) > n {
		out = out[:n]
	}
	return out, nil
}
