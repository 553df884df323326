package dispatch

import (
	"context"
	"encoding/json"
)

// envelope is one event on its way to streams, on the bus or in process.
type envelope struct {
	Agent      string          `json:"agent,omitempty"`      // for this agent's streams
	Supervisor bool            `json:"supervisor,omitempty"` // for supervisors' streams
	Event      string          `json:"event"`
	Data       json.RawMessage `json:"data"`
}

type subscriber struct {
	ch         chan Message
	agent      string
	supervisor bool
	filter     Filter
}

// Filter narrows what a supervisor's stream shows (an organization scope):
// it returns the event's data to send, or false to leave it out.
type Filter func(event string, data json.RawMessage) (json.RawMessage, bool)

// tenantSubs are this node's open streams of one tenant.
type tenantSubs struct {
	subs    map[*subscriber]struct{}
	stopBus func()
}

func eventsSubject(tenant string) string { return "kefu.events." + tenant }

// publish hands an event to every node's streams: over the bus when there
// is one (this node receives its own through its subscription), else
// straight to this node's.
func (s *Service) publish(tenant string, env envelope) {
	if s.o.Bus == nil {
		s.deliver(tenant, env)
		return
	}
	b, _ := json.Marshal(env)
	if err := s.o.Bus.Publish(eventsSubject(tenant), b); err != nil {
		s.log.Warn("routing: event not published", "tenant", tenant, "err", err)
	}
}

// Announce pushes an event that is not routing's own (an emergency raised,
// escalated or acknowledged) to every node's supervisor streams. queueID,
// when known, lets a scoped supervisor's filter place it.
func (s *Service) Announce(tenant, event, queueID string, data any) {
	b, err := json.Marshal(map[string]any{"queue_id": queueID, event: data})
	if err != nil {
		return
	}
	s.publish(tenant, envelope{Supervisor: true, Event: event, Data: b})
}

// watched says whether this node has a supervisor stream open for tenant.
func (s *Service) watched(tenant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts := s.subs[tenant]; ts != nil {
		for sub := range ts.subs {
			if sub.supervisor {
				return true
			}
		}
	}
	return false
}

// deliver gives an event to this node's matching streams; a stream too
// slow to keep up misses messages rather than holding routing up.
func (s *Service) deliver(tenant string, env envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.subs[tenant]
	if ts == nil {
		return
	}
	for sub := range ts.subs {
		if (env.Supervisor && sub.supervisor) || (env.Agent != "" && env.Agent == sub.agent) {
			data := env.Data
			if sub.filter != nil && env.Supervisor {
				var ok bool
				if data, ok = sub.filter(env.Event, data); !ok {
					continue
				}
			}
			select {
			case sub.ch <- Message{Event: env.Event, Data: data}:
			default:
			}
		}
	}
}

// Subscribe opens a stream: an agent's offers (agentID), or a supervisor's
// live figures and routing events. The first messages are the current state.
func (s *Service) Subscribe(ctx context.Context, tenant, agentID string, supervisor bool, filter Filter) (<-chan Message, func(), error) {
	sub := &subscriber{ch: make(chan Message, 256), agent: agentID, supervisor: supervisor, filter: filter}
	s.mu.Lock()
	ts := s.subs[tenant]
	if ts == nil {
		ts = &tenantSubs{subs: map[*subscriber]struct{}{}}
		s.subs[tenant] = ts
	}
	ts.subs[sub] = struct{}{}
	needBus := s.o.Bus != nil && ts.stopBus == nil
	s.mu.Unlock()
	cancel := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(ts.subs, sub)
		if len(ts.subs) == 0 {
			if ts.stopBus != nil {
				ts.stopBus()
			}
			delete(s.subs, tenant)
		}
	}
	if needBus {
		stop, err := s.o.Bus.Subscribe(eventsSubject(tenant), func(b []byte) {
			var env envelope
			if json.Unmarshal(b, &env) == nil {
				s.deliver(tenant, env)
			}
		})
		if err != nil {
			cancel()
			return nil, nil, err
		}
		s.mu.Lock()
		if ts.stopBus == nil && s.subs[tenant] == ts {
			ts.stopBus = stop
		} else {
			stop()
		}
		s.mu.Unlock()
	}
	var first []envelope
	if err := s.exec(ctx, tenant, op{Kind: opSnapshot, Agent: agentID, Supervisor: supervisor}, &first); err != nil {
		cancel()
		return nil, nil, err
	}
	for _, env := range first {
		data := env.Data
		if filter != nil && env.Supervisor {
			var ok bool
			if data, ok = filter(env.Event, data); !ok {
				continue
			}
		}
		select {
		case sub.ch <- Message{Event: env.Event, Data: data}:
		default:
		}
	}
	return sub.ch, cancel, nil
}
