package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/routing"
	"github.com/kefu-project/kefu/internal/store"
)

// Operations run on the owner of a tenant's routing. The public methods
// below do their store work where they are called, and send the engine
// work to the owner as an op.
const (
	opTicket   = "ticket"
	opAccept   = "accept"
	opDecline  = "decline"
	opTransfer = "transfer"
	opPresence = "presence"
	opQueue    = "queue"
	opAgent    = "agent"
	opRemove   = "remove"
	opFigures  = "figures"
	opOffers   = "offers"
	opSnapshot = "snapshot"
)

type op struct {
	Kind       string         `json:"kind"`
	Ticket     *ticketState   `json:"ticket,omitempty"`
	TicketID   string         `json:"ticket_id,omitempty"`
	Agent      string         `json:"agent,omitempty"`
	Supervisor bool           `json:"supervisor,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	State      string         `json:"state,omitempty"`
	QueueID    string         `json:"queue_id,omitempty"`
	Target     routing.Target `json:"target,omitempty"`
	Timeout    time.Duration  `json:"timeout,omitempty"`
}

// ticketState is what routing needs to know of a ticket after a write.
type ticketState struct {
	ID, QueueID, AssigneeID string
	Routable                bool
	Priority                kefu.Priority
	Tier                    string
	CreatedAt               time.Time
}

type accepted struct {
	Offer  Offer  `json:"offer"`
	Expect string `json:"expect"`
}

// apply runs one op on the owner's engine; called with d.mu held.
func (d *desk) apply(ctx context.Context, now time.Time, o op) (any, []routing.Event, error) {
	e := d.e
	switch o.Kind {
	case opTicket:
		t := o.Ticket
		info, known := e.Item(t.ID)
		if t.AssigneeID != "" || !t.Routable {
			delete(d.accepted, t.ID) // the ticket has its assignee (or left routing)
		}
		if known && (!t.Routable || info.Queue != t.QueueID || (t.AssigneeID != "" && t.AssigneeID != info.Agent)) {
			delete(d.offers, t.ID)
			evs, err := e.Remove(now, t.ID)
			d.handle(evs)
			if err != nil {
				return nil, nil, err
			}
			known = false
		}
		if !t.Routable || known {
			return nil, nil, nil
		}
		if err := d.ensureQueue(ctx, now, t.QueueID, false); err != nil {
			return nil, nil, err
		}
		spec := routing.ItemSpec{ID: t.ID, Queue: t.QueueID, Priority: string(t.Priority), CustomerTier: t.Tier,
			Emergency: t.Priority == kefu.PriorityEmergency, Arrived: t.CreatedAt}
		if t.AssigneeID != "" {
			evs, err := e.Hold(now, spec, t.AssigneeID)
			if kefu.IsNotFound(err) {
				return nil, evs, nil // held by someone routing does not know
			}
			return nil, evs, err
		}
		evs, err := e.Enqueue(now, spec)
		return nil, evs, err
	case opAccept:
		info, ok := e.Item(o.TicketID)
		if prev, done := d.accepted[o.TicketID]; done && ok && info.State == "assigned" && info.Agent == o.Agent {
			// The same accept again: its answer was lost on the way back
			// (a bus timeout), so the caller never wrote the ticket. Give
			// the same answer instead of a conflict that would strand it.
			return prev, nil, nil
		}
		if !ok || info.Offered != o.Agent {
			return nil, nil, kefu.Conflict("not_offered", "this ticket is not offered to you")
		}
		res := accepted{Offer: d.offers[o.TicketID]}
		if info.Transfer {
			res.Expect = info.Agent
		}
		delete(d.offers, o.TicketID)
		evs, err := e.Accept(now, o.TicketID, o.Agent)
		if err == nil {
			d.accepted[o.TicketID] = res
		}
		return res, evs, err
	case opDecline:
		info, ok := e.Item(o.TicketID)
		if ok && slices.Contains(info.Declined, o.Agent) {
			return false, nil, nil // declined already: a retry after a lost answer
		}
		if !ok || info.Offered != o.Agent {
			return nil, nil, kefu.Conflict("not_offered", "this ticket is not offered to you")
		}
		evs, err := e.Decline(now, o.TicketID, o.Agent, o.Reason)
		return true, evs, err
	case opTransfer:
		info, ok := e.Item(o.TicketID)
		if !ok || info.State != "assigned" {
			return nil, nil, kefu.Conflict("not_held", "only a ticket an agent holds through routing can be transferred")
		}
		if !o.Supervisor && o.Agent != info.Agent {
			return nil, nil, kefu.Forbidden("not_holder", "only the agent who holds the ticket transfers it")
		}
		if o.Target.Queue != "" {
			if err := d.ensureQueue(ctx, now, o.Target.Queue, false); err != nil {
				return nil, nil, err
			}
		}
		evs, err := e.Transfer(now, o.TicketID, o.Target, o.Reason, o.Timeout)
		return nil, evs, err
	case opPresence:
		st, _ := routing.ParseState(o.State)
		if _, known := e.AgentStats(now, o.Agent); !known {
			// First sign-in of an agent with no profile of their own: their
			// roles' capacity routes them.
			p, err := d.svc.s.AgentProfile(ctx, d.tenant, o.Agent)
			if err != nil {
				return nil, nil, err
			}
			if _, err := e.SetAgent(now, routing.AgentFrom(p)); err != nil {
				return nil, nil, err
			}
		}
		d.stored[o.Agent] = o.State + "\x00" + o.Reason // the caller wrote it
		evs, err := e.SetState(now, o.Agent, st, o.Reason)
		return nil, evs, err
	case opQueue:
		return nil, nil, d.ensureQueue(ctx, now, o.QueueID, true)
	case opAgent:
		p, err := d.svc.s.AgentProfile(ctx, d.tenant, o.Agent)
		if err != nil {
			return nil, nil, err
		}
		evs, err := e.SetAgent(now, routing.AgentFrom(p))
		if err != nil {
			return nil, evs, err
		}
		if st, ok := routing.ParseState(p.Presence.State); ok && st != routing.Offline {
			if info, ok := e.AgentStats(now, p.UserID); ok && info.State == "offline" {
				d.stored[p.UserID] = st.String() + "\x00" + p.Presence.Reason // restored from the store
				more, err := e.SetState(now, p.UserID, st, p.Presence.Reason)
				return nil, append(evs, more...), err
			}
		}
		return nil, evs, nil
	case opRemove:
		delete(d.offers, o.TicketID)
		delete(d.accepted, o.TicketID)
		evs, err := e.Remove(now, o.TicketID)
		if kefu.IsNotFound(err) {
			err = nil
		}
		return nil, evs, err
	case opFigures:
		return d.figures(now), nil, nil
	case opOffers:
		out := []Offer{}
		for _, of := range d.offers {
			if of.AgentID == o.Agent {
				out = append(out, of)
			}
		}
		return out, nil, nil
	case opSnapshot:
		var out []envelope
		if o.Supervisor {
			env := envelope{Supervisor: true, Event: "figures"}
			env.Data = mustJSON(d.figures(now))
			out = append(out, env)
		}
		for _, of := range d.offers {
			if of.AgentID == o.Agent && o.Agent != "" {
				out = append(out, envelope{Agent: o.Agent, Event: "offer", Data: mustJSON(of)})
			}
		}
		return out, nil, nil
	}
	return nil, nil, kefu.FieldError("kind", "unknown routing operation "+o.Kind)
}

// ensureQueue teaches the engine a queue (created after the desk was
// built), or re-reads it when reload is set.
func (d *desk) ensureQueue(ctx context.Context, now time.Time, id string, reload bool) error {
	if _, ok := d.e.OneQueueStats(now, id); ok && !reload {
		return nil
	}
	q, err := d.svc.s.Queue(ctx, d.tenant, id)
	if err != nil {
		return err
	}
	cfgs, err := d.svc.s.QueueRoutings(ctx, d.tenant)
	if err != nil {
		return err
	}
	evs, err := d.e.SetQueue(now, routing.QueueFrom(q, cfgs[id]))
	d.handle(evs)
	return err
}

// TicketChanged keeps routing in step with a ticket after any write: an
// open, unassigned ticket in a queue waits for an agent; one assigned by
// hand counts against that agent; a solved, pending or queue-less ticket
// leaves routing. tier is the customer's when the caller knows it (the
// write that created or found the customer did), so a contact's ticket
// reaches routing without another read; "" reads it.
func (s *Service) TicketChanged(ctx context.Context, t kefu.Ticket, tier string) error {
	st := &ticketState{ID: t.ID, QueueID: t.QueueID, AssigneeID: t.AssigneeID, Priority: t.Priority, CreatedAt: t.CreatedAt,
		Routable: t.QueueID != "" && (t.Status == kefu.StatusNew || t.Status == kefu.StatusOpen)}
	if st.Routable {
		if tier == "" {
			var err error
			if tier, err = s.s.CustomerTier(ctx, t.TenantID, t.CustomerID); err != nil {
				return err
			}
		}
		st.Tier = tier
	}
	return s.exec(ctx, t.TenantID, op{Kind: opTicket, Ticket: st}, nil)
}

// Accept commits the offer made to agentID: the engine first (so the
// decision stands at once), then the ticket, with a conditional write; if
// the ticket changed meanwhile the offer is void and leaves routing.
func (s *Service) Accept(ctx context.Context, tenant, ticketID, agentID string) (kefu.Ticket, error) {
	var res accepted
	if err := s.exec(ctx, tenant, op{Kind: opAccept, TicketID: ticketID, Agent: agentID}, &res); err != nil {
		return kefu.Ticket{}, err
	}
	o := res.Offer
	t, err := s.s.AssignRouted(ctx, tenant, store.Actor{ID: agentID, Kind: "user"}, ticketID, agentID, res.Expect,
		map[string]any{"explanation": o.Explanation, "decision": o.Decision, "offered_at": o.At})
	if errors.Is(err, store.ErrAssignmentChanged) {
		// The same accept twice (a double click, a retry): the ticket is
		// already this agent's, which is what was asked.
		if cur, rerr := s.s.Ticket(ctx, store.Whole(tenant), ticketID); rerr == nil && cur.AssigneeID == agentID {
			return cur, nil
		}
	}
	if err != nil {
		if rerr := s.exec(context.WithoutCancel(ctx), tenant, op{Kind: opRemove, TicketID: ticketID}, nil); rerr != nil {
			s.log.Error("routing: a void offer stayed in routing", "ticket", ticketID, "err", rerr)
		}
	}
	return t, err
}

// Decline returns an offer with a reason; it goes to someone else.
func (s *Service) Decline(ctx context.Context, tenant, ticketID, agentID, reason string) error {
	if reason == "" {
		return kefu.FieldError("reason", "say why")
	}
	var first bool
	if err := s.exec(ctx, tenant, op{Kind: opDecline, TicketID: ticketID, Agent: agentID, Reason: reason}, &first); err != nil {
		return err
	}
	if first {
		s.record(ctx, tenant, ticketID, "ticket.offer_declined", map[string]any{"agent_id": agentID, "reason": reason})
	}
	return nil
}

// TransferTarget is a queue or one agent.
type TransferTarget struct {
	QueueID string
	AgentID string
}

// Transfer hands a ticket its holder works on to a queue or an agent; the
// holder keeps it until the target accepts, and gets it back if nobody
// does within timeout. A supervisor may transfer anyone's ticket.
func (s *Service) Transfer(ctx context.Context, tenant string, a store.Actor, supervisor bool, ticketID string, to TransferTarget, reason string, timeout time.Duration) error {
	if to.QueueID != "" {
		if _, err := s.s.Queue(ctx, tenant, to.QueueID); err != nil {
			return kefu.FieldError("queue_id", "no such queue in this tenant")
		}
	}
	if err := s.exec(ctx, tenant, op{Kind: opTransfer, TicketID: ticketID, Agent: a.ID, Supervisor: supervisor,
		Target: routing.Target{Queue: to.QueueID, Agent: to.AgentID}, Reason: reason, Timeout: timeout}, nil); err != nil {
		return err
	}
	s.record(ctx, tenant, ticketID, "ticket.transfer_started", map[string]any{"queue_id": to.QueueID, "agent_id": to.AgentID,
		"reason": reason, "timeout_seconds": int(timeout / time.Second), "by": a.ID})
	return nil
}

// SetPresence records an agent's state, then routes by it.
func (s *Service) SetPresence(ctx context.Context, tenant, userID, state, reason string) (kefu.Presence, error) {
	st, ok := routing.ParseState(state)
	if !ok || st == routing.WrapUp {
		return kefu.Presence{}, kefu.FieldError("state", "one of available, busy, away, offline")
	}
	if _, err := s.s.AgentProfile(ctx, tenant, userID); err != nil {
		return kefu.Presence{}, err
	}
	p, err := s.s.SetPresence(ctx, tenant, userID, state, reason)
	if err != nil {
		return p, err
	}
	return p, s.exec(ctx, tenant, op{Kind: opPresence, Agent: userID, State: state, Reason: reason}, nil)
}

// ApplyQueue checks a queue's routing data against the engine, saves it and
// routes by it at once.
func (s *Service) ApplyQueue(ctx context.Context, tenant string, a store.Actor, cfg kefu.QueueRouting) (kefu.QueueRouting, error) {
	q, err := s.s.Queue(ctx, tenant, cfg.QueueID)
	if err != nil {
		return cfg, err
	}
	if _, err := routing.New(routing.Options{}).SetQueue(s.now(), routing.QueueFrom(q, cfg)); err != nil {
		return cfg, err
	}
	saved, err := s.s.PutQueueRouting(ctx, tenant, a, cfg)
	if err != nil {
		return saved, err
	}
	return saved, s.exec(ctx, tenant, op{Kind: opQueue, QueueID: cfg.QueueID}, nil)
}

// QueueChanged re-reads a queue whose channel, skills or in-house rule changed.
func (s *Service) QueueChanged(ctx context.Context, tenant, queueID string) error {
	return s.exec(ctx, tenant, op{Kind: opQueue, QueueID: queueID}, nil)
}

// ApplyAgent checks an agent's profile against the engine, saves it and
// routes by it at once.
func (s *Service) ApplyAgent(ctx context.Context, tenant string, a store.Actor, p kefu.AgentProfile) (kefu.AgentProfile, error) {
	cur, err := s.s.AgentProfile(ctx, tenant, p.UserID)
	if err != nil {
		return p, err
	}
	p.Tier, p.VendorID = cur.Tier, cur.VendorID
	if _, err := routing.New(routing.Options{}).SetAgent(s.now(), routing.AgentFrom(p)); err != nil {
		return p, err
	}
	saved, err := s.s.PutAgentProfile(ctx, tenant, a, p)
	if err != nil {
		return saved, err
	}
	return saved, s.exec(ctx, tenant, op{Kind: opAgent, Agent: p.UserID}, nil)
}

// Figures is the live picture for supervisors.
type Figures struct {
	At     time.Time            `json:"at"`
	Node   string               `json:"node"` // the node that routes this tenant
	Day    string               `json:"day"`  // the queue counters are this day's, in the tenant's time zone
	Queues []routing.QueueStats `json:"queues"`
	Agents []routing.AgentStats `json:"agents"`
}

// Figures returns the tenant's live queues and agents.
func (s *Service) Figures(ctx context.Context, tenant string) (Figures, error) {
	var f Figures
	err := s.exec(ctx, tenant, op{Kind: opFigures}, &f)
	return f, err
}

// Offers lists the offers waiting for an agent's answer.
func (s *Service) Offers(ctx context.Context, tenant, agentID string) ([]Offer, error) {
	out := []Offer{}
	err := s.exec(ctx, tenant, op{Kind: opOffers, Agent: agentID}, &out)
	return out, err
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
