// Package dispatch runs routing live: one routing engine per tenant, built
// from the store at first use and kept in step with tickets, queues,
// agents and presence. Offers are pushed to agents and live queue figures
// to supervisors as events; accepted offers are committed to the ticket
// with a conditional write and the decision that led to them.
//
// On several nodes, one node owns a tenant's routing at a time, by a lease
// in the database; the others forward routing operations to it over the
// bus (NATS) and receive its events from the bus. When the owner dies its
// lease expires and another node takes over within seconds, rebuilding the
// engine from the store: nothing waiting is lost, and offers not yet
// accepted are made again.
package dispatch

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/routing"
	"github.com/kefu-project/kefu/internal/store"
)

// Options configure the service.
type Options struct {
	Store  *store.Store
	Clock  clock.Clock
	Logger *slog.Logger
	// Bus connects the nodes; nil runs routing in this process only.
	Bus Bus
	// Node names this node in leases (default: a fresh id).
	Node string
	// LeaseTTL is how long an owner's lease lasts unrenewed (default 3s):
	// the longest a tenant's routing pauses when its owner dies.
	LeaseTTL time.Duration
}

// Service is the node's live routing.
type Service struct {
	o     Options
	s     *store.Store
	log   *slog.Logger
	mu    sync.Mutex
	desks map[string]*desk // tenants this node routes
	subs  map[string]*tenantSubs
	jobs  chan func(context.Context)
	stop  chan struct{}
	done  sync.WaitGroup
}

// Offer is work offered to an agent, with why.
type Offer struct {
	TicketID    string           `json:"ticket_id"`
	QueueID     string           `json:"queue_id"`
	AgentID     string           `json:"agent_id"`
	At          time.Time        `json:"at"`
	Explanation string           `json:"explanation"`
	Decision    routing.Decision `json:"decision"`
}

// Message is one server-sent event.
type Message struct {
	Event string
	Data  any
}

// desk is one tenant's live routing on its owning node.
type desk struct {
	svc    *Service
	tenant string
	mu     sync.Mutex
	e      *routing.Engine
	offers map[string]Offer
	// accepted remembers accepts until the ticket's next write, so an accept
	// retried after a lost answer gets the same answer.
	accepted map[string]accepted
	// stored names presence the store already holds (agent → state and
	// reason), so the engine's echo of it is not written twice.
	stored map[string]string
	timer  *time.Timer
	dirty  bool
	closed bool
	loc    *time.Location // the tenant's time zone: "today" for the live figures
	day    string
	// Several nodes: the lease and the request handler.
	until      time.Time
	stopHandle func()
}

// New starts the service; Close stops it.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Node == "" {
		o.Node = store.NewID()
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 3 * time.Second
	}
	s := &Service{o: o, s: o.Store, log: o.Logger, desks: map[string]*desk{}, subs: map[string]*tenantSubs{},
		jobs: make(chan func(context.Context), 4096), stop: make(chan struct{})}
	s.done.Add(2)
	go s.worker()
	go s.pusher()
	if o.Bus != nil {
		s.done.Add(1)
		go s.keepLeases()
	}
	return s
}

// Node is this node's name in leases.
func (s *Service) Node() string { return s.o.Node }

// Done is closed when the service stops; event streams end then.
func (s *Service) Done() <-chan struct{} { return s.stop }

// Close stops routing on this node, gives its leases up so another node
// takes over at once, and waits for queued history writes.
func (s *Service) Close() {
	s.mu.Lock()
	select {
	case <-s.stop:
		s.mu.Unlock()
		return
	default:
	}
	close(s.stop)
	desks := make([]*desk, 0, len(s.desks))
	for _, d := range s.desks {
		desks = append(desks, d)
	}
	s.desks = map[string]*desk{}
	s.mu.Unlock()
	for _, d := range desks {
		d.close()
		if s.o.Bus != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.s.ReleaseLease(ctx, leaseName(d.tenant), s.o.Node)
			cancel()
		}
	}
	s.done.Wait()
	if c, ok := s.o.Bus.(interface{ Close() }); ok {
		c.Close()
	}
}

func (d *desk) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
	}
	if d.stopHandle != nil {
		d.stopHandle()
	}
}

// worker writes what routing did on its own (timeouts, pull-backs, wrap-up
// ends) to the store in order, off the routing lock.
func (s *Service) worker() {
	defer s.done.Done()
	for {
		select {
		case job := <-s.jobs:
			job(context.Background())
		case <-s.stop:
			for {
				select {
				case job := <-s.jobs:
					job(context.Background())
				default:
					return
				}
			}
		}
	}
}

// Sync waits until every history write queued so far is done (tests, and
// a node about to report on them).
func (s *Service) Sync() {
	done := make(chan struct{})
	s.later(func(context.Context) { close(done) })
	select {
	case <-done:
	case <-s.stop:
	}
}

func (s *Service) later(job func(context.Context)) {
	select {
	case s.jobs <- job:
	case <-s.stop:
	}
}

// pusher sends supervisors the figures of desks that changed, at most once
// a second: pushed on change, never polled by the client.
func (s *Service) pusher() {
	defer s.done.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			for _, d := range s.ownedDesks() {
				// On one node, figures nobody watches are not worked out. (With a
				// bus, supervisors may be on other nodes: the owner cannot tell.)
				if s.o.Bus == nil && !s.watched(d.tenant) {
					continue
				}
				d.mu.Lock()
				if d.dirty && !d.closed {
					d.dirty = false
					d.emit(envelope{Supervisor: true, Event: "figures"}, d.figures(s.now()))
				}
				d.mu.Unlock()
			}
		}
	}
}

func (s *Service) ownedDesks() []*desk {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*desk, 0, len(s.desks))
	for _, d := range s.desks {
		out = append(out, d)
	}
	return out
}

func (s *Service) now() time.Time { return s.o.Clock.Now() }

func newDesk(s *Service, tenant string) *desk {
	return &desk{svc: s, tenant: tenant, e: routing.New(routing.Options{}), offers: map[string]Offer{}, accepted: map[string]accepted{},
		stored: map[string]string{}}
}

// load builds the engine from the store: queues, agents, the tickets that
// wait or are held, then presence (so available agents take waiting work).
func (d *desk) load(ctx context.Context) error {
	st := d.svc.s
	now := d.svc.now()
	d.loc = time.UTC
	if t, err := st.Tenant(ctx, d.tenant); err == nil && t.TimeZone != "" {
		if loc, err := time.LoadLocation(t.TimeZone); err == nil {
			d.loc = loc
		}
	}
	d.rollDay(now)
	queues, err := st.Queues(ctx, d.tenant)
	if err != nil {
		return err
	}
	cfgs, err := st.QueueRoutings(ctx, d.tenant)
	if err != nil {
		return err
	}
	for _, q := range queues {
		if _, err := d.e.SetQueue(now, routing.QueueFrom(q, cfgs[q.ID])); err != nil {
			d.svc.log.Warn("routing: queue left out", "tenant", d.tenant, "queue", q.ID, "err", err)
		}
	}
	profiles, err := st.AgentProfiles(ctx, d.tenant)
	if err != nil {
		return err
	}
	for _, p := range profiles {
		if _, err := d.e.SetAgent(now, routing.AgentFrom(p)); err != nil {
			d.svc.log.Warn("routing: agent left out", "tenant", d.tenant, "agent", p.UserID, "err", err)
		}
	}
	tickets, err := st.RoutableTickets(ctx, d.tenant)
	if err != nil {
		return err
	}
	for _, t := range tickets {
		spec := routing.ItemSpec{ID: t.ID, Queue: t.QueueID, Priority: string(t.Priority), CustomerTier: t.CustomerTier,
			Emergency: t.Priority == kefu.PriorityEmergency, Arrived: time.UnixMicro(t.CreatedAt)}
		if t.AssigneeID != "" {
			_, err = d.e.Hold(now, spec, t.AssigneeID)
		} else {
			_, err = d.e.Enqueue(now, spec)
		}
		if err != nil && kefu.KindOf(err) != kefu.KindNotFound {
			return err
		}
	}
	for _, p := range profiles {
		s, ok := routing.ParseState(p.Presence.State)
		if !ok || s == routing.Offline {
			continue
		}
		if s == routing.WrapUp {
			s = routing.Available
		} else {
			d.stored[p.UserID] = s.String() + "\x00" + p.Presence.Reason
		}
		evs, _ := d.e.SetState(now, p.UserID, s, p.Presence.Reason)
		d.handle(evs)
		clear(d.stored)
	}
	d.rearm()
	return nil
}

// handle reacts to what the engine did; called with d.mu held.
func (d *desk) handle(evs []routing.Event) {
	if len(evs) == 0 {
		return
	}
	d.dirty = true
	evs = append([]routing.Event(nil), evs...) // the engine reuses its slice
	for _, ev := range evs {
		switch ev.Kind {
		case routing.EvOffered:
			o := Offer{TicketID: ev.Item, QueueID: ev.Queue, AgentID: ev.Agent, At: ev.At, Explanation: ev.Decision.Explain(), Decision: ev.Decision}
			d.offers[ev.Item] = o
			d.emit(envelope{Agent: ev.Agent, Event: "offer"}, o)
		case routing.EvDeclined, routing.EvOfferTimedOut, routing.EvWithdrawn:
			o := d.offers[ev.Item]
			delete(d.offers, ev.Item)
			d.emit(envelope{Agent: ev.Agent, Event: "offer_withdrawn"}, map[string]string{"ticket_id": ev.Item, "reason": ev.Kind.String()})
			if ev.Kind == routing.EvOfferTimedOut {
				tenant, item := d.tenant, ev.Item
				d.svc.later(func(ctx context.Context) {
					d.svc.record(ctx, tenant, item, "ticket.offer_timed_out", map[string]any{"agent_id": o.AgentID, "offered_at": o.At})
				})
			}
		case routing.EvAgentState:
			// A change the engine made itself (missed offer, wrap-up) is
			// recorded here; one that came from the store (the API wrote
			// it, or a rebuild restored it) is recorded already.
			tenant, agent, state, reason := d.tenant, ev.Agent, ev.State.String(), ev.Reason
			if key := state + "\x00" + reason; d.stored[agent] == key {
				delete(d.stored, agent)
			} else {
				d.svc.later(func(ctx context.Context) {
					if _, err := d.svc.s.SetPresence(ctx, tenant, agent, state, reason); err != nil {
						d.svc.log.Error("routing: presence not recorded", "tenant", tenant, "agent", agent, "err", err)
					}
				})
			}
			d.emit(envelope{Agent: ev.Agent, Event: "presence"}, map[string]string{"state": state, "reason": reason})
		case routing.EvPulledBack:
			tenant, item, agent := d.tenant, ev.Item, ev.Agent
			d.svc.later(func(ctx context.Context) {
				d.svc.record(ctx, tenant, item, "ticket.transfer_pulled_back", map[string]any{"agent_id": agent})
			})
			d.emit(envelope{Agent: ev.Agent, Event: "transfer_pulled_back"}, map[string]string{"ticket_id": ev.Item})
		case routing.EvCallbackOffer:
			tenant, item, step := d.tenant, ev.Item, ev.StepName
			d.svc.later(func(ctx context.Context) {
				d.svc.record(ctx, tenant, item, "ticket.callback_offered", map[string]any{"step": step})
			})
		}
		d.emit(envelope{Supervisor: true, Event: "routing"}, eventView(ev))
	}
}

func (s *Service) record(ctx context.Context, tenant, ticket, typ string, detail any) {
	if err := s.s.RecordRouting(ctx, tenant, store.System, ticket, typ, detail); err != nil && !kefu.IsNotFound(err) {
		s.log.Error("routing: history not recorded", "tenant", tenant, "ticket", ticket, "type", typ, "err", err)
	}
}

// eventView is the supervisor stream's shape of an engine event.
func eventView(ev routing.Event) map[string]any {
	v := map[string]any{"kind": ev.Kind.String(), "at": ev.At}
	for k, s := range map[string]string{"ticket_id": ev.Item, "queue_id": ev.Queue, "agent_id": ev.Agent, "from_agent_id": ev.FromAgent, "reason": ev.Reason} {
		if s != "" {
			v[k] = s
		}
	}
	if ev.Kind == routing.EvAgentState {
		v["state"] = ev.State.String()
	}
	if ev.Kind == routing.EvStep || ev.Kind == routing.EvCallbackOffer {
		v["step"], v["step_name"] = ev.Step, ev.StepName
	}
	return v
}

// rearm sets the real timer to the engine's next deadline.
func (d *desk) rearm() {
	at, ok := d.e.NextTimer()
	if !ok || d.closed {
		return
	}
	wait := max(at.Sub(d.svc.now()), 0)
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.tick)
		return
	}
	d.timer.Reset(wait)
}

func (d *desk) tick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	now := d.svc.now()
	d.rollDay(now)
	d.handle(d.e.Advance(now))
	d.rearm()
}

// rollDay starts the live counters again when the tenant's day changes, so
// the service level shown is today's. (A node that takes a tenant over
// mid-day counts from then on; the day's full figures are the reports'.)
func (d *desk) rollDay(now time.Time) {
	day := now.In(d.loc).Format(time.DateOnly)
	if day != d.day {
		if d.day != "" {
			d.e.ResetStats()
		}
		d.day = day
	}
}

// Advance runs the due timers of every tenant this node routes (tests and
// demos move a manual clock, then call this).
func (s *Service) Advance() {
	for _, d := range s.ownedDesks() {
		d.tick()
	}
}

// figures is the live picture; called with d.mu held.
func (d *desk) figures(now time.Time) Figures {
	return Figures{At: now, Node: d.svc.o.Node, Day: d.day, Queues: d.e.QueueStats(now), Agents: d.e.AllAgentStats(now)}
}

// emit sends an event to the streams of every node; called with d.mu held.
func (d *desk) emit(env envelope, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	env.Data = b
	d.svc.publish(d.tenant, env)
}
