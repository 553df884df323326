package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/commit"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/notify"
	"github.com/kefu-project/kefu/internal/sla"
	"github.com/kefu-project/kefu/internal/store"
)

type expediteIn struct {
	Reason  string     `json:"reason"`
	DueAt   *time.Time `json:"due_at,omitempty"`
	OwnerID string     `json:"owner_id,omitempty"`
}

type statusLinkOut struct {
	Token     string    `json:"token"`
	Path      string    `json:"path"`
	ExpiresAt time.Time `json:"expires_at"`
}

type clockOut struct {
	Now   time.Time    `json:"now"`
	Fired *TimerReport `json:"fired,omitempty"`
}

type advanceIn struct {
	By string `json:"by"` // a Go duration: 90s, 30m, 48h
}

// TimerReport is what one pass of the node's timers did.
type TimerReport struct {
	CommitmentSteps      int `json:"commitment_steps"`
	EmergenciesEscalated int `json:"emergencies_escalated"`
}

func (a *API) commitmentRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/commitments/settings", Tag: "commitments", Summary: "The tenant's rules for promises: reminders, escalation ladder, expedites, repeats",
		Response: commit.Settings{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.CommitSettings(c.r.Context(), c.tenant())
	}))
	a.add(&Route{Method: "PUT", Path: "/api/v1/commitments/settings", Tag: "commitments", Summary: "Set the tenant's rules for promises",
		Request: commit.Settings{}, Response: commit.Settings{}}, withBody(kefu.PermOrgManage, func(c *call, sc store.Scope, in commit.Settings) (any, error) {
		return c.a.s.PutCommitSettings(c.r.Context(), c.tenant(), c.actor(), in)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/sla/settings", Tag: "commitments", Summary: "The tenant's SLA: business calendar and policies",
		Response: sla.Settings{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		st, err := c.a.s.SLASettings(c.r.Context(), c.tenant())
		return st.Settings, err
	}))
	a.add(&Route{Method: "PUT", Path: "/api/v1/sla/settings", Tag: "commitments", Summary: "Set the tenant's SLA: calendar (hours, holidays, 调休 workdays) and policies by tier, priority, channel and category",
		Request: sla.Settings{}, Response: sla.Settings{}}, withBody(kefu.PermOrgManage, func(c *call, sc store.Scope, in sla.Settings) (any, error) {
		return c.a.s.PutSLASettings(c.r.Context(), c.tenant(), c.actor(), in)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/commitments", Tag: "commitments", Summary: "Promises across tickets: open and missed ones (default), at risk, by owner",
		Query: []Param{{"state", "string", "open, missed, kept or released (default: open and missed)"}, {"kind", "string", ""}, {"owner_id", "string", ""},
			{"due_within_minutes", "integer", "only those due within this many minutes from now (at risk)"}, {"limit", "integer", ""}},
		Response: page[kefu.Commitment]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		f := store.CommitmentFilter{State: c.q("state"), Kind: c.q("kind"), OwnerID: c.q("owner_id")}
		switch kefu.CommitmentState(f.State) {
		case "", kefu.CommitOpen, kefu.CommitMissed, kefu.CommitKept, kefu.CommitReleased:
		default:
			return nil, kefu.FieldError("state", "must be open, missed, kept or released")
		}
		if f.Kind != "" && !kefu.ValidCommitmentKind(kefu.CommitmentKind(f.Kind)) {
			return nil, kefu.FieldError("kind", "unknown commitment kind")
		}
		within, err := c.qInt("due_within_minutes", 0)
		if err != nil {
			return nil, err
		}
		if within < 0 {
			return nil, kefu.FieldError("due_within_minutes", "must not be negative")
		}
		if within > 0 {
			t := c.a.o.Clock.Now().Add(time.Duration(within) * time.Minute)
			f.DueBefore = &t
		}
		if f.Limit, err = c.qInt("limit", 100); err != nil {
			return nil, err
		}
		l, err := c.a.s.CommitmentsAcross(c.r.Context(), sc, f)
		return list(l), err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/sla/at-risk", Tag: "commitments",
		Summary: "Breach prediction: open SLA targets likely to be missed, most likely first, with the chance and what it stands on",
		Query: []Param{{"min_risk", "number", "0–1, default 0.5"}, {"kind", "string", "first_response, next_response, resolution or department_deadline"},
			{"limit", "integer", "1–200, default 50"}},
		Response: page[store.AtRisk]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		f := store.AtRiskFilter{Kind: c.q("kind"), Limit: limit}
		if v := c.q("min_risk"); v != "" {
			if f.MinRisk, err = strconv.ParseFloat(v, 64); err != nil || f.MinRisk <= 0 || f.MinRisk > 1 {
				return nil, kefu.FieldError("min_risk", "a number above 0, at most 1")
			}
		}
		l, err := c.a.s.BreachRisks(c.r.Context(), sc, f)
		return list(l), err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/commitments/summary", Tag: "commitments", Summary: "Commitments made since a time, by kind: open, missed, kept on time, kept rate",
		Query: []Param{{"since", "string", "RFC 3339 time (default: 30 days ago)"}}, Response: page[store.KindSummary]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		since := c.a.o.Clock.Now().Add(-30 * 24 * time.Hour)
		if v := c.q("since"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, kefu.FieldError("since", "must be an RFC 3339 time such as 2026-11-01T00:00:00+08:00")
			}
			since = t
		}
		l, err := c.a.s.CommitmentSummary(c.r.Context(), sc, since)
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/tickets/{id}/expedite", Tag: "commitments",
		Summary: "Expedite (加急): a dated commitment owned by someone with the authority to deliver it; the customer is told who and by when",
		Status:  http.StatusCreated, Request: expediteIn{}, Response: store.Expedited{}}, withBody(kefu.PermCommitmentsWrite, func(c *call, sc store.Scope, in expediteIn) (any, error) {
		return c.expedite(sc, in)
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/notifications", Tag: "commitments", Summary: "Alerts sent to people (owners, escalation rungs, on-call) and their delivery",
		Query: []Param{{"ticket_id", "string", ""}, {"limit", "integer", ""}}, Response: page[store.Notification]{}}, inScope(kefu.PermTicketsRead, func(c *call, sc store.Scope) (any, error) {
		if id := c.q("ticket_id"); id != "" {
			if _, err := c.a.s.Ticket(c.r.Context(), sc, id); err != nil {
				return nil, err
			}
		}
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Notifications(c.r.Context(), sc, c.q("ticket_id"), limit)
		return list(l), err
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/customers/{id}/status", Tag: "customers", Summary: "What the customer sees: open tickets, who has them, promises and their dates",
		Response: store.CustomerStatus{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.CustomerStatusOf(c.r.Context(), sc, c.id())
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/customers/{id}/status-link", Tag: "customers", Summary: "A signed link (valid 30 days) that lets the customer see their status without signing in",
		Status: http.StatusCreated, Response: statusLinkOut{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		st, err := c.a.s.CustomerStatusOf(c.r.Context(), sc, c.id())
		if err != nil {
			return nil, err
		}
		key, err := c.a.s.StatusKey(c.r.Context(), c.tenant())
		if err != nil {
			return nil, err
		}
		exp := c.a.o.Clock.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
		tok := signStatus(key, c.tenant(), st.CustomerID, exp)
		return statusLinkOut{Token: tok, Path: "/api/v1/status/" + tok, ExpiresAt: exp}, nil
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/status/{token}", Tag: "customers", Public: true,
		Summary: "The customer's own view through a signed status link: their open tickets, owners, promises and dates", Response: store.CustomerStatus{}},
		func(c *call) (any, error) {
			tenant, customer, err := c.a.verifyStatus(c, c.r.PathValue("token"))
			if err != nil {
				return nil, err
			}
			return c.a.s.CustomerStatusOf(c.r.Context(), store.Whole(tenant), customer)
		})
}

// expedite finds who owns an expedite: the named owner if they hold the
// authority, else the caller if they do, else the first person over the
// ticket who does. Nobody with the authority: nothing is marked expedited.
func (c *call) expedite(sc store.Scope, in expediteIn) (any, error) {
	ctx := c.r.Context()
	if strings.TrimSpace(in.Reason) == "" {
		return nil, kefu.FieldError("reason", "an expedite needs a reason")
	}
	now := c.a.o.Clock.Now()
	if err := future(in.DueAt, now, "due_at"); err != nil {
		return nil, err
	}
	t, err := c.a.s.Ticket(ctx, sc, c.id())
	if err != nil {
		return nil, err
	}
	st, err := c.a.s.CommitSettings(ctx, c.tenant())
	if err != nil {
		return nil, err
	}
	due := now.Add(time.Duration(st.ExpediteHours) * time.Hour)
	if in.DueAt != nil {
		due = *in.DueAt
	}
	holds := func(p *store.Principal) bool {
		if p == nil || !p.User.Active || !auth.WithinLimit(p, kefu.ActionExpedite, 0) {
			return false
		}
		osc, err := auth.Scope(ctx, c.a.s, p, kefu.PermTicketsRead)
		return err == nil && osc.Sees(t.OrgID)
	}
	owner := ""
	switch {
	case in.OwnerID != "":
		p, err := c.a.s.UserPrincipal(ctx, c.tenant(), in.OwnerID)
		if err != nil {
			return nil, err
		}
		if !holds(p) {
			return nil, kefu.FieldError("owner_id", "this person does not hold the authority to expedite this ticket")
		}
		owner = in.OwnerID
	case holds(c.p):
		owner = c.p.User.ID
	default:
		for _, kind := range st.ExpediteOwnerKinds {
			cands, err := c.a.s.Covering(ctx, c.tenant(), t.OrgID, kind, 20)
			if err != nil {
				return nil, err
			}
			for _, r := range cands {
				if p, err := c.a.s.UserPrincipal(ctx, c.tenant(), r.UserID); err == nil && holds(p) {
					owner = r.UserID
					break
				}
			}
			if owner != "" {
				break
			}
		}
	}
	if owner == "" {
		return nil, kefu.Conflict("no_authority", "nobody with the authority to expedite covers this ticket; it was not marked expedited")
	}
	return c.a.s.ExpediteTicket(ctx, sc, c.actor(), c.id(), store.Expedite{Reason: in.Reason, DueAt: due, OwnerID: owner})
}

// A status token is tenant|customer|expiry, signed with the tenant's key:
// it names nothing a stranger could not already guess, and proves kefu made it.
func signStatus(key []byte, tenant, customer string, exp time.Time) string {
	payload := tenant + "|" + customer + "|" + strconv.FormatInt(exp.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(m.Sum(nil))
}

func (a *API) verifyStatus(c *call, tok string) (tenant, customer string, err error) {
	bad := kefu.NotFound("status link")
	p, sig, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 400 {
		return "", "", bad
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return "", "", bad
	}
	parts := strings.Split(string(payload), "|")
	if len(parts) != 3 {
		return "", "", bad
	}
	key, err := a.s.StatusKey(c.r.Context(), parts[0])
	if err != nil {
		return "", "", bad
	}
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	if !hmac.Equal(m.Sum(nil), mac) {
		return "", "", bad
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || a.o.Clock.Now().Unix() > exp {
		return "", "", kefu.Forbidden("link_expired", "this status link has expired; ask support for a new one")
	}
	return parts[0], parts[1], nil
}

// devRoutes exist only under `kefu serve --dev`: they move the node's clock
// so a demo or a test can watch promises slip.
func (a *API) devRoutes() {
	if a.o.DevClock == nil {
		return
	}
	a.add(&Route{Method: "GET", Path: "/api/v1/dev/clock", Tag: "dev", Summary: "The node's clock (dev mode only)", Response: clockOut{}}, func(c *call) (any, error) {
		return clockOut{Now: a.o.DevClock.Now()}, nil
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/dev/clock/advance", Tag: "dev", Summary: "Move the clock forward and run every timer now due (dev mode only; platform admins)",
		Request: advanceIn{}, Response: clockOut{}}, func(c *call) (any, error) {
		var in advanceIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if !c.p.User.PlatformAdmin {
			return nil, kefu.Forbidden("platform_admin", "only a platform administrator moves the clock")
		}
		d, err := time.ParseDuration(in.By)
		if err != nil || d <= 0 || d > 366*24*time.Hour {
			return nil, kefu.FieldError("by", "a positive duration up to 8784h, such as 90s, 30m or 48h")
		}
		now := a.o.DevClock.Advance(d)
		out := clockOut{Now: now}
		if a.o.RunTimers != nil {
			r := a.o.RunTimers(c.r.Context())
			out.Fired = &r
		}
		return out, nil
	})
}

// notifyRoutes: a tenant's alert channels (webhook, email, SMS). Secrets
// are write-only: reads show them redacted, and a write that leaves one
// redacted keeps the stored one.
func (a *API) notifyRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/notify/settings", Tag: "commitments", Summary: "Where alerts go: webhook, email (SMTP) and SMS channels, secrets redacted",
		Response: notify.Config{}}, inScope(kefu.PermOrgManage, func(c *call, sc store.Scope) (any, error) {
		cfg, err := c.notifyConfig()
		return cfg.Redacted(), err
	}))
	a.add(&Route{Method: "PUT", Path: "/api/v1/notify/settings", Tag: "commitments", Summary: "Set where alerts go (channels checked before they are saved)",
		Request: notify.Config{}, Response: notify.Config{}}, withBody(kefu.PermOrgManage, func(c *call, sc store.Scope, in notify.Config) (any, error) {
		prev, err := c.notifyConfig()
		if err != nil {
			return nil, err
		}
		cfg := in.WithSecretsFrom(prev)
		if err := cfg.Validate(); err != nil {
			var ce *notify.ConfigError
			if errors.As(err, &ce) && len(ce.Problems) > 0 {
				return nil, kefu.FieldError(ce.Problems[0].Field, ce.Problems[0].Problem)
			}
			return nil, kefu.FieldError("channels", err.Error())
		}
		raw, _ := json.Marshal(cfg)
		red, _ := json.Marshal(cfg.Redacted())
		if err := c.a.s.PutNotifySettings(c.r.Context(), c.tenant(), c.actor(), raw, red); err != nil {
			return nil, err
		}
		return cfg.Redacted(), nil
	}))
}

func (c *call) notifyConfig() (notify.Config, error) {
	var cfg notify.Config
	raw, err := c.a.s.NotifySettings(c.r.Context(), c.tenant())
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, kefu.Internal(err)
	}
	return cfg, nil
}
