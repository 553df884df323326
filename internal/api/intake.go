package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kefu-project/kefu/internal/intake"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// inbound is what intake found in a customer's words before anything else
// sees them: an emergency or not, the category and language, and each
// decision with why, for the ticket's history.
type inbound struct {
	emergency *kefu.Emergency
	class     intake.Classification
	record    kefu.IntakeRecord
}

func (in *inbound) step(step, decision, why string, score *float64) {
	in.record.Steps = append(in.record.Steps, kefu.IntakeStep{Step: step, Decision: decision, Why: why, Score: score})
}

// classifierClient asks tenants' external classifiers; it follows no
// redirects (the configured URL is the one that answers).
var classifierClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// inspect screens a customer's words for emergencies (the tenant's rules,
// then its external classifier if it has one) and classifies them.
func (c *call) inspect(texts ...string) *inbound {
	in := &inbound{record: kefu.IntakeRecord{Steps: []kefu.IntakeStep{}}}
	if !c.a.o.Screening {
		return in
	}
	ctx := c.r.Context()
	rules, err := c.a.s.IntakeRules(ctx, c.tenant())
	if err != nil {
		c.a.log.Error("intake rules unreadable; the built-in screening runs", "err", err)
		rules = intake.Default()
	}
	text := strings.Join(texts, "\n")
	v, class := rules.Inspect(text)
	score := v.Score
	if v.Emergency {
		in.emergency = &kefu.Emergency{Kind: v.Kind, Score: v.Score, Reason: v.Reason}
		in.step("screen", "emergency: "+v.Kind, v.Reason, &score)
	} else {
		in.step("screen", "no emergency", v.Reason, &score)
	}
	if rules.Rules.Classifier != nil && !v.Emergency {
		// The built-in screening found nothing: the tenant's classifier may
		// see what it missed. It cannot clear an emergency, and its silence
		// (timeout, error) leaves the built-in verdict standing.
		hv, err := rules.Rules.Classifier.Ask(ctx, classifierClient, c.a.o.Clock.Now(), c.tenant(), text)
		switch {
		case err != nil:
			in.step("classifier", "no answer; the built-in verdict stands", "the classifier "+err.Error(), nil)
		case hv.Emergency:
			hs := hv.Score
			in.emergency = &kefu.Emergency{Kind: hv.Kind, Score: hv.Score, Reason: "external classifier: " + hv.Reason}
			in.step("classifier", "emergency: "+hv.Kind, hv.Reason, &hs)
		default:
			hs := hv.Score
			in.step("classifier", "no emergency", hv.Reason, &hs)
		}
	}
	in.class = class
	decision := "no category"
	if in.class.Category != "" {
		decision = "category " + in.class.Category
	}
	if in.class.Language != "" {
		decision += ", language " + in.class.Language
	}
	in.step("classify", decision, in.class.Why, nil)
	return in
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
	a.add(&Route{Method: "GET", Path: "/api/v1/intake/rules", Tag: "intake",
		Summary:  "The tenant's intake data: screening cues and threshold, ticket categories, external classifier (secret redacted)",
		Response: intake.Rules{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		r, err := c.a.s.IntakeRules(c.r.Context(), c.tenant())
		if err != nil {
			return nil, err
		}
		return r.Rules.Redacted(), nil
	})
	a.add(&Route{Method: "PUT", Path: "/api/v1/intake/rules", Tag: "intake",
		Summary: "Set the tenant's screening cues, threshold, ticket categories and external classifier (checked before saved)",
		Request: intake.Rules{}, Response: intake.Rules{}}, func(c *call) (any, error) {
		var in intake.Rules
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.PutIntakeRules(c.r.Context(), c.tenant(), c.actor(), in)
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

// repeatCheck is intake's repeat detection for a new contact: the store
// finds the customer's recent tickets (inside the write on SQLite) and asks
// Match which one, if any, the contact is about. The same matter wins; a
// customer who says they asked before is believed when they did write
// within the window.
func (c *call) repeatCheck(words []string) (store.RepeatCheck, error) {
	st, err := c.a.s.CommitSettings(c.r.Context(), c.tenant())
	if err != nil {
		return store.RepeatCheck{}, err
	}
	var matter *intake.Matter // only a known customer's contact needs it
	return store.RepeatCheck{WindowDays: st.RepeatWindowDays, Threshold: st.RepeatThreshold, ProblemQueueID: st.ProblemQueueID,
		Match: func(past []store.PastTicket) (*store.PastTicket, string) {
			if matter == nil {
				m := intake.MatterOf(words...)
				matter = &m
			}
			for i := range past {
				if same, reason := intake.SameMatter(*matter, intake.MatterOf(past[i].Words...)); same {
					return &past[i], reason
				}
			}
			if len(past) > 0 && intake.ClaimsRepeat(strings.Join(words, "\n")) {
				return &past[0], fmt.Sprintf("the customer says they asked before, and the history agrees: %d contact(s) in the last %d days", len(past), st.RepeatWindowDays)
			}
			return nil, ""
		}}, nil
}
