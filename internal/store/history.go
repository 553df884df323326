package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/kefu-project/kefu/internal/kefu"
)

// EventFilter narrows the history.
type EventFilter struct {
	TicketID string
	EntityID string
	Type     string // exact type or prefix ending in "." (e.g. "ticket.")
	AfterSeq int64
	Limit    int
}

// Events reads the append-only history of a tenant in commit order.
func (s *Store) Events(ctx context.Context, tenantID string, f EventFilter) ([]kefu.Event, error) {
	args := []any{tenantID, f.AfterSeq}
	where := []string{"tenant_id = $1", "seq > $2"}
	if f.TicketID != "" {
		args = append(args, f.TicketID)
		where = append(where, "ticket_id <> ''", "ticket_id = "+placeholder(len(args))) // the first term lets the partial index serve
	}
	if f.EntityID != "" {
		// events_entity holds the events of everything but tickets; a
		// ticket's own events (entity_id = ticket_id) are in events_ticket.
		// Each branch names its index's condition so that the index serves.
		args = append(args, f.EntityID)
		p := placeholder(len(args))
		where = append(where, "((entity_id <> ticket_id AND entity_id = "+p+") OR (ticket_id <> '' AND ticket_id = "+p+" AND entity_id = ticket_id))")
	}
	if f.Type != "" {
		if strings.HasSuffix(f.Type, ".") {
			args = append(args, f.Type+"%")
			where = append(where, "type LIKE "+placeholder(len(args)))
		} else {
			args = append(args, f.Type)
			where = append(where, "type = "+placeholder(len(args)))
		}
	}
	args = append(args, clampLimit(f.Limit))
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, at, actor_id, actor_kind, type, entity_kind, entity_id, ticket_id, before, after FROM events WHERE `+
		strings.Join(where, " AND ")+` ORDER BY seq LIMIT `+placeholder(len(args)), args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Event{}
	for rows.Next() {
		e := kefu.Event{TenantID: tenantID}
		var at int64
		var before, after sql.NullString
		if err := rows.Scan(&e.Seq, &e.ID, &at, &e.ActorID, &e.ActorKind, &e.Type, &e.EntityKind, &e.EntityID, &e.TicketID, &before, &after); err != nil {
			return nil, kefu.Internal(err)
		}
		e.At = fromUS(at)
		if before.Valid {
			e.Before = []byte(before.String)
		}
		if after.Valid {
			e.After = []byte(after.String)
		}
		out = append(out, e)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Contacts lists a customer's contacts across channels, newest first (接觸管理).
func (s *Store) Contacts(ctx context.Context, sc Scope, customerID string, limit int) ([]kefu.Contact, error) {
	if _, err := s.Customer(ctx, sc, customerID); err != nil {
		return nil, err
	}
	args := []any{sc.TenantID, customerID}
	vis := "1=1"
	if sc.OrgIDs != nil {
		vis = "(c.ticket_id = '' OR c.ticket_id IN (SELECT id FROM tickets t WHERE t.tenant_id = $1 AND " + ticketVisible(sc, "t", &args) + "))"
	}
	args = append(args, clampLimit(limit))
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.customer_id, c.ticket_id, c.message_id, c.channel, c.direction, c.user_id, c.at FROM contacts c
		WHERE c.tenant_id = $1 AND c.customer_id = $2 AND `+vis+` ORDER BY c.at DESC, c.id DESC LIMIT `+placeholder(len(args)), args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Contact{}
	for rows.Next() {
		var c kefu.Contact
		var channel string
		var at int64
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.TicketID, &c.MessageID, &channel, &c.Direction, &c.UserID, &at); err != nil {
			return nil, kefu.Internal(err)
		}
		c.Channel, c.At = kefu.Channel(channel), fromUS(at)
		out = append(out, c)
	}
	return out, kefu.InternalOrNil(rows.Err())
}
