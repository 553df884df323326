package api

import (
	"net/http"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/safety"
	"github.com/kefu-project/kefu/internal/store"
)

// playbookOut is the playbook of one emergency as the caller sees it: the
// steps in their language with who did each, and the actions their own
// authority allows.
type playbookOut struct {
	Emergency kefu.Emergency `json:"emergency"`
	Kind      string         `json:"kind"`
	Locale    string         `json:"locale"`
	Title     string         `json:"title"`
	Steps     []stepOut      `json:"steps"`
	Actions   []actionOut    `json:"actions"`
}

type stepOut struct {
	Code string          `json:"code"`
	Text string          `json:"text"`
	Done *store.StepDone `json:"done,omitempty"`
}

type actionOut struct {
	Action kefu.Action `json:"action"`
	Label  string      `json:"label"`
	// Allowed: within the caller's own authority, taken at once. Otherwise
	// the caller can still ask, and it waits for someone who holds it.
	Allowed bool `json:"allowed"`
	// How is the call that takes it.
	How string `json:"how"`
	// Parties are those the action can apply to: the parties of the
	// ticket's relays (phones masked), for restrict_party.
	Parties []store.Party `json:"parties,omitempty"`
	// Taken lists this action's requests on the ticket, approved or not.
	Taken []kefu.ActionRequest `json:"taken"`
}

type stepIn struct {
	Step string `json:"step"`
	Note string `json:"note,omitempty"`
}

type stepDoneOut struct {
	store.StepDone
	// Recorded is false when the step had been done already; Done* then
	// tell who did it first.
	Recorded bool `json:"recorded"`
}

type playbooksOut struct {
	Items []safety.Playbook `json:"items"`
}

// locale is the language the caller reads: ?locale=, their profile, their
// browser, else simplified Chinese.
func (c *call) locale() string {
	for _, l := range []string{c.q("locale"), c.p.User.Locale, c.r.Header.Get("Accept-Language")} {
		if v := safety.Locale(l); v != "" {
			return v
		}
	}
	return "zh-Hans"
}

func (a *API) safetyRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/safety/playbooks", Tag: "intake", Summary: "The safety playbooks in force, one per kind of emergency (the tenant's, else the built-in ones)",
		Response: playbooksOut{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermTicketsRead); err != nil {
			return nil, err
		}
		st, err := c.a.s.SafetySettings(c.r.Context(), c.tenant())
		return playbooksOut{Items: st.Effective()}, err
	})
	a.add(&Route{Method: "PUT", Path: "/api/v1/safety/playbooks", Tag: "intake", Summary: "Replace playbooks by kind (kinds not listed keep the built-in ones)",
		Request: safety.Settings{}, Response: safety.Settings{}}, func(c *call) (any, error) {
		var in safety.Settings
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.PutSafetySettings(c.r.Context(), c.tenant(), c.actor(), in)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/emergencies/{id}/playbook", Tag: "intake",
		Summary:  "What to do for this emergency: the playbook's steps (who did each) and the actions the caller's authority allows",
		Query:    []Param{{"locale", "string", "zh-Hans, zh-Hant or en (default: the caller's profile, then Accept-Language)"}},
		Response: playbookOut{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		ctx := c.r.Context()
		e, err := c.a.s.Emergency(ctx, sc, c.id())
		if err != nil {
			return nil, err
		}
		st, err := c.a.s.SafetySettings(ctx, c.tenant())
		if err != nil {
			return nil, err
		}
		done, err := c.a.s.EmergencySteps(ctx, c.tenant(), e.ID)
		if err != nil {
			return nil, err
		}
		taken, err := c.a.s.ActionRequests(ctx, sc, "", e.TicketID, 200)
		if err != nil {
			return nil, err
		}
		loc := c.locale()
		pb := st.For(e.Kind)
		out := playbookOut{Emergency: e, Kind: e.Kind, Locale: loc, Title: pb.Title.In(loc), Steps: []stepOut{}, Actions: []actionOut{}}
		for _, s := range pb.Steps {
			so := stepOut{Code: s.Code, Text: s.Text.In(loc)}
			for i := range done {
				if done[i].Step == s.Code {
					so.Done = &done[i]
				}
			}
			out.Steps = append(out.Steps, so)
		}
		var relays []store.Relay
		for _, act := range pb.Actions {
			ao := actionOut{Action: act, Label: safety.ActionLabel(act, loc), Allowed: c.p.User.VendorID == "" && auth.WithinLimit(c.p, act, 0),
				How: "POST /api/v1/tickets/" + e.TicketID + "/actions", Taken: []kefu.ActionRequest{}}
			if act == kefu.ActionRestrictParty {
				ao.How = "POST /api/v1/parties/{party_id}/restrict with ticket_id " + e.TicketID
				if relays == nil {
					if relays, err = c.a.s.Relays(ctx, sc, e.TicketID); err != nil {
						return nil, err
					}
				}
				seen := map[string]bool{}
				for _, r := range relays {
					if !seen[r.Party.ID] {
						seen[r.Party.ID] = true
						ao.Parties = append(ao.Parties, r.Party)
					}
				}
			}
			for _, r := range taken {
				if r.Action == act {
					ao.Taken = append(ao.Taken, r)
				}
			}
			out.Actions = append(out.Actions, ao)
		}
		return out, nil
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/emergencies/{id}/steps", Tag: "intake",
		Summary: "Check off a playbook step (recorded on the ticket's history with who and when; doing it again keeps the first)",
		Status:  http.StatusCreated, Request: stepIn{}, Response: stepDoneOut{}}, withBody(kefu.PermTicketsWrite, func(c *call, sc store.Scope, in stepIn) (any, error) {
		if c.p.User.VendorID != "" {
			return nil, kefu.Forbidden("in_house_only", "emergencies are handled by the in-house safety team")
		}
		if in.Step == "" {
			return nil, kefu.FieldError("step", "required: the code of a playbook step")
		}
		d, recorded, err := c.a.s.DoStep(c.r.Context(), sc, c.actor(), c.id(), in.Step, in.Note)
		return stepDoneOut{StepDone: d, Recorded: recorded}, err
	}))
}
