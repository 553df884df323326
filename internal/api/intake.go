package api

import (
	"net/http"
	"strings"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// screen runs emergency screening on a customer's words; nil when there is
// no emergency (or no screener).
func (c *call) screen(texts ...string) *kefu.Emergency {
	if c.a.o.Screener == nil {
		return nil
	}
	v := c.a.o.Screener.Screen(strings.Join(texts, "\n"))
	if !v.Emergency {
		return nil
	}
	return &kefu.Emergency{Kind: v.Kind, Score: v.Score, Reason: v.Reason}
}

// emergencyQueue is the queue emergencies go to: the tenant's safety queue.
func (c *call) emergencyQueue() string {
	st, err := c.a.s.IntakeSettings(c.r.Context(), c.tenant())
	if err != nil {
		c.a.log.Error("intake settings unreadable; the emergency stays in its queue", "err", err)
		return ""
	}
	return st.SafetyQueueID
}

type ackOut = kefu.Emergency

// announce pushes an emergency to supervisors' streams on every node; the
// ticket's queue lets a scoped supervisor's view place it.
func (c *call) announce(event, queueID string, e kefu.Emergency) {
	if c.a.o.Routing != nil {
		c.a.o.Routing.Announce(c.tenant(), event, queueID, e)
	}
}

func (a *API) intakeRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/intake/settings", Tag: "intake", Summary: "Where emergencies go (the safety team's queue)",
		Response: kefu.IntakeSettings{}}, func(c *call) (any, error) {
		return c.a.s.IntakeSettings(c.r.Context(), c.tenant())
	})
	a.add(&Route{Method: "PUT", Path: "/api/v1/intake/settings", Tag: "intake", Summary: "Set where emergencies go",
		Request: kefu.IntakeSettings{}, Response: kefu.IntakeSettings{}}, func(c *call) (any, error) {
		var in kefu.IntakeSettings
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.PutIntakeSettings(c.r.Context(), c.tenant(), c.actor(), in)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/emergencies", Tag: "intake", Summary: "Emergencies: the open ones (pinned until acknowledged), or all of a ticket's",
		Query:    []Param{{"ticket_id", "string", "all of this ticket's"}, {"open", "boolean", "only those nobody acknowledged (default true without ticket_id)"}},
		Response: page[kefu.Emergency]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		open := c.q("open") != "false" && c.q("ticket_id") == ""
		if c.q("open") == "true" {
			open = true
		}
		l, err := c.a.s.Emergencies(c.r.Context(), sc, open, c.q("ticket_id"))
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/emergencies/{id}/ack", Tag: "intake", Summary: "Acknowledge an emergency: a person has it now",
		Status: http.StatusOK, Response: ackOut{}}, inScope(kefu.PermTicketsWrite, func(c *call, sc store.Scope) (any, error) {
		if c.p.User.VendorID != "" {
			// Emergencies stay in-house: a vendor's agent cannot take one on.
			return nil, kefu.Forbidden("in_house_only", "emergencies are handled by the in-house safety team")
		}
		e, err := c.a.s.AckEmergency(c.r.Context(), sc, c.actor(), c.id())
		if err == nil {
			queue := ""
			if t, terr := c.a.s.Ticket(c.r.Context(), sc, e.TicketID); terr == nil {
				queue = t.QueueID
			}
			c.announce("emergency_acknowledged", queue, e)
		}
		return e, err
	}))
}
