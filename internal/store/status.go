package store

import (
	"context"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// CustomerStatus is what a customer may see of their open matters: each
// ticket, who really has it, and every promise made to them with its date
// and whether it is late. It is built from the records themselves, so it
// cannot say "expedited" unless an expedite is owned and dated.
type CustomerStatus struct {
	CustomerID string         `json:"customer_id"`
	Name       string         `json:"name"`
	Tickets    []StatusTicket `json:"tickets"`
	At         time.Time      `json:"at"`
}

// StatusTicket is one ticket as its customer sees it.
type StatusTicket struct {
	Number      int64              `json:"number"`
	Subject     string             `json:"subject"`
	Status      kefu.Status        `json:"status"`
	OpenedAt    time.Time          `json:"opened_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
	HandledBy   string             `json:"handled_by"` // a person's name, a department, or "waiting for an agent"
	Department  string             `json:"department,omitempty"`
	Expedited   bool               `json:"expedited"`
	Commitments []StatusCommitment `json:"commitments"`
	LastUpdate  *kefu.Message      `json:"last_update,omitempty"` // the newest message addressed to the customer
}

// StatusCommitment is a promise as the customer sees it.
type StatusCommitment struct {
	Kind  kefu.CommitmentKind  `json:"kind"`
	What  string               `json:"what"`
	DueAt time.Time            `json:"due_at"`
	State kefu.CommitmentState `json:"state"`
	Owner string               `json:"owner"`
	Late  bool                 `json:"late"`
}

// CustomerStatusOf builds a customer's status: their tickets that are not
// closed (solved ones for a week), newest first.
func (s *Store) CustomerStatusOf(ctx context.Context, sc Scope, customerID string) (CustomerStatus, error) {
	out := CustomerStatus{CustomerID: customerID, Tickets: []StatusTicket{}, At: s.Now()}
	var merged *string
	if err := s.db.QueryRowContext(ctx, `SELECT name, merged_into FROM customers WHERE tenant_id = $1 AND id = $2`, sc.TenantID, customerID).Scan(&out.Name, &merged); err != nil {
		return out, notFound(err, "customer")
	}
	if merged != nil {
		customerID, out.CustomerID = *merged, *merged
	}
	args := []any{sc.TenantID, customerID, us(out.At.Add(-7 * 24 * time.Hour))}
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.number, t.subject, t.status, t.created_at, t.updated_at,
		COALESCE(u.name, ''), COALESCE(d.name, ''), COALESCE(q.name, '')
		FROM tickets t LEFT JOIN users u ON u.id = t.assignee_id LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN queues q ON q.id = t.queue_id
		WHERE t.tenant_id = $1 AND t.customer_id = $2 AND t.status <> 'closed' AND (t.status <> 'solved' OR t.solved_at >= $3) AND `+
		ticketVisible(sc, "t", &args)+` ORDER BY t.created_at DESC LIMIT 50`, args...)
	if err != nil {
		return out, kefu.Internal(err)
	}
	var ids []string
	for rows.Next() {
		var st StatusTicket
		var id, status, assignee, dept, queue string
		var created, updated int64
		if err := rows.Scan(&id, &st.Number, &st.Subject, &status, &created, &updated, &assignee, &dept, &queue); err != nil {
			rows.Close()
			return out, kefu.Internal(err)
		}
		st.Status, st.OpenedAt, st.UpdatedAt, st.Department = kefu.Status(status), fromUS(created), fromUS(updated), dept
		switch {
		case dept != "" && st.Status == kefu.StatusOnHold:
			st.HandledBy = dept
		case assignee != "":
			st.HandledBy = assignee
		default:
			st.HandledBy = "waiting for an agent"
		}
		st.Commitments = []StatusCommitment{}
		ids = append(ids, id)
		out.Tickets = append(out.Tickets, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, kefu.Internal(err)
	}
	for i, id := range ids {
		cs, err := s.db.QueryContext(ctx, `SELECT c.kind, c.description, c.due_at, c.state, COALESCE(u.name, d.name, '')
			FROM commitments c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN departments d ON d.id = c.department_id
			WHERE c.tenant_id = $1 AND c.ticket_id = $2 AND c.customer_visible = 1 AND c.state <> 'released' ORDER BY c.due_at`, sc.TenantID, id)
		if err != nil {
			return out, kefu.Internal(err)
		}
		for cs.Next() {
			var c StatusCommitment
			var kind, state string
			var due int64
			if err := cs.Scan(&kind, &c.What, &due, &state, &c.Owner); err != nil {
				cs.Close()
				return out, kefu.Internal(err)
			}
			c.Kind, c.State, c.DueAt = kefu.CommitmentKind(kind), kefu.CommitmentState(state), fromUS(due)
			c.Late = c.State == kefu.CommitMissed || (c.State == kefu.CommitOpen && out.At.After(c.DueAt))
			if c.Kind == kefu.CommitExpedite && (c.State == kefu.CommitOpen || c.State == kefu.CommitMissed) {
				out.Tickets[i].Expedited = true
			}
			out.Tickets[i].Commitments = append(out.Tickets[i].Commitments, c)
		}
		cs.Close()
		var m kefu.Message
		var kind, channel string
		var created int64
		err = s.db.QueryRowContext(ctx, `SELECT id, kind, channel, body, created_at FROM messages WHERE tenant_id = $1 AND ticket_id = $2
			AND kind IN ('agent', 'notice') ORDER BY created_at DESC, id DESC LIMIT 1`, sc.TenantID, id).Scan(&m.ID, &kind, &channel, &m.Body, &created)
		if err == nil {
			m.TicketID, m.Kind, m.Channel, m.CreatedAt, m.Attachments = id, kefu.MessageKind(kind), kefu.Channel(channel), fromUS(created), []kefu.Attachment{}
			out.Tickets[i].LastUpdate = &m
		}
	}
	return out, nil
}
