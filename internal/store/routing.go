package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/kefu-project/kefu/internal/kefu"
)

// The routing engine keeps its working state in memory; what it must not
// lose lives here: each queue's routing data, each agent's skills,
// capacity and presence (with the history of every change), and the
// assignment an accepted offer makes, with the decision that led to it.

// PutQueueRouting saves a queue's routing data (validated by the caller,
// which compiles it into the engine first).
func (s *Store) PutQueueRouting(ctx context.Context, tenantID string, a Actor, cfg kefu.QueueRouting) (kefu.QueueRouting, error) {
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("queues", "queue_id", tenantID, cfg.QueueID); err != nil {
			return kefu.NotFound("queue")
		}
		cfg.UpdatedAt = s.Now()
		b, _ := json.Marshal(cfg)
		if _, err := tx.exec(`INSERT INTO routing_queues (queue_id, tenant_id, config, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (queue_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
			cfg.QueueID, tenantID, string(b), us(cfg.UpdatedAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(cfg)
		return tx.Event(tenantID, a, "queue.routing_changed", "queue", cfg.QueueID, "", nil, cfg)
	})
	return cfg, err
}

// QueueRoutings returns the saved routing data of a tenant's queues, by
// queue id; a queue without any routes on defaults.
func (s *Store) QueueRoutings(ctx context.Context, tenantID string) (map[string]kefu.QueueRouting, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT queue_id, config FROM routing_queues WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := map[string]kefu.QueueRouting{}
	for rows.Next() {
		var id, b string
		if err := rows.Scan(&id, &b); err != nil {
			return nil, kefu.Internal(err)
		}
		var cfg kefu.QueueRouting
		if err := json.Unmarshal([]byte(b), &cfg); err != nil {
			return nil, kefu.Internal(err)
		}
		cfg.QueueID = id
		out[id] = cfg
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// PutAgentProfile saves an agent's skills, capacity and wrap-up; their
// presence is kept.
func (s *Store) PutAgentProfile(ctx context.Context, tenantID string, a Actor, p kefu.AgentProfile) (kefu.AgentProfile, error) {
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("users", "user_id", tenantID, p.UserID); err != nil {
			return kefu.NotFound("user")
		}
		now := us(s.Now())
		sk, _ := json.Marshal(nonNilMap(p.Skills))
		cp, _ := json.Marshal(nonNilMap(p.Capacity))
		wr, _ := json.Marshal(nonNilMap(p.WrapUpSeconds))
		if _, err := tx.exec(`INSERT INTO routing_agents (user_id, tenant_id, skills, capacity, wrap_up, state, reason, state_since, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'offline', '', $6, $6)
			ON CONFLICT (user_id) DO UPDATE SET skills = excluded.skills, capacity = excluded.capacity, wrap_up = excluded.wrap_up, updated_at = excluded.updated_at`,
			p.UserID, tenantID, string(sk), string(cp), string(wr), now); err != nil {
			return kefu.Internal(err)
		}
		got, err := agentProfiles(ctx, tx.sql(), tenantID, p.UserID)
		if err != nil {
			return err
		}
		p = got[0]
		tx.SetResult(p)
		return tx.Event(tenantID, a, "agent.routing_changed", "user", p.UserID, "", nil, p)
	})
	return p, err
}

func nonNilMap(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

// AgentProfiles returns the routing profiles of a tenant's agents.
func (s *Store) AgentProfiles(ctx context.Context, tenantID string) ([]kefu.AgentProfile, error) {
	return agentProfiles(ctx, s.db, tenantID, "")
}

// AgentProfile returns one agent's profile (defaults when none is saved).
func (s *Store) AgentProfile(ctx context.Context, tenantID, userID string) (kefu.AgentProfile, error) {
	ps, err := agentProfiles(ctx, s.db, tenantID, userID)
	if err != nil {
		return kefu.AgentProfile{}, err
	}
	return ps[0], nil
}

// agentProfiles reads profiles; with one user id it returns exactly one
// (defaults for a user with no profile) or not found.
func agentProfiles(ctx context.Context, q querier, tenantID, userID string) ([]kefu.AgentProfile, error) {
	query := `SELECT u.id, u.tier, COALESCE(u.vendor_id, ''), COALESCE(r.skills, '{}'), COALESCE(r.capacity, '{}'), COALESCE(r.wrap_up, '{}'),
		COALESCE(r.state, 'offline'), COALESCE(r.reason, ''), COALESCE(r.state_since, 0)
		FROM users u LEFT JOIN routing_agents r ON r.user_id = u.id WHERE u.tenant_id = $1`
	args := []any{tenantID}
	if userID != "" {
		query += ` AND u.id = $2`
		args = append(args, userID)
	} else {
		query += ` AND r.user_id IS NOT NULL AND u.active = 1`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY u.id`, args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.AgentProfile
	for rows.Next() {
		var p kefu.AgentProfile
		var sk, cp, wr string
		var since int64
		if err := rows.Scan(&p.UserID, &p.Tier, &p.VendorID, &sk, &cp, &wr, &p.Presence.State, &p.Presence.Reason, &since); err != nil {
			return nil, kefu.Internal(err)
		}
		_ = json.Unmarshal([]byte(sk), &p.Skills)
		_ = json.Unmarshal([]byte(cp), &p.Capacity)
		_ = json.Unmarshal([]byte(wr), &p.WrapUpSeconds)
		if since != 0 {
			p.Presence.Since = fromUS(since)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	if userID != "" && len(out) == 0 {
		return nil, kefu.NotFound("user")
	}
	return out, roleCapacities(ctx, q, tenantID, out)
}

// roleCapacities fills each profile's RoleCapacity: the highest capacity
// per channel among the roles the agent holds.
func roleCapacities(ctx context.Context, q querier, tenantID string, ps []kefu.AgentProfile) error {
	if len(ps) == 0 {
		return nil
	}
	query := `SELECT g.user_id, r.capacity FROM grants g JOIN roles r ON r.id = g.role_id WHERE r.tenant_id = $1`
	args := []any{tenantID}
	if len(ps) == 1 {
		query += ` AND g.user_id = $2`
		args = append(args, ps[0].UserID)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return kefu.Internal(err)
	}
	defer rows.Close()
	idx := make(map[string]int, len(ps))
	for i, p := range ps {
		idx[p.UserID] = i
	}
	for rows.Next() {
		var user, capacity string
		if err := rows.Scan(&user, &capacity); err != nil {
			return kefu.Internal(err)
		}
		i, ok := idx[user]
		if !ok {
			continue
		}
		var m map[string]int
		_ = json.Unmarshal([]byte(capacity), &m)
		for ch, n := range m {
			if ps[i].RoleCapacity == nil {
				ps[i].RoleCapacity = map[string]int{}
			}
			ps[i].RoleCapacity[ch] = max(ps[i].RoleCapacity[ch], n)
		}
	}
	return kefu.InternalOrNil(rows.Err())
}

// SetPresence records an agent's new state and appends it to the history.
func (s *Store) SetPresence(ctx context.Context, tenantID, userID, state, reason string) (kefu.Presence, error) {
	p := kefu.Presence{State: state, Reason: reason, Since: s.Now()}
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("users", "user_id", tenantID, userID); err != nil {
			return kefu.NotFound("user")
		}
		now := us(p.Since)
		if _, err := tx.exec(`INSERT INTO routing_agents (user_id, tenant_id, state, reason, state_since, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, state_since = excluded.state_since`,
			userID, tenantID, state, reason, now); err != nil {
			return kefu.Internal(err)
		}
		if _, err := tx.exec(`INSERT INTO presence_log (id, tenant_id, user_id, state, reason, at) VALUES ($1, $2, $3, $4, $5, $6)`,
			newID(), tenantID, userID, state, reason, now); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(p)
		return nil
	})
	return p, err
}

// PresenceLog returns an agent's presence history, newest first.
func (s *Store) PresenceLog(ctx context.Context, tenantID, userID string, limit int) ([]kefu.PresenceChange, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT state, reason, at FROM presence_log WHERE tenant_id = $1 AND user_id = $2 ORDER BY at DESC, id DESC LIMIT $3`,
		tenantID, userID, limit)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.PresenceChange{}
	for rows.Next() {
		var c kefu.PresenceChange
		var at int64
		if err := rows.Scan(&c.State, &c.Reason, &at); err != nil {
			return nil, kefu.Internal(err)
		}
		c.At = fromUS(at)
		out = append(out, c)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// RoutedTicket is what the engine needs of a ticket in a queue.
type RoutedTicket struct {
	ID           string
	QueueID      string
	AssigneeID   string
	Priority     kefu.Priority
	CustomerTier string
	CreatedAt    int64 // microseconds
}

// RoutableTickets lists a tenant's open tickets that sit in a queue, to
// rebuild the engine at start: unassigned ones wait, assigned ones count
// against their agent's capacity.
func (s *Store) RoutableTickets(ctx context.Context, tenantID string) ([]RoutedTicket, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.queue_id, COALESCE(t.assignee_id, ''), t.priority, c.tier, t.created_at
		FROM tickets t JOIN customers c ON c.id = t.customer_id
		WHERE t.tenant_id = $1 AND t.queue_id IS NOT NULL AND t.status IN ('new', 'open') ORDER BY t.created_at, t.id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []RoutedTicket
	for rows.Next() {
		var t RoutedTicket
		if err := rows.Scan(&t.ID, &t.QueueID, &t.AssigneeID, &t.Priority, &t.CustomerTier, &t.CreatedAt); err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	// Routing offers them to agents: only tickets that are durable.
	return out, s.durable(ctx)
}

// ErrAssignmentChanged says a routed assignment lost a race: the ticket's
// assignee is no longer the one routing expected.
var ErrAssignmentChanged = kefu.Conflict("assignment_changed", "the ticket was assigned or closed meanwhile")

// AssignRouted commits an accepted offer: the ticket goes to agentID only
// if its assignee is still expect ("" for none) and it is still open; a
// new ticket becomes open. The decision is kept in the ticket's history.
func (s *Store) AssignRouted(ctx context.Context, tenantID string, a Actor, ticketID, agentID, expect string, decision any) (kefu.Ticket, error) {
	var out kefu.Ticket
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		sc := Whole(tenantID)
		before, err := s.ticket(ctx, tx.sql(), sc, ticketID, true)
		if err != nil {
			return err
		}
		if before.AssigneeID != expect || (before.Status != kefu.StatusNew && before.Status != kefu.StatusOpen) {
			return ErrAssignmentChanged
		}
		now := s.Now()
		t := before
		t.AssigneeID, t.UpdatedAt = agentID, now
		if t.Status == kefu.StatusNew {
			t.Status = kefu.StatusOpen
		}
		if _, err := tx.exec(`UPDATE tickets SET assignee_id = $3, status = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
			tenantID, ticketID, agentID, string(t.Status), us(now)); err != nil {
			return kefu.Internal(err)
		}
		out = t
		tx.SetResult(t)
		return tx.Event(tenantID, a, "ticket.routed", "ticket", ticketID, ticketID,
			map[string]any{"assignee_id": before.AssigneeID, "status": before.Status},
			map[string]any{"assignee_id": agentID, "status": t.Status, "decision": decision})
	})
	if errors.Is(err, ErrAssignmentChanged) {
		return out, ErrAssignmentChanged
	}
	return out, err
}

// RecordRouting keeps a routing event that changes no ticket field (an
// offer declined or timed out, a transfer started or pulled back) in the
// ticket's history.
func (s *Store) RecordRouting(ctx context.Context, tenantID string, a Actor, ticketID, typ string, detail any) error {
	return s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		return tx.Event(tenantID, a, typ, "ticket", ticketID, ticketID, nil, detail)
	})
}

// CustomerTier reads just a customer's value tier (routing's priority needs
// nothing else of them); "" when there is no such customer.
func (s *Store) CustomerTier(ctx context.Context, tenantID, customerID string) (string, error) {
	var tier string
	err := s.db.QueryRowContext(ctx, `SELECT tier FROM customers WHERE tenant_id = $1 AND id = $2`, tenantID, customerID).Scan(&tier)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return tier, kefu.InternalOrNil(err)
}
