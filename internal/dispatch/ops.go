package dispatch

import (
	"context"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/routing"
	"github.com/kefu-project/kefu/internal/store"
)

// TicketChanged keeps routing in step with a ticket after any write: an
// open, unassigned ticket in a queue waits for an agent; one assigned by
// hand counts against that agent; a solved, pending or queue-less ticket
// leaves routing.
func (s *Service) TicketChanged(ctx context.Context, t kefu.Ticket) error {
	tier := ""
	if t.QueueID != "" && (t.Status == kefu.StatusNew || t.Status == kefu.StatusOpen) {
		c, err := s.s.Customer(ctx, store.Whole(t.TenantID), t.CustomerID)
		if err != nil && !kefu.IsNotFound(err) {
			return err
		}
		tier = c.Tier
	}
	return s.do(ctx, t.TenantID, func(d *desk, now time.Time) ([]routing.Event, error) {
		info, known := d.e.Item(t.ID)
		routable := t.QueueID != "" && (t.Status == kefu.StatusNew || t.Status == kefu.StatusOpen)
		if known && (!routable || info.Queue != t.QueueID || (t.AssigneeID != "" && t.AssigneeID != info.Agent)) {
			delete(d.offers, t.ID)
			evs, err := d.e.Remove(now, t.ID)
			d.handle(evs)
			if err != nil {
				return nil, err
			}
			known = false
		}
		if !routable || known {
			return nil, nil
		}
		if err := d.ensureQueue(ctx, now, t.QueueID); err != nil {
			return nil, err
		}
		spec := routing.ItemSpec{ID: t.ID, Queue: t.QueueID, Priority: string(t.Priority), CustomerTier: tier,
			Emergency: t.Priority == kefu.PriorityEmergency, Arrived: t.CreatedAt}
		if t.AssigneeID != "" {
			evs, err := d.e.Hold(now, spec, t.AssigneeID)
			if kefu.IsNotFound(err) {
				return evs, nil // held by someone routing does not know
			}
			return evs, err
		}
		return d.e.Enqueue(now, spec)
	})
}

// ensureQueue teaches the engine a queue created after the desk was built.
func (d *desk) ensureQueue(ctx context.Context, now time.Time, id string) error {
	if _, ok := d.e.OneQueueStats(now, id); ok {
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
	evs, err := d.e.SetQueue(now, queueSpec(q, cfgs[id]))
	d.handle(evs)
	return err
}

// Accept commits the offer made to agentID: the engine first (so the
// decision stands at once), then the ticket, with a conditional write; if
// the ticket changed meanwhile the offer is void and leaves routing.
func (s *Service) Accept(ctx context.Context, tenant, ticketID, agentID string) (kefu.Ticket, error) {
	var o Offer
	var expect string
	err := s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		info, ok := d.e.Item(ticketID)
		if !ok || info.Offered != agentID {
			return nil, kefu.Conflict("not_offered", "this ticket is not offered to you")
		}
		o = d.offers[ticketID]
		expect = ""
		if info.Transfer {
			expect = info.Agent
		}
		delete(d.offers, ticketID)
		return d.e.Accept(now, ticketID, agentID)
	})
	if err != nil {
		return kefu.Ticket{}, err
	}
	t, err := s.s.AssignRouted(ctx, tenant, store.Actor{ID: agentID, Kind: "user"}, ticketID, agentID, expect,
		map[string]any{"explanation": o.Explanation, "decision": o.Decision, "offered_at": o.At})
	if err != nil {
		s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
			evs, _ := d.e.Remove(now, ticketID)
			return evs, nil
		})
	}
	return t, err
}

// Decline returns an offer with a reason; it goes to someone else.
func (s *Service) Decline(ctx context.Context, tenant, ticketID, agentID, reason string) error {
	if reason == "" {
		return kefu.FieldError("reason", "say why")
	}
	err := s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		info, ok := d.e.Item(ticketID)
		if !ok || info.Offered != agentID {
			return nil, kefu.Conflict("not_offered", "this ticket is not offered to you")
		}
		return d.e.Decline(now, ticketID, agentID, reason)
	})
	if err != nil {
		return err
	}
	s.record(ctx, tenant, ticketID, "ticket.offer_declined", map[string]any{"agent_id": agentID, "reason": reason})
	return nil
}

// TransferTarget is a queue or one agent.
type TransferTarget struct {
	QueueID string
	AgentID string
}

// Transfer hands a ticket its holder works on to a queue or an agent; the
// holder keeps it until the target accepts, and gets it back if nobody
// does within timeout.
func (s *Service) Transfer(ctx context.Context, tenant string, a store.Actor, ticketID string, to TransferTarget, reason string, timeout time.Duration) error {
	if to.QueueID != "" {
		if _, err := s.s.Queue(ctx, tenant, to.QueueID); err != nil {
			return kefu.FieldError("queue_id", "no such queue in this tenant")
		}
	}
	err := s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		info, ok := d.e.Item(ticketID)
		if !ok || info.State != "assigned" {
			return nil, kefu.Conflict("not_held", "only a ticket an agent holds through routing can be transferred")
		}
		if a.Kind == "user" && a.ID != info.Agent {
			return nil, kefu.Forbidden("not_holder", "only the agent who holds the ticket transfers it")
		}
		if to.QueueID != "" {
			if err := d.ensureQueue(ctx, now, to.QueueID); err != nil {
				return nil, err
			}
		}
		return d.e.Transfer(now, ticketID, routing.Target{Queue: to.QueueID, Agent: to.AgentID}, reason, timeout)
	})
	if err != nil {
		return err
	}
	s.record(ctx, tenant, ticketID, "ticket.transfer_started", map[string]any{"queue_id": to.QueueID, "agent_id": to.AgentID,
		"reason": reason, "timeout_seconds": int(timeout / time.Second)})
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
	err = s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		evs, err := d.e.SetState(now, userID, st, reason)
		if kefu.IsNotFound(err) {
			return nil, nil // no routing profile: presence is kept, nothing to route
		}
		return evs, err
	})
	return p, err
}

// ApplyQueue checks a queue's routing data against the engine, saves it and
// routes by it at once.
func (s *Service) ApplyQueue(ctx context.Context, tenant string, a store.Actor, cfg kefu.QueueRouting) (kefu.QueueRouting, error) {
	q, err := s.s.Queue(ctx, tenant, cfg.QueueID)
	if err != nil {
		return cfg, err
	}
	spec := queueSpec(q, cfg)
	if _, err := routing.New(routing.Options{}).SetQueue(s.now(), spec); err != nil {
		return cfg, err
	}
	saved, err := s.s.PutQueueRouting(ctx, tenant, a, cfg)
	if err != nil {
		return saved, err
	}
	return saved, s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		return d.e.SetQueue(now, spec)
	})
}

// QueueChanged re-reads a queue whose channel, skills or in-house rule changed.
func (s *Service) QueueChanged(ctx context.Context, tenant, queueID string) error {
	q, err := s.s.Queue(ctx, tenant, queueID)
	if err != nil {
		return err
	}
	cfgs, err := s.s.QueueRoutings(ctx, tenant)
	if err != nil {
		return err
	}
	return s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		return d.e.SetQueue(now, queueSpec(q, cfgs[queueID]))
	})
}

// ApplyAgent checks an agent's profile against the engine, saves it and
// routes by it at once.
func (s *Service) ApplyAgent(ctx context.Context, tenant string, a store.Actor, p kefu.AgentProfile) (kefu.AgentProfile, error) {
	cur, err := s.s.AgentProfile(ctx, tenant, p.UserID)
	if err != nil {
		return p, err
	}
	p.Tier, p.VendorID = cur.Tier, cur.VendorID
	if _, err := routing.New(routing.Options{}).SetAgent(s.now(), agentSpec(p)); err != nil {
		return p, err
	}
	saved, err := s.s.PutAgentProfile(ctx, tenant, a, p)
	if err != nil {
		return saved, err
	}
	return saved, s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		evs, err := d.e.SetAgent(now, agentSpec(saved))
		if err != nil {
			return evs, err
		}
		if st, ok := routing.ParseState(saved.Presence.State); ok && st != routing.Offline {
			if info, ok := d.e.AgentStats(now, saved.UserID); ok && info.State == "offline" {
				more, err := d.e.SetState(now, saved.UserID, st, saved.Presence.Reason)
				return append(evs, more...), err
			}
		}
		return evs, nil
	})
}

// Figures is the live picture for supervisors.
type Figures struct {
	At     time.Time            `json:"at"`
	Queues []routing.QueueStats `json:"queues"`
	Agents []routing.AgentStats `json:"agents"`
}

// Figures returns the tenant's live queues and agents.
func (s *Service) Figures(ctx context.Context, tenant string) (Figures, error) {
	var f Figures
	err := s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		f = d.figures(now)
		return nil, nil
	})
	return f, err
}

func (d *desk) figures(now time.Time) Figures {
	return Figures{At: now, Queues: d.e.QueueStats(now), Agents: d.e.AllAgentStats(now)}
}

// Offers lists the offers waiting for an agent's answer.
func (s *Service) Offers(ctx context.Context, tenant, agentID string) ([]Offer, error) {
	out := []Offer{}
	err := s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		for _, o := range d.offers {
			if o.AgentID == agentID {
				out = append(out, o)
			}
		}
		return nil, nil
	})
	return out, err
}

// Subscribe opens a stream: an agent's offers (agentID), or a supervisor's
// live figures and routing events. The first message is the current state.
func (s *Service) Subscribe(ctx context.Context, tenant, agentID string, supervisor bool) (<-chan Message, func(), error) {
	sub := &subscriber{ch: make(chan Message, 256), agent: agentID, supervisor: supervisor}
	err := s.do(ctx, tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
		d.subs[sub] = struct{}{}
		if supervisor {
			sub.ch <- Message{Event: "figures", Data: d.figures(now)}
		}
		for _, o := range d.offers {
			if o.AgentID == agentID {
				sub.ch <- Message{Event: "offer", Data: o}
			}
		}
		return nil, nil
	})
	if err != nil {
		return nil, nil, err
	}
	cancel := func() {
		s.do(context.Background(), tenant, func(d *desk, now time.Time) ([]routing.Event, error) {
			delete(d.subs, sub)
			return nil, nil
		})
	}
	return sub.ch, cancel, nil
}

// send delivers to one agent's streams; a stream too slow to keep up
// misses messages rather than holding routing up.
func (d *desk) send(agent string, m Message) {
	for sub := range d.subs {
		if sub.agent == agent && agent != "" {
			select {
			case sub.ch <- m:
			default:
			}
		}
	}
}

func (d *desk) sendSupervisors(m Message) {
	for sub := range d.subs {
		if sub.supervisor {
			select {
			case sub.ch <- m:
			default:
			}
		}
	}
}

func (d *desk) pushFigures() {
	for sub := range d.subs {
		if sub.supervisor {
			d.sendSupervisors(Message{Event: "figures", Data: d.figures(d.svc.now())})
			return
		}
	}
}
