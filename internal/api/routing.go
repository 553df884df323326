package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/dispatch"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/routing"
	"github.com/kefu-project/kefu/internal/store"
)

type presenceIn struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

type declineIn struct {
	Reason string `json:"reason"`
}

type transferIn struct {
	QueueID        string `json:"queue_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
	Reason         string `json:"reason"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"` // default 120: then it comes back to you
}

// eventStream is a handler result served as server-sent events.
type eventStream struct {
	ch     <-chan dispatch.Message
	done   <-chan struct{}
	cancel func()
	max    time.Duration
}

func (c *call) routing() (*dispatch.Service, error) {
	if c.a.o.Routing == nil {
		return nil, &kefu.Error{Kind: kefu.KindConflict, Code: "routing_off", Message: "routing is not running on this node"}
	}
	return c.a.o.Routing, nil
}

// routed tells routing about a ticket after a write, with the customer's
// tier when the write knew it ("" otherwise); the write stands either way,
// and a routing failure is logged with the request id.
func (c *call) routed(t kefu.Ticket, tier string, err error) {
	if err != nil || c.a.o.Routing == nil {
		return
	}
	if rerr := c.a.o.Routing.TicketChanged(c.r.Context(), t, tier); rerr != nil {
		c.a.log.Error("routing did not take the ticket", "ticket", t.ID, "err", rerr, "request_id", c.r.Header.Get("X-Request-ID"))
	}
}

// queueChanged tells routing a queue was added or changed; the write
// stands either way.
func (c *call) queueChanged(id string) {
	if c.a.o.Routing == nil {
		return
	}
	if err := c.a.o.Routing.QueueChanged(c.r.Context(), c.tenant(), id); err != nil {
		c.a.log.Error("routing did not take the queue's definition", "queue", id, "err", err, "request_id", c.r.Header.Get("X-Request-ID"))
	}
}

// selfOr lets a user act on themselves, or someone with perm on anyone.
func (c *call) selfOr(perm kefu.Permission) error {
	if c.id() == c.p.User.ID {
		return nil
	}
	return c.require(perm)
}

func (a *API) routingRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/queues/{id}/routing", Tag: "routing", Summary: "How a queue routes: skills, tiers, vendor split, overflow steps, priority credits",
		Response: kefu.QueueRouting{}}, inScope(kefu.PermTicketsRead, func(c *call, _ store.Scope) (any, error) {
		if _, err := c.a.s.Queue(c.r.Context(), c.tenant(), c.id()); err != nil {
			return nil, err
		}
		m, err := c.a.s.QueueRoutings(c.r.Context(), c.tenant())
		cfg, ok := m[c.id()]
		if !ok {
			cfg = kefu.QueueRouting{QueueID: c.id(), Skills: []kefu.SkillLevel{}}
		}
		return cfg, err
	}))
	a.add(&Route{Method: "PUT", Path: "/api/v1/queues/{id}/routing", Tag: "routing", Summary: "Set how a queue routes; takes effect at once, also for items waiting",
		Request: kefu.QueueRouting{}, Response: kefu.QueueRouting{}}, withBody(kefu.PermOrgManage, func(c *call, _ store.Scope, in kefu.QueueRouting) (any, error) {
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		in.QueueID = c.id()
		return r.ApplyQueue(c.r.Context(), c.tenant(), c.actor(), in)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/users/{id}/routing", Tag: "routing", Summary: "An agent's skills, capacity, wrap-up and presence",
		Response: kefu.AgentProfile{}}, func(c *call) (any, error) {
		if err := c.selfOr(kefu.PermTicketsAssign); err != nil {
			return nil, err
		}
		return c.a.s.AgentProfile(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "PUT", Path: "/api/v1/users/{id}/routing", Tag: "routing", Summary: "Set an agent's skills (levels 1–10), capacity and wrap-up per channel",
		Request: kefu.AgentProfile{}, Response: kefu.AgentProfile{}}, withBody(kefu.PermUsersManage, func(c *call, _ store.Scope, in kefu.AgentProfile) (any, error) {
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		in.UserID = c.id()
		return r.ApplyAgent(c.r.Context(), c.tenant(), c.actor(), in)
	}))
	a.add(&Route{Method: "PUT", Path: "/api/v1/users/{id}/presence", Tag: "routing", Summary: "Set presence: available, busy, away (with a reason) or offline",
		Request: presenceIn{}, Response: kefu.Presence{}}, func(c *call) (any, error) {
		var in presenceIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.selfOr(kefu.PermTicketsAssign); err != nil {
			return nil, err
		}
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		return r.SetPresence(c.r.Context(), c.tenant(), c.id(), in.State, in.Reason)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/users/{id}/presence-log", Tag: "routing", Summary: "Every presence change of an agent, newest first",
		Query: []Param{{"limit", "integer", "at most 1000"}}, Response: page[kefu.PresenceChange]{}}, func(c *call) (any, error) {
		if err := c.selfOr(kefu.PermTicketsAssign); err != nil {
			return nil, err
		}
		if _, err := c.a.s.AgentProfile(c.r.Context(), c.tenant(), c.id()); err != nil {
			return nil, err
		}
		limit, err := c.qInt("limit", 100)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.PresenceLog(c.r.Context(), c.tenant(), c.id(), limit)
		return list(l), err
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/routing/offers", Tag: "routing", Summary: "Offers waiting for your answer, with why each came to you",
		Response: page[dispatch.Offer]{}}, func(c *call) (any, error) {
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		l, err := r.Offers(c.r.Context(), c.tenant(), c.p.User.ID)
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/accept", Tag: "routing", Summary: "Take the ticket routing offered you",
		Response: kefu.Ticket{}}, inScope(kefu.PermTicketsWrite, func(c *call, sc store.Scope) (any, error) {
		if _, err := c.a.s.Ticket(c.r.Context(), sc, c.id()); err != nil {
			return nil, err
		}
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		return r.Accept(c.r.Context(), c.tenant(), c.id(), c.p.User.ID)
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/decline", Tag: "routing", Summary: "Decline an offer, saying why; it goes to someone else",
		Request: declineIn{}, Status: http.StatusNoContent}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in declineIn) (any, error) {
		if _, err := c.a.s.Ticket(c.r.Context(), sc, c.id()); err != nil {
			return nil, err
		}
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		return nil, r.Decline(c.r.Context(), c.tenant(), c.id(), c.p.User.ID, in.Reason)
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/transfer", Tag: "routing", Summary: "Transfer to a queue (higher tier, experts, problem resolution) or an agent, with a reason; you keep it until they take it",
		Request: transferIn{}, Status: http.StatusNoContent}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in transferIn) (any, error) {
		if _, err := c.a.s.Ticket(c.r.Context(), sc, c.id()); err != nil {
			return nil, err
		}
		if in.UserID != "" {
			if _, err := c.a.s.AgentProfile(c.r.Context(), c.tenant(), in.UserID); err != nil {
				return nil, kefu.FieldError("user_id", "no such agent in this tenant")
			}
		}
		if in.TimeoutSeconds < 0 || in.TimeoutSeconds > 86400 {
			return nil, kefu.FieldError("timeout_seconds", "from 1 to 86400")
		}
		if in.TimeoutSeconds == 0 {
			in.TimeoutSeconds = 120
		}
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		// A supervisor may move anyone's work; an agent only their own.
		return nil, r.Transfer(c.r.Context(), c.tenant(), c.actor(), auth.Can(c.p, kefu.PermTicketsAssign), c.id(),
			dispatch.TransferTarget{QueueID: in.QueueID, AgentID: in.UserID},
			in.Reason, time.Duration(in.TimeoutSeconds)*time.Second)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/routing/live", Tag: "routing", Summary: "Live queues (waiting, longest wait, agents by state, service level today) and agents (state, load, time in state)",
		Response: dispatch.Figures{}}, inScope(kefu.PermTicketsAssign, func(c *call, sc store.Scope) (any, error) {
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		f, err := r.Figures(c.r.Context(), c.tenant())
		if err != nil {
			return nil, err
		}
		v, err := c.liveView(sc)
		if err != nil {
			return nil, err
		}
		return v.figures(f), nil
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/routing/stream", Tag: "routing",
		Summary:  "Server-sent events: view=agent (default) streams your offers; view=supervisor streams live figures (on change, at most once a second) and every routing event",
		Query:    []Param{{"view", "string", "agent or supervisor"}, {"max_seconds", "integer", "end the stream after this long (clients reconnect)"}},
		Response: eventStream{}}, func(c *call) (any, error) {
		supervisor := c.q("view") == "supervisor"
		if v := c.q("view"); v != "" && v != "agent" && v != "supervisor" {
			return nil, kefu.FieldError("view", "agent or supervisor")
		}
		if supervisor {
			if err := c.require(kefu.PermTicketsAssign); err != nil {
				return nil, err
			}
		}
		maxSec, err := c.qInt("max_seconds", 0)
		if err != nil {
			return nil, err
		}
		r, err := c.routing()
		if err != nil {
			return nil, err
		}
		agent := c.p.User.ID
		var filter dispatch.Filter
		if supervisor {
			agent = ""
			sc, err := c.scope(kefu.PermTicketsAssign)
			if err != nil {
				return nil, err
			}
			v, err := c.liveView(sc)
			if err != nil {
				return nil, err
			}
			filter = v.filter
		}
		ch, cancel, err := r.Subscribe(c.r.Context(), c.tenant(), agent, supervisor, filter)
		if err != nil {
			return nil, err
		}
		return eventStream{ch: ch, done: r.Done(), cancel: cancel, max: time.Duration(maxSec) * time.Second}, nil
	})
}

// serveStream writes server-sent events until the client leaves, the
// stream's time is up or the server shuts down.
func serveStream(w http.ResponseWriter, r *http.Request, s eventStream) {
	defer s.cancel()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	rc.Flush()
	var end <-chan time.Time
	if s.max > 0 {
		t := time.NewTimer(s.max)
		defer t.Stop()
		end = t.C
	}
	beat := time.NewTicker(15 * time.Second)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-end:
			return
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case m := <-s.ch:
			b, err := json.Marshal(m.Data)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.Event, b)
		}
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// liveView is what of the live figures a caller's organization scope
// shows: the queues of their subtree (and tenant-wide queues only to a
// tenant-wide scope) and the agents granted inside it. nil maps show all.
type liveView struct {
	queues map[string]bool
	agents map[string]bool
}

func (c *call) liveView(sc store.Scope) (*liveView, error) {
	if sc.OrgIDs == nil {
		return &liveView{}, nil
	}
	qs, err := c.a.s.Queues(c.r.Context(), c.tenant())
	if err != nil {
		return nil, err
	}
	v := &liveView{queues: map[string]bool{}}
	for _, q := range qs {
		if sc.Sees(q.OrgID) {
			v.queues[q.ID] = true
		}
	}
	if v.agents, err = c.a.s.UsersInScope(c.r.Context(), sc); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *liveView) queue(id string) bool { return v.queues == nil || v.queues[id] }
func (v *liveView) agent(id string) bool { return v.agents == nil || v.agents[id] }

func (v *liveView) figures(f dispatch.Figures) dispatch.Figures {
	out := f
	out.Queues, out.Agents = []routing.QueueStats{}, []routing.AgentStats{}
	for _, q := range f.Queues {
		if v.queue(q.Queue) {
			out.Queues = append(out.Queues, q)
		}
	}
	for _, a := range f.Agents {
		if v.agent(a.Agent) {
			out.Agents = append(out.Agents, a)
		}
	}
	return out
}

// filter applies the view to a supervisor stream's events.
func (v *liveView) filter(event string, data json.RawMessage) (json.RawMessage, bool) {
	if v.queues == nil && v.agents == nil {
		return data, true
	}
	switch event {
	case "figures":
		var f dispatch.Figures
		if json.Unmarshal(data, &f) != nil {
			return nil, false
		}
		b, err := json.Marshal(v.figures(f))
		return b, err == nil
	default:
		var ev struct {
			Queue string `json:"queue_id"`
			Agent string `json:"agent_id"`
		}
		if json.Unmarshal(data, &ev) != nil {
			return nil, false
		}
		if ev.Queue != "" {
			return data, v.queue(ev.Queue)
		}
		return data, ev.Agent != "" && v.agent(ev.Agent)
	}
}
