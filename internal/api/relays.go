package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/relay"
	"github.com/kefu-project/kefu/internal/store"
)

// Relay between parties (story 2): parties a tenant knows (drivers,
// couriers, merchants), relays on tickets, the party's replies by code, and
// the authority to restrict a party. docs/relay.md tells the whole of it.

type partyIn struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	ExternalID string `json:"external_id,omitempty"`
	OrgID      string `json:"org_id,omitempty"`
}

type partyPatchIn struct {
	Name       *string `json:"name,omitempty"`
	Phone      *string `json:"phone,omitempty"`
	ExternalID *string `json:"external_id,omitempty"`
	OrgID      *string `json:"org_id,omitempty"`
}

type restrictIn struct {
	Reason   string `json:"reason"`
	TicketID string `json:"ticket_id"`
}

type openRelayIn struct {
	PartyID string `json:"party_id,omitempty"`
	// PartyKind and PartyExternalID find the party by the id the tenant's
	// own system knows it by, instead of PartyID.
	PartyKind       string     `json:"party_kind,omitempty"`
	PartyExternalID string     `json:"party_external_id,omitempty"`
	Body            string     `json:"body"`
	DueAt           *time.Time `json:"due_at,omitempty"`
	OwnerID         string     `json:"owner_id,omitempty"`
}

type relayMessageIn struct {
	From string `json:"from,omitempty"` // agent (default) or customer
	Body string `json:"body"`
}

type closeRelayIn struct {
	Outcome       string `json:"outcome"`
	Note          string `json:"note,omitempty"`
	ReleaseReason string `json:"release_reason,omitempty"`
}

type inboundIn struct {
	Code string `json:"code,omitempty"` // may instead lead the body: "K7M2QX 找到了"
	Body string `json:"body"`
	From string `json:"from,omitempty"` // the sender's number, checked against the party's when given
}

func (a *API) relayRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/parties", Tag: "relay", Summary: "Third parties (drivers, couriers, merchants); phones masked",
		Query: []Param{{"kind", "string", "driver, courier, merchant or other"}, {"external_id", "string", "the id the tenant's own system uses (with kind)"},
			{"restricted", "boolean", ""}, {"limit", "integer", ""}},
		Response: page[store.Party]{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		f := store.PartyFilter{Kind: c.q("kind"), ExternalID: c.q("external_id")}
		switch c.q("restricted") {
		case "":
		case "true":
			t := true
			f.Restricted = &t
		case "false":
			t := false
			f.Restricted = &t
		default:
			return nil, kefu.FieldError("restricted", "true or false")
		}
		var err error
		if f.Limit, err = c.qInt("limit", 50); err != nil {
			return nil, err
		}
		l, err := c.a.s.Parties(c.r.Context(), sc, f)
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/parties", Tag: "relay", Summary: "Add a party; its phone is kept for relaying and never shown whole",
		Status: http.StatusCreated, Request: partyIn{}, Response: store.Party{}}, withBody(kefu.PermCustomersWrite, func(c *call, sc store.Scope, in partyIn) (any, error) {
		return c.a.s.CreateParty(c.r.Context(), sc, c.actor(), store.PartyIn{Kind: in.Kind, Name: in.Name, Phone: in.Phone, ExternalID: in.ExternalID, OrgID: in.OrgID})
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/parties/{id}", Tag: "relay", Summary: "Read a party (restricted or not; phone masked)",
		Response: store.Party{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.Party(c.r.Context(), sc, c.id())
	}))
	a.add(&Route{Method: "PATCH", Path: "/api/v1/parties/{id}", Tag: "relay", Summary: "Change a party's name, phone, external id or organization",
		Request: partyPatchIn{}, Response: store.Party{}}, withBody(kefu.PermCustomersWrite, func(c *call, sc store.Scope, in partyPatchIn) (any, error) {
		return c.a.s.UpdateParty(c.r.Context(), sc, c.actor(), c.id(), store.PartyPatch{Name: in.Name, Phone: in.Phone, ExternalID: in.ExternalID, OrgID: in.OrgID})
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/parties/{id}/history", Tag: "relay", Summary: "A party's record: created, changed, restricted, lifted, relays opened",
		Query: []Param{{"after_seq", "integer", ""}, {"limit", "integer", ""}}, Response: page[kefu.Event]{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		after, limit, err := c.eventPage()
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.PartyHistory(c.r.Context(), sc, c.id(), after, limit)
		return list(l), err
	}))
	restrict := func(on bool) handler {
		return withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in restrictIn) (any, error) {
			if strings.TrimSpace(in.Reason) == "" {
				return nil, kefu.FieldError("reason", "required")
			}
			if strings.TrimSpace(in.TicketID) == "" {
				return nil, kefu.FieldError("ticket_id", "required: a restriction is made from a ticket")
			}
			if c.p.User.VendorID != "" {
				return nil, kefu.Forbidden("in_house_only", "restricting a party is done in-house, not by a vendor's agent")
			}
			if !auth.WithinLimit(c.p, kefu.ActionRestrictParty, 0) {
				return nil, kefu.Conflict("no_authority", "restricting a party needs the restrict_party authority (safety, supervisors, admins); nothing was changed")
			}
			return c.a.s.RestrictParty(c.r.Context(), sc, c.actor(), c.id(), in.TicketID, in.Reason, on)
		})
	}
	a.add(&Route{Method: "POST", Path: "/api/v1/parties/{id}/restrict", Tag: "relay",
		Summary: "Restrict a party's account from a ticket, with a reason (needs the restrict_party authority); recorded on the party and the ticket",
		Request: restrictIn{}, Response: store.PartyRestricted{}}, restrict(true))
	a.add(&Route{Method: "POST", Path: "/api/v1/parties/{id}/lift", Tag: "relay",
		Summary: "Lift a party's restriction, with a reason and a ticket (needs the restrict_party authority)",
		Request: restrictIn{}, Response: store.PartyRestricted{}}, restrict(false))

	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/relays", Tag: "relay", Summary: "A ticket's relays to parties",
		Response: page[store.Relay]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		l, err := c.a.s.Relays(c.r.Context(), sc, c.id())
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/relays", Tag: "relay",
		Summary: "Open a relay to a party: the first message goes by SMS with a reply code, and a follow-up commitment keeps the ticket open until the relay is closed",
		Status:  http.StatusCreated, Request: openRelayIn{}, Response: store.RelayOpened{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in openRelayIn) (any, error) {
		return c.openRelay(sc, in)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/tickets/{id}/relays/{rid}", Tag: "relay", Summary: "A relay with every message relayed, as it crossed (masked) and its delivery",
		Response: store.Relay{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.RelayOf(c.r.Context(), sc, c.id(), c.r.PathValue("rid"))
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/relays/{rid}/messages", Tag: "relay",
		Summary: "Relay a message to the party, from the agent or passing on the customer's words; contact details are masked first",
		Status:  http.StatusCreated, Request: relayMessageIn{}, Response: store.RelayMessage{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in relayMessageIn) (any, error) {
		return c.a.s.SendToParty(c.r.Context(), sc, c.actor(), c.id(), c.r.PathValue("rid"), in.From, in.Body)
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/relays/{rid}/close", Tag: "relay",
		Summary: "Close a relay with its outcome: resolved keeps its commitment; another outcome releases it with a reason (needs the authority to decide approvals)",
		Request: closeRelayIn{}, Response: store.Relay{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in closeRelayIn) (any, error) {
		if !relay.ValidOutcome(in.Outcome) {
			return nil, kefu.FieldError("outcome", "must be resolved, unresolved, unreachable or withdrawn")
		}
		if in.Outcome != relay.OutcomeResolved {
			if strings.TrimSpace(in.ReleaseReason) == "" {
				return nil, kefu.FieldError("release_reason", "required unless the outcome is resolved")
			}
			if err := c.require(kefu.PermApprovalsDecide); err != nil {
				return nil, kefu.Forbidden("permission_denied", "closing a relay unresolved releases its commitment, which needs the authority to decide approvals")
			}
		}
		return c.a.s.CloseRelay(c.r.Context(), sc, c.actor(), c.id(), c.r.PathValue("rid"), in.Outcome, in.Note, in.ReleaseReason)
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/relays/inbound", Tag: "relay",
		Summary: "A party's reply, posted by the tenant's SMS gateway or app integration with the relay code: masked, then shown to the customer",
		Request: inboundIn{}, Response: store.Inbound{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in inboundIn) (any, error) {
		code, body := in.Code, in.Body
		if lead, rest := relay.LeadingCode(body); lead != "" && (code == "" || relay.NormalizeCode(code) == lead) {
			code, body = lead, rest
		}
		if strings.TrimSpace(code) == "" {
			return nil, kefu.FieldError("code", "required: the relay code, in this field or at the start of the body")
		}
		if in.From != "" {
			if _, ok := relay.NormalizePhone(in.From); !ok {
				return nil, kefu.FieldError("from", "a phone number")
			}
		}
		return c.a.s.ReceiveFromParty(c.r.Context(), sc, c.actor(), code, body, in.From)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/relays/settings", Tag: "relay", Summary: "The tenant's relay defaults (follow-up hours)",
		Response: store.RelaySettings{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.RelaySettingsOf(c.r.Context(), c.tenant())
	}))
	a.add(&Route{Method: "PUT", Path: "/api/v1/relays/settings", Tag: "relay", Summary: "Set the tenant's relay defaults",
		Request: store.RelaySettings{}, Response: store.RelaySettings{}}, withBody(kefu.PermOrgManage, func(c *call, sc store.Scope, in store.RelaySettings) (any, error) {
		return c.a.s.PutRelaySettings(c.r.Context(), c.tenant(), c.actor(), in)
	}))
}

// openRelay finds the party and the due time, then opens the relay.
func (c *call) openRelay(sc store.Scope, in openRelayIn) (any, error) {
	ctx := c.r.Context()
	if strings.TrimSpace(in.Body) == "" {
		return nil, kefu.FieldError("body", "required: the first message to the party")
	}
	now := c.a.o.Clock.Now()
	if err := future(in.DueAt, now, "due_at"); err != nil {
		return nil, err
	}
	partyID := in.PartyID
	switch {
	case partyID != "" && (in.PartyKind != "" || in.PartyExternalID != ""):
		return nil, kefu.FieldError("party_id", "give party_id, or party_kind with party_external_id, not both")
	case partyID == "" && in.PartyExternalID == "":
		return nil, kefu.FieldError("party_id", "required (or party_kind with party_external_id)")
	case partyID == "":
		if !relay.ValidKind(in.PartyKind) {
			return nil, kefu.FieldError("party_kind", "must be driver, courier, merchant or other")
		}
		if _, err := c.a.s.Ticket(ctx, sc, c.id()); err != nil {
			return nil, err // the ticket first: a stranger's ticket is not found, whatever the party
		}
		l, err := c.a.s.Parties(ctx, sc, store.PartyFilter{Kind: in.PartyKind, ExternalID: in.PartyExternalID, Limit: 2})
		if err != nil {
			return nil, err
		}
		if len(l) != 1 {
			return nil, kefu.FieldError("party_external_id", "no such party of this kind in your scope")
		}
		partyID = l[0].ID
	}
	due := now
	if in.DueAt != nil {
		due = *in.DueAt
	} else {
		st, err := c.a.s.RelaySettingsOf(ctx, c.tenant())
		if err != nil {
			return nil, err
		}
		due = now.Add(time.Duration(st.FollowUpHours) * time.Hour)
	}
	return c.a.s.OpenRelayOn(ctx, sc, c.actor(), c.id(), store.OpenRelay{PartyID: partyID, Body: in.Body, DueAt: due, OwnerID: in.OwnerID})
}
