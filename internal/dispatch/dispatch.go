// Package dispatch runs routing live on a node: one routing engine per
// tenant, built from the store at first use and kept in step with tickets,
// queues, agents and presence. Offers are pushed to agents and live queue
// figures to supervisors as events; accepted offers are committed to the
// ticket with a conditional write and the decision that led to them.
package dispatch

import (
	"context"
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
}

// Service is the node's live routing.
type Service struct {
	o     Options
	s     *store.Store
	log   *slog.Logger
	mu    sync.Mutex
	desks map[string]*desk
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

type subscriber struct {
	ch         chan Message
	agent      string // offers and state for this agent
	supervisor bool   // queue and agent figures
}

// desk is one tenant's live routing.
type desk struct {
	svc    *Service
	tenant string
	mu     sync.Mutex
	e      *routing.Engine
	offers map[string]Offer
	timer  *time.Timer
	subs   map[*subscriber]struct{}
	dirty  bool
}

// New starts the service; Close stops it.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{o: o, s: o.Store, log: o.Logger, desks: map[string]*desk{},
		jobs: make(chan func(context.Context), 4096), stop: make(chan struct{})}
	s.done.Add(2)
	go s.worker()
	go s.pusher()
	return s
}

// Close stops the timers and waits for queued history writes.
func (s *Service) Close() {
	s.mu.Lock()
	select {
	case <-s.stop:
		s.mu.Unlock()
		return
	default:
	}
	close(s.stop)
	for _, d := range s.desks {
		d.mu.Lock()
		if d.timer != nil {
			d.timer.Stop()
		}
		d.mu.Unlock()
	}
	s.mu.Unlock()
	s.done.Wait()
}

// Done is closed when the service stops; event streams end then.
func (s *Service) Done() <-chan struct{} { return s.stop }

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
			s.mu.Lock()
			desks := make([]*desk, 0, len(s.desks))
			for _, d := range s.desks {
				desks = append(desks, d)
			}
			s.mu.Unlock()
			for _, d := range desks {
				d.mu.Lock()
				if d.dirty {
					d.dirty = false
					d.pushFigures()
				}
				d.mu.Unlock()
			}
		}
	}
}

// desk returns the tenant's routing, building it from the store at first use.
func (s *Service) desk(ctx context.Context, tenant string) (*desk, error) {
	s.mu.Lock()
	d := s.desks[tenant]
	s.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d = &desk{svc: s, tenant: tenant, e: routing.New(routing.Options{}), offers: map[string]Offer{}, subs: map[*subscriber]struct{}{}}
	if err := d.load(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if other := s.desks[tenant]; other != nil {
		return other, nil // another request built it first
	}
	s.desks[tenant] = d
	return d, nil
}

func (s *Service) now() time.Time { return s.o.Clock.Now() }

// queueSpec turns a queue and its routing data into the engine's terms.
func queueSpec(q kefu.Queue, cfg kefu.QueueRouting) routing.QueueSpec {
	spec := routing.QueueSpec{ID: q.ID, Channel: engineChannel(q.Channel), InHouseOnly: q.InHouseOnly, Policy: routing.DefaultPolicy()}
	if len(cfg.Skills) > 0 {
		for _, sk := range cfg.Skills {
			spec.Skills = append(spec.Skills, routing.SkillReq{Skill: sk.Skill, MinLevel: sk.MinLevel})
		}
	} else {
		for _, sk := range q.Skills {
			spec.Skills = append(spec.Skills, routing.SkillReq{Skill: sk, MinLevel: 1})
		}
	}
	for _, t := range cfg.Tiers {
		spec.Tiers = append(spec.Tiers, string(t))
	}
	for _, p := range cfg.Split {
		spec.Split = append(spec.Split, routing.Share{Pool: pool(p.Pool), Weight: p.Weight})
	}
	for _, st := range cfg.Steps {
		step := routing.Step{Name: st.Name, After: time.Duration(st.AfterSeconds) * time.Second, RelaxSkills: st.RelaxSkills,
			LowerLevels: st.LowerLevels, OfferCallback: st.OfferCallback}
		for _, t := range st.AddTiers {
			step.AddTiers = append(step.AddTiers, string(t))
		}
		for _, p := range st.AddPools {
			step.AddPools = append(step.AddPools, pool(p))
		}
		spec.Steps = append(spec.Steps, step)
	}
	pol := &spec.Policy
	if sel, ok := routing.ParseSelection(cfg.Selection); ok {
		pol.Selection = sel
	}
	for k, v := range cfg.TierCredit {
		pol.TierCredit[k] = time.Duration(v) * time.Second
	}
	for k, v := range cfg.PriorityCredit {
		pol.PriorityCredit[k] = time.Duration(v) * time.Second
	}
	if cfg.OfferTimeoutSeconds != 0 {
		pol.OfferTimeout = time.Duration(cfg.OfferTimeoutSeconds) * time.Second
	}
	if cfg.ServiceLevelSeconds != 0 {
		pol.ServiceLevel = time.Duration(cfg.ServiceLevelSeconds) * time.Second
	}
	if cfg.SLARiskWindowSeconds != 0 {
		pol.SLARiskWindow = time.Duration(cfg.SLARiskWindowSeconds) * time.Second
	}
	if cfg.SLARiskCreditSeconds != 0 {
		pol.SLARiskCredit = time.Duration(cfg.SLARiskCreditSeconds) * time.Second
	}
	return spec
}

// engineChannel: a queue with no channel takes tickets of any channel, and
// agents give it capacity under "ticket".
func engineChannel(c string) string {
	if c == "" {
		return "ticket"
	}
	return c
}

func pool(p string) string {
	if p == kefu.PoolInHouse {
		return routing.InHouse
	}
	return p
}

func agentSpec(p kefu.AgentProfile) routing.AgentSpec {
	wrap := map[string]time.Duration{}
	for k, v := range p.WrapUpSeconds {
		wrap[k] = time.Duration(v) * time.Second
	}
	return routing.AgentSpec{ID: p.UserID, Tier: string(p.Tier), Vendor: p.VendorID, Skills: p.Skills, Capacity: p.Capacity, WrapUp: wrap}
}

func (d *desk) load(ctx context.Context) error {
	st := d.svc.s
	now := d.svc.now()
	queues, err := st.Queues(ctx, d.tenant)
	if err != nil {
		return err
	}
	cfgs, err := st.QueueRoutings(ctx, d.tenant)
	if err != nil {
		return err
	}
	for _, q := range queues {
		if _, err := d.e.SetQueue(now, queueSpec(q, cfgs[q.ID])); err != nil {
			d.svc.log.Warn("routing: queue left out", "tenant", d.tenant, "queue", q.ID, "err", err)
		}
	}
	profiles, err := st.AgentProfiles(ctx, d.tenant)
	if err != nil {
		return err
	}
	for _, p := range profiles {
		if _, err := d.e.SetAgent(now, agentSpec(p)); err != nil {
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
	// Presence last: agents who were available take the waiting work now.
	for _, p := range profiles {
		s, ok := routing.ParseState(p.Presence.State)
		if !ok || s == routing.Offline {
			continue
		}
		if s == routing.WrapUp {
			s = routing.Available
		}
		evs, _ := d.e.SetState(now, p.UserID, s, p.Presence.Reason)
		d.handle(evs)
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
			d.send(ev.Agent, Message{Event: "offer", Data: o})
		case routing.EvDeclined, routing.EvOfferTimedOut:
			o := d.offers[ev.Item]
			delete(d.offers, ev.Item)
			d.send(ev.Agent, Message{Event: "offer_withdrawn", Data: map[string]string{"ticket_id": ev.Item, "reason": ev.Kind.String()}})
			if ev.Kind == routing.EvOfferTimedOut {
				tenant, item := d.tenant, ev.Item
				d.svc.later(func(ctx context.Context) {
					d.svc.record(ctx, tenant, item, "ticket.offer_timed_out", map[string]any{"agent_id": o.AgentID, "offered_at": o.At})
				})
			}
		case routing.EvAgentState:
			// The engine changed it itself (missed offer, end of wrap-up):
			// keep the record of presence complete.
			tenant, agent, state, reason := d.tenant, ev.Agent, ev.State.String(), ev.Reason
			d.svc.later(func(ctx context.Context) {
				if _, err := d.svc.s.SetPresence(ctx, tenant, agent, state, reason); err != nil {
					d.svc.log.Error("routing: presence not recorded", "tenant", tenant, "agent", agent, "err", err)
				}
			})
			d.send(ev.Agent, Message{Event: "presence", Data: map[string]string{"state": state, "reason": reason}})
		case routing.EvPulledBack:
			tenant, item, agent := d.tenant, ev.Item, ev.Agent
			d.svc.later(func(ctx context.Context) {
				d.svc.record(ctx, tenant, item, "ticket.transfer_pulled_back", map[string]any{"agent_id": agent})
			})
			d.send(ev.Agent, Message{Event: "transfer_pulled_back", Data: map[string]string{"ticket_id": ev.Item}})
		case routing.EvCallbackOffer:
			tenant, item, step := d.tenant, ev.Item, ev.StepName
			d.svc.later(func(ctx context.Context) {
				d.svc.record(ctx, tenant, item, "ticket.callback_offered", map[string]any{"step": step})
			})
		}
		d.sendSupervisors(Message{Event: "routing", Data: eventView(ev)})
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
	if !ok {
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
	select {
	case <-d.svc.stop:
		return
	default:
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handle(d.e.Advance(d.svc.now()))
	d.rearm()
}

// Advance runs every tenant's due timers now (tests and demos move a
// manual clock, then call this).
func (s *Service) Advance() {
	s.mu.Lock()
	desks := make([]*desk, 0, len(s.desks))
	for _, d := range s.desks {
		desks = append(desks, d)
	}
	s.mu.Unlock()
	for _, d := range desks {
		d.tick()
	}
}

// do runs f on the tenant's engine under its lock, handles the events and
// re-arms the timer.
func (s *Service) do(ctx context.Context, tenant string, f func(d *desk, now time.Time) ([]routing.Event, error)) error {
	d, err := s.desk(ctx, tenant)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	evs, err := f(d, s.now())
	d.handle(evs)
	d.rearm()
	return err
}
