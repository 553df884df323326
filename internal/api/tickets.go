package api

import (
	"net/http"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

type identityIn struct {
	Kind  kefu.IdentityKind `json:"kind"`
	Value string            `json:"value"`
	OrgID string            `json:"org_id,omitempty"`
}

type customerRefIn struct {
	ID         string       `json:"id,omitempty"`
	Name       string       `json:"name,omitempty"`
	Tier       string       `json:"tier,omitempty"`
	Identities []identityIn `json:"identities,omitempty"`
}

type messageIn struct {
	Kind        kefu.MessageKind `json:"kind"`
	Body        string           `json:"body"`
	Channel     kefu.Channel     `json:"channel,omitempty"`
	Attachments []string         `json:"attachments,omitempty"` // ids from POST /api/v1/attachments
}

func (m messageIn) message() kefu.Message {
	out := kefu.Message{Kind: m.Kind, Body: m.Body, Channel: m.Channel}
	for _, id := range m.Attachments {
		out.Attachments = append(out.Attachments, kefu.Attachment{ID: id})
	}
	return out
}

func identities(in []identityIn) []kefu.Identity {
	out := make([]kefu.Identity, len(in))
	for i, id := range in {
		out[i] = kefu.Identity{Kind: id.Kind, Value: id.Value, OrgID: id.OrgID}
	}
	return out
}

type ticketIn struct {
	Subject      string        `json:"subject"`
	Channel      kefu.Channel  `json:"channel,omitempty"`
	Status       kefu.Status   `json:"status,omitempty"`
	Priority     kefu.Priority `json:"priority,omitempty"`
	Category     string        `json:"category,omitempty"`
	Tags         []string      `json:"tags,omitempty"`
	OrgID        string        `json:"org_id,omitempty"`
	QueueID      string        `json:"queue_id,omitempty"`
	AssigneeID   string        `json:"assignee_id,omitempty"`
	DepartmentID string        `json:"department_id,omitempty"`
	ParentID     string        `json:"parent_id,omitempty"`
	Customer     customerRefIn `json:"customer"`
	Message      *messageIn    `json:"message,omitempty"`
}

type ticketPatchIn struct {
	Subject                *string        `json:"subject,omitempty"`
	Status                 *kefu.Status   `json:"status,omitempty"`
	Priority               *kefu.Priority `json:"priority,omitempty"`
	Category               *string        `json:"category,omitempty"`
	Tags                   *[]string      `json:"tags,omitempty"`
	QueueID                *string        `json:"queue_id,omitempty"`
	AssigneeID             *string        `json:"assignee_id,omitempty"`
	OrgID                  *string        `json:"org_id,omitempty"`
	ParentID               *string        `json:"parent_id,omitempty"`
	ReleaseOpenCommitments bool           `json:"release_open_commitments,omitempty"`
	ReleaseReason          string         `json:"release_reason,omitempty"`
}

type forwardIn struct {
	DepartmentID string     `json:"department_id"`
	Note         string     `json:"note,omitempty"`
	DueAt        *time.Time `json:"due_at,omitempty"`
}

type linkIn struct {
	OtherID string        `json:"other_id"`
	Kind    kefu.LinkKind `json:"kind,omitempty"`
}

type commitmentIn struct {
	Kind         kefu.CommitmentKind `json:"kind"`
	Description  string              `json:"description,omitempty"`
	DueAt        time.Time           `json:"due_at"`
	OwnerID      string              `json:"owner_id,omitempty"`
	DepartmentID string              `json:"department_id,omitempty"`
}

type reasonIn struct {
	Reason string `json:"reason"`
}

type actionIn struct {
	Action   kefu.Action       `json:"action"`
	Amount   int64             `json:"amount"` // minor units (fen, cents)
	Currency string            `json:"currency,omitempty"`
	Reason   string            `json:"reason"`
	Params   map[string]string `json:"params,omitempty"`
}

type decisionIn struct {
	Note string `json:"note,omitempty"`
}

var ticketQuery = []Param{
	{"status", "string", "comma-separated statuses (new, open, pending, on_hold, solved, closed)"},
	{"priority", "string", "comma-separated priorities"},
	{"queue_id", "string", ""}, {"assignee_id", "string", "a user id, or none for unassigned"},
	{"customer_id", "string", ""}, {"department_id", "string", ""}, {"org_id", "string", ""},
	{"category", "string", ""}, {"tag", "string", ""}, {"channel", "string", ""},
	{"q", "string", "full-text search (Chinese segmented): subject, messages, tags, number"},
	{"sort", "string", "updated_at (default) or created_at; newest first"},
	{"limit", "integer", "1–200, default 50"}, {"cursor", "string", "next_cursor of the previous page"},
}

func (a *API) registerTickets() {
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets", Tag: "tickets", Summary: "List and search tickets", Query: ticketQuery, Response: page[kefu.Ticket]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		f := store.TicketFilter{QueueID: c.q("queue_id"), AssigneeID: c.q("assignee_id"), CustomerID: c.q("customer_id"),
			DepartmentID: c.q("department_id"), OrgID: c.q("org_id"), Category: c.q("category"), Tag: c.q("tag"),
			Channel: c.q("channel"), Query: c.q("q"), Sort: c.q("sort"), Limit: limit, Cursor: c.q("cursor")}
		for _, s := range c.qList("status") {
			f.Status = append(f.Status, kefu.Status(s))
		}
		for _, p := range c.qList("priority") {
			f.Priority = append(f.Priority, kefu.Priority(p))
		}
		items, next, err := c.a.s.Tickets(c.r.Context(), sc, f)
		return page[kefu.Ticket]{Items: items, NextCursor: next}, err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets", Tag: "tickets", Summary: "Open a ticket with its customer and first message", Status: http.StatusCreated,
		Request: ticketIn{}, Response: store.TicketCreated{}, OneWrite: true}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in ticketIn) (any, error) {
		if (in.AssigneeID != "" || in.QueueID != "") && !auth.Can(c.p, kefu.PermTicketsAssign) && in.AssigneeID != c.p.User.ID {
			return nil, kefu.Forbidden("permission_denied", "assigning needs the tickets.assign permission")
		}
		n := store.NewTicket{
			Ticket: kefu.Ticket{Subject: in.Subject, Channel: in.Channel, Status: in.Status, Priority: in.Priority, Category: in.Category, Tags: in.Tags,
				OrgID: in.OrgID, QueueID: in.QueueID, AssigneeID: in.AssigneeID, DepartmentID: in.DepartmentID, ParentID: in.ParentID},
			Customer: store.CustomerRef{ID: in.Customer.ID, Name: in.Customer.Name, Tier: in.Customer.Tier, Identities: identities(in.Customer.Identities)},
		}
		if in.Message != nil {
			m := in.Message.message()
			n.Message = &m
		}
		// Intake: the customer's words are screened before the ticket exists,
		// so an emergency is one from its first moment.
		words := []string{n.Ticket.Subject}
		if n.Message != nil && (n.Message.Kind == "" || n.Message.Kind == kefu.MessageCustomer) {
			words = append(words, n.Message.Body)
		}
		in2 := c.inspect(words...)
		if e := in2.emergency; e != nil {
			n.Emergency = e
			n.Ticket.Priority = kefu.PriorityEmergency
			if q := c.emergencyQueue(); q != "" {
				n.Ticket.QueueID = q
			}
		}
		if n.Ticket.Category == "" && in2.class.Category != "" && n.Emergency == nil {
			n.Ticket.Category = in2.class.Category
		}
		n.Intake = &in2.record
		if n.Emergency == nil && len(words) > 1 {
			// Intake: the same customer about the same matter joins the open
			// ticket instead of opening another.
			rc, err := c.repeatCheck(words)
			if err != nil {
				return nil, err
			}
			created, joined, err := c.a.s.OpenContact(c.r.Context(), sc, c.actor(), n, rc)
			if err != nil {
				return nil, err
			}
			if joined != nil {
				c.routed(joined.Ticket, "", nil)
				return joined, nil
			}
			c.routed(created.Ticket, created.CustomerTier, nil)
			return created, nil
		}
		created, err := c.a.s.OpenTicket(c.r.Context(), sc, c.actor(), n)
		c.routed(created.Ticket, created.CustomerTier, err)
		if err == nil && n.Emergency != nil {
			c.announce("emergency", created.QueueID, *n.Emergency)
		}
		return created, err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}", Tag: "tickets", Summary: "Read a ticket", Response: kefu.Ticket{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.Ticket(c.r.Context(), sc, c.id())
	}))
	a.add(&Route{Method: "PATCH", Path: "/api/v1/tickets/{id}", Tag: "tickets", Summary: "Change a ticket (status, priority, assignment, tags…)", Request: ticketPatchIn{}, Response: kefu.Ticket{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in ticketPatchIn) (any, error) {
		if (in.AssigneeID != nil && *in.AssigneeID != c.p.User.ID) || in.QueueID != nil {
			if err := c.require(kefu.PermTicketsAssign); err != nil {
				return nil, err
			}
		}
		if in.ReleaseOpenCommitments {
			if err := c.require(kefu.PermApprovalsDecide); err != nil {
				return nil, kefu.Forbidden("permission_denied", "releasing commitments needs the authority to decide approvals")
			}
		}
		t, err := c.a.s.UpdateTicket(c.r.Context(), sc, c.actor(), c.id(), store.TicketPatch{Subject: in.Subject, Status: in.Status, Priority: in.Priority,
			Category: in.Category, Tags: in.Tags, QueueID: in.QueueID, AssigneeID: in.AssigneeID, OrgID: in.OrgID, ParentID: in.ParentID,
			ReleaseOpenCommitments: in.ReleaseOpenCommitments, ReleaseReason: in.ReleaseReason})
		c.routed(t, "", err)
		return t, err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/messages", Tag: "tickets", Summary: "A ticket's conversation, oldest first",
		Query: []Param{{"limit", "integer", ""}, {"cursor", "string", ""}}, Response: page[kefu.Message]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		items, next, err := c.a.s.Messages(c.r.Context(), sc, c.id(), false, limit, c.q("cursor"))
		return page[kefu.Message]{Items: items, NextCursor: next}, err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/messages", Tag: "tickets", Summary: "Add a message, reply or internal note", Status: http.StatusCreated,
		Request: messageIn{}, Response: kefu.Message{}, OneWrite: true}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in messageIn) (any, error) {
		msg := in.message()
		// Intake: a customer's message is screened first, and an emergency is
		// raised before the message is stored, so that no failure after it can
		// lose the alarm.
		var raised *kefu.Ticket
		var rec *kefu.IntakeRecord
		if msg.Kind == kefu.MessageCustomer || msg.Kind == "" {
			in := c.inspect(msg.Body)
			rec = &in.record
			if e := in.emergency; e != nil {
				e.TicketID = c.id()
				// Its own write, first, without the request's Idempotency-Key:
				// the key is saved with the message, which carries the response.
				// A retry must be answered before this write, not by the last.
				if err := c.replayedBeforeWrite(); err != nil {
					return nil, err
				}
				t, em, err := c.a.s.RaiseEmergency(store.WithoutIdempotency(c.r.Context()), sc, c.actor(), *e, c.emergencyQueue())
				if err != nil {
					return nil, err
				}
				raised = &t
				c.announce("emergency", t.QueueID, em)
			}
		}
		m, err := c.a.s.AddInbound(c.r.Context(), sc, c.actor(), c.id(), msg, rec)
		if raised != nil {
			c.routed(*raised, "", nil)
		}
		return m, err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/forward", Tag: "tickets", Summary: "Forward to a department, with a deadline that becomes a commitment",
		Request: forwardIn{}, Response: store.Forwarded{}}, withBody(kefu.PermTicketsForward, func(c *call, sc store.Scope, in forwardIn) (any, error) {
		t, cm, err := c.a.s.Forward(c.r.Context(), sc, c.actor(), c.id(), in.DepartmentID, in.Note, in.DueAt)
		c.routed(t, "", err)
		return store.Forwarded{Ticket: t, Commitment: cm}, err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/links", Tag: "tickets", Summary: "Linked tickets", Response: page[kefu.TicketLink]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		l, err := c.a.s.Links(c.r.Context(), sc, c.id())
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/links", Tag: "tickets", Summary: "Link two tickets (related, duplicate, repeat)", Status: http.StatusCreated,
		Request: linkIn{}, Response: kefu.TicketLink{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in linkIn) (any, error) {
		return c.a.s.Link(c.r.Context(), sc, c.actor(), c.id(), in.OtherID, in.Kind)
	}))
	a.add(&Route{Method: "DELETE", Path: "/api/v1/tickets/{id}/links/{other}", Tag: "tickets", Summary: "Remove a link", Status: http.StatusNoContent}, inScope(kefu.PermTicketsWrite, func(c *call, sc store.Scope) (any, error) {
		return nil, c.a.s.Unlink(c.r.Context(), sc, c.actor(), c.id(), c.r.PathValue("other"))
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/commitments", Tag: "commitments", Summary: "A ticket's commitments, soonest due first", Response: page[kefu.Commitment]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		l, err := c.a.s.Commitments(c.r.Context(), sc, c.id())
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/commitments", Tag: "commitments", Summary: "Record a promise to the customer (owner, due time)", Status: http.StatusCreated,
		Request: commitmentIn{}, Response: kefu.Commitment{}}, withBody(kefu.PermCommitmentsWrite, func(c *call, sc store.Scope, in commitmentIn) (any, error) {
		if err := future(&in.DueAt, c.a.o.Clock.Now(), "due_at"); err != nil {
			return nil, err
		}
		cm, err := c.a.s.AddCommitment(c.r.Context(), sc, c.actor(), c.id(), kefu.Commitment{Kind: in.Kind, Description: in.Description, DueAt: in.DueAt,
			OwnerID: in.OwnerID, DepartmentID: in.DepartmentID})
		return cm, err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/commitments/{cid}/keep", Tag: "commitments", Summary: "Mark a commitment kept", Response: kefu.Commitment{}}, inScope(kefu.PermCommitmentsWrite, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.SettleCommitment(c.r.Context(), sc, c.actor(), c.id(), c.r.PathValue("cid"), kefu.CommitKept, "")
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/commitments/{cid}/release", Tag: "commitments", Summary: "Release a commitment with a reason (needs authority)",
		Request: reasonIn{}, Response: kefu.Commitment{}}, withBody(kefu.PermApprovalsDecide, func(c *call, sc store.Scope, in reasonIn) (any, error) {
		return c.a.s.SettleCommitment(c.r.Context(), sc, c.actor(), c.id(), c.r.PathValue("cid"), kefu.CommitReleased, in.Reason)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/history", Tag: "tickets", Summary: "Every change to a ticket: who, when, before and after",
		Query: []Param{{"after_seq", "integer", ""}, {"limit", "integer", ""}}, Response: page[kefu.Event]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		if _, err := c.a.s.Ticket(c.r.Context(), sc, c.id()); err != nil {
			return nil, err
		}
		after, limit, err := c.eventPage()
		if err != nil {
			return nil, err
		}
		evs, err := c.a.s.Events(c.r.Context(), c.tenant(), store.EventFilter{TicketID: c.id(), AfterSeq: after, Limit: limit})
		return list(evs), err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/actions", Tag: "approvals", Summary: "Authority actions taken or requested on a ticket", Response: page[kefu.ActionRequest]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		if _, err := c.a.s.Ticket(c.r.Context(), sc, c.id()); err != nil {
			return nil, err
		}
		l, err := c.a.s.ActionRequests(c.r.Context(), sc, "", c.id(), 200)
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/actions", Tag: "approvals",
		Summary: "Take an action (refund, compensate, suspend…): within your limit it is approved at once, above it waits for someone who holds the authority",
		Status:  http.StatusCreated, Request: actionIn{}, Response: kefu.ActionRequest{}}, withBody(kefu.PermActionsRequest, func(c *call, sc store.Scope, in actionIn) (any, error) {
		within := auth.WithinLimit(c.p, in.Action, in.Amount)
		return c.a.s.RequestAction(c.r.Context(), sc, c.actor(), c.id(), kefu.ActionRequest{Action: in.Action, Amount: in.Amount,
			Currency: in.Currency, Reason: in.Reason, Params: in.Params}, within)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/approvals", Tag: "approvals", Summary: "Approval requests (state=pending for the inbox)",
		Query: []Param{{"state", "string", "pending, approved or refused"}, {"limit", "integer", ""}}, Response: page[kefu.ActionRequest]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		st := c.q("state")
		switch kefu.ApprovalState(st) {
		case "", kefu.ApprovalPending, kefu.ApprovalApproved, kefu.ApprovalRefused:
		default:
			return nil, kefu.FieldError("state", "must be pending, approved or refused")
		}
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.ActionRequests(c.r.Context(), sc, st, "", limit)
		return list(l), err
	}))
	decide := func(approve bool) handler {
		return func(c *call) (any, error) {
			var in decisionIn
			if len(c.body) > 0 {
				if err := c.decode(&in); err != nil {
					return nil, err
				}
			}
			sc, err := c.scope(kefu.PermApprovalsDecide)
			if err != nil {
				return nil, err
			}
			r, err := c.a.s.ActionRequest(c.r.Context(), sc, c.id())
			if err != nil {
				return nil, err
			}
			if err := auth.CanApprove(c.p, r); err != nil {
				return nil, err
			}
			return c.a.s.DecideAction(c.r.Context(), sc, c.actor(), c.id(), approve, in.Note)
		}
	}
	a.add(&Route{Method: "POST", Path: "/api/v1/approvals/{id}/approve", Tag: "approvals", Summary: "Approve (needs a limit covering the request)", Request: decisionIn{}, Response: kefu.ActionRequest{}}, decide(true))
	a.add(&Route{Method: "POST", Path: "/api/v1/approvals/{id}/refuse", Tag: "approvals", Summary: "Refuse, with a note", Request: decisionIn{}, Response: kefu.ActionRequest{}}, decide(false))
}
