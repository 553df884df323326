package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kefu-project/kefu/internal/intake"
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

// repeatOf looks for the matter a new contact repeats among its customer's
// recent tickets. An open one takes the contact (ok); a settled one makes
// the new ticket its linked repeat (n is changed). A customer who says they
// asked before is believed when they did write within the window.
func (c *call) repeatOf(sc store.Scope, n *store.NewTicket, words []string) (store.RepeatRecorded, bool, error) {
	ctx := c.r.Context()
	cid, known, err := c.a.s.ResolveCustomerID(ctx, sc, n.Customer, n.Ticket.OrgID)
	n.Customer.Unseen = err == nil && !known && n.Customer.ID == "" // a hint for the write
	if err != nil || !known {
		return store.RepeatRecorded{}, false, err
	}
	st, err := c.a.s.CommitSettings(ctx, c.tenant())
	if err != nil {
		return store.RepeatRecorded{}, false, err
	}
	past, err := c.a.s.RecentTickets(ctx, sc, cid, c.a.o.Clock.Now().AddDate(0, 0, -st.RepeatWindowDays), 20)
	if err != nil || len(past) == 0 {
		return store.RepeatRecorded{}, false, err
	}
	settled := func(t kefu.Ticket) bool { return t.Status == kefu.StatusSolved || t.Status == kefu.StatusClosed }
	matter := intake.MatterOf(words...)
	var hit *store.PastTicket
	why := ""
	for i := range past {
		if same, reason := intake.SameMatter(matter, intake.MatterOf(past[i].Words...)); same {
			hit, why = &past[i], reason
			break
		}
	}
	if hit == nil && intake.ClaimsRepeat(strings.Join(words, "\n")) {
		hit = &past[0]
		why = fmt.Sprintf("the customer says they asked before, and the history agrees: %d contact(s) in the last %d days", len(past), st.RepeatWindowDays)
	}
	if hit == nil {
		return store.RepeatRecorded{}, false, nil
	}
	if !settled(hit.Ticket) {
		rec, err := c.a.s.RecordRepeat(ctx, sc, c.actor(), hit.ID, n.Message, store.Repeat{Reason: why, Threshold: st.RepeatThreshold, ProblemQueueID: st.ProblemQueueID})
		if err == nil {
			return rec, true, nil
		}
		if kefu.KindOf(err) != kefu.KindConflict {
			return rec, false, err
		}
		// Settled meanwhile: the contact opens a new ticket, linked as a repeat.
	}
	n.RepeatOf, n.RepeatReason = hit.ID, why
	return store.RepeatRecorded{}, false, nil
}
