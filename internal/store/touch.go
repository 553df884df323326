package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// ticketTouch is a new message's count on its ticket (PostgreSQL): the
// ticket's message_count and updated_at, when its status is one the
// message leaves as it is, and the ticket read back (countMessages). Each
// appended message used to send its UPDATE … RETURNING on its own, a round
// trip of its batch's time apiece and a statement each for PostgreSQL to
// start; the writer now sends the touches of a batch's leading appends in
// one statement before they run (touchTickets), and any other message
// sends the same statement for itself when it runs. Measured with pgbench
// on the 2-core machine, six messages' rows in one statement rather than
// seven: 0.25–0.34 against 0.43–0.60 ms of the machine a message; end to
// end, appends +30 % (docs/benchmarks.md).
type ticketTouch struct {
	sc       Scope
	ticketID string
	still    []string // steadyStatuses of the message's kind
	// Set by countMessages when the statement ran with this touch in it.
	done    bool
	at      time.Time   // the message's time, and the ticket's updated_at
	counted bool        // the ticket matched: it is visible and its status steady
	ticket  kefu.Ticket // as updated, when counted
	// With the count, for SLA targets (slaOnMessage), which would each
	// be another statement of the message's: whether the ticket owes the
	// customer an answer (an open or missed response target), and the
	// customer's tier.
	answerOwed bool
	tier       string
}

// leadingTouches are the touches to make for a batch: those of its
// operations before the first one without a touch, each ticket once.
// Only these: they run first in the batch anyway, so making them before
// any operation runs changes no order. A later operation may change the
// status an earlier one's message depends on (an agent setting a ticket
// to pending just before the customer writes), and keeps its own UPDATE.
// A second message for a ticket in the run keeps its own too, after the
// first (one UPDATE changes a row once).
func leadingTouches(ops []*writeOp) []*ticketTouch {
	var out []*ticketTouch
	seen := map[string]bool{}
	for _, op := range ops {
		t := op.touch
		if t == nil {
			break
		}
		key := t.sc.TenantID + "\x00" + t.ticketID
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, t)
	}
	return out
}

// touchTickets makes the leading touches of a batch in one statement.
// A failure is the batch's (its transaction is aborted).
func touchTickets(tx *sql.Tx, s *Store, ops []*writeOp) error {
	for _, op := range ops { // a batch run again touches afresh
		if op.touch != nil {
			op.touch.done, op.touch.counted = false, false
		}
	}
	touches := leadingTouches(ops)
	if len(touches) < 2 { // one gains nothing: it counts itself when it runs
		return nil
	}
	return countMessages(context.Background(), tx, s.Now(), touches)
}

// countMessages makes touches at now in one statement through q (the
// batch's transaction): the statement of a batch's leading messages, and
// of a message counted alone.
func countMessages(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, now time.Time, touches []*ticketTouch) error {
	var b strings.Builder
	b.WriteString(`UPDATE tickets t SET message_count = t.message_count + 1, updated_at = v.at
		FROM (VALUES `)
	args := make([]any, 0, len(touches)*6)
	for i, tc := range touches {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		p := func(k int) string { return "$" + strconv.Itoa(n+k) }
		if i == 0 {
			b.WriteString("(" + p(1) + "::bigint, " + p(2) + "::text, " + p(3) + "::text, " + p(4) + "::bigint, " + p(5) + "::text[], " + p(6) + "::text[])")
		} else {
			b.WriteString("(" + p(1) + ", " + p(2) + ", " + p(3) + ", " + p(4) + ", " + p(5) + ", " + p(6) + ")")
		}
		var orgs any // NULL: the whole tenant is in scope
		if tc.sc.OrgIDs != nil {
			orgs = append([]string{}, tc.sc.OrgIDs...) // empty: no organization is
		}
		tc.at, tc.counted = now, false
		args = append(args, int64(i), tc.sc.TenantID, tc.ticketID, us(now), tc.still, orgs)
	}
	b.WriteString(`) v(n, tenant_id, id, at, still, orgs)
		WHERE t.tenant_id = v.tenant_id AND t.id = v.id AND t.status = ANY(v.still)
		AND (v.orgs IS NULL OR t.org_id = ANY(v.orgs))
		RETURNING v.n, EXISTS (SELECT 1 FROM commitments c WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id
			AND c.kind IN ('first_response', 'next_response') AND c.state IN ('open', 'missed')),
		COALESCE((SELECT c.tier FROM customers c WHERE c.id = t.customer_id), ''), ` + ticketCols)
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return kefu.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		var owed bool
		var tier string
		t, err := scanTicket(prefixedRow{rows, []any{&n, &owed, &tier}}, "")
		if err != nil {
			return kefu.Internal(err)
		}
		if n < 0 || n >= int64(len(touches)) {
			return kefu.Internal(fmt.Errorf("ticket touch: row %d was not asked for", n))
		}
		tc := touches[n]
		t.TenantID = tc.sc.TenantID
		tc.counted, tc.ticket, tc.answerOwed, tc.tier = true, t, owed, tier
	}
	if err := rows.Err(); err != nil {
		return kefu.Internal(err)
	}
	for _, tc := range touches {
		tc.done = true
	}
	return nil
}

// prefixedRow scans a row's first columns into head and the rest into
// what the caller's scanner asks for.
type prefixedRow struct {
	rows *sql.Rows
	head []any
}

func (r prefixedRow) Scan(dest ...any) error {
	return r.rows.Scan(append(r.head, dest...)...)
}

// touchedFor is the operation's touch if it counted the message on this
// ticket (with its batch or alone), and so knows the ticket's SLA facts.
func (tx *Tx) touchedFor(ticketID string) *ticketTouch {
	if tc := tx.self.touch; tc != nil && tc.done && tc.counted && tc.ticketID == ticketID {
		return tc
	}
	return nil
}
