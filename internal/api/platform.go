package api

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/kefu-project/kefu/internal/attach"
	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

type tenantIn struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Locale   string `json:"locale,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
	RootOrg  string `json:"root_org,omitempty"`
	Admin    struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Password string `json:"password"`
	} `json:"admin"`
}

type webhookIn struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret,omitempty"` // generated when empty; returned once
}

// maxAttachment bounds one upload.
const maxAttachment = 25 << 20

func (a *API) registerPlatform() {
	a.add(&Route{Method: "GET", Path: "/api/v1/tenants", Tag: "platform", Summary: "All tenants (platform administrators only)", Response: page[kefu.Tenant]{}}, func(c *call) (any, error) {
		if !c.p.User.PlatformAdmin {
			return nil, kefu.Forbidden("permission_denied", "platform administrators only")
		}
		l, err := c.a.s.Tenants(c.r.Context())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/tenants", Tag: "platform", Summary: "Open a tenant (a client company) with its first administrator",
		Status: http.StatusCreated, Request: tenantIn{}, Response: store.TenantCreated{}}, func(c *call) (any, error) {
		var in tenantIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if !c.p.User.PlatformAdmin {
			return nil, kefu.Forbidden("permission_denied", "platform administrators only")
		}
		if strings.Trim(strings.ToLower(in.Slug), "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || in.Slug == "" {
			return nil, kefu.FieldError("slug", "lower-case letters, digits and dashes")
		}
		hash, err := auth.HashPassword(in.Admin.Password)
		if err != nil {
			return nil, kefu.FieldError("admin.password", err.Error())
		}
		name := in.Admin.Name
		if name == "" {
			name = in.Admin.Email
		}
		return c.a.s.CreateTenant(c.r.Context(), c.actor(), store.NewTenant{
			Tenant: kefu.Tenant{Slug: strings.ToLower(in.Slug), Name: in.Name, Locale: in.Locale, TimeZone: in.TimeZone}, RootOrg: in.RootOrg,
			Tiers: auth.DefaultTiers(), Roles: auth.DefaultRoles(), AdminRole: "admin",
			Admin: &kefu.User{Email: in.Admin.Email, Name: name, Kind: kefu.UserAdmin, PasswordHash: hash},
		})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/webhooks", Tag: "webhooks", Summary: "Webhook subscriptions", Response: page[kefu.Webhook]{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermWebhooksManage); err != nil {
			return nil, err
		}
		l, err := c.a.s.Webhooks(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/webhooks", Tag: "webhooks", Summary: "Subscribe a URL to events (ticket.*, customer.*, message.created…); deliveries are signed with HMAC-SHA256",
		Status: http.StatusCreated, Request: webhookIn{}, Response: kefu.Webhook{}}, func(c *call) (any, error) {
		var in webhookIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermWebhooksManage); err != nil {
			return nil, err
		}
		if in.Secret == "" {
			in.Secret = auth.RandomSecret(24)
		}
		return c.a.s.CreateWebhook(c.r.Context(), c.tenant(), c.actor(), kefu.Webhook{URL: in.URL, Events: in.Events, Secret: in.Secret})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/webhooks/{id}", Tag: "webhooks", Summary: "Read a subscription", Response: kefu.Webhook{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermWebhooksManage); err != nil {
			return nil, err
		}
		return c.a.s.Webhook(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/webhooks/{id}", Tag: "webhooks", Summary: "Stop a subscription (its log stays)", Status: http.StatusNoContent}, func(c *call) (any, error) {
		if err := c.require(kefu.PermWebhooksManage); err != nil {
			return nil, err
		}
		return nil, c.a.s.DeleteWebhook(c.r.Context(), c.tenant(), c.actor(), c.id())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/webhooks/{id}/deliveries", Tag: "webhooks", Summary: "Delivery log: attempts, status, errors",
		Query: []Param{{"limit", "integer", ""}}, Response: page[kefu.Delivery]{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermWebhooksManage); err != nil {
			return nil, err
		}
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Deliveries(c.r.Context(), c.tenant(), c.id(), limit)
		return list(l), err
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/events", Tag: "audit", Summary: "The tenant's append-only history (audit log)",
		Query: []Param{{"type", "string", "exact type, or a prefix ending in '.'"}, {"entity_id", "string", ""}, {"ticket_id", "string", ""},
			{"after_seq", "integer", ""}, {"limit", "integer", ""}}, Response: page[kefu.Event]{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermAuditRead); err != nil {
			return nil, err
		}
		after, limit, err := c.eventPage()
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Events(c.r.Context(), c.tenant(), store.EventFilter{Type: c.q("type"), EntityID: c.q("entity_id"), TicketID: c.q("ticket_id"), AfterSeq: after, Limit: limit})
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/attachments", Tag: "tickets",
		Summary: "Upload a file (raw body; ?filename=…; Content-Type as sent); reference its id in a message's attachments",
		Status:  http.StatusCreated, Query: []Param{{"filename", "string", "required"}}, Response: kefu.Attachment{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermTicketsWrite); err != nil {
			return nil, err
		}
		name := c.q("filename")
		if name == "" || len(name) > 255 || strings.ContainsAny(name, "/\\\x00") {
			return nil, kefu.FieldError("filename", "required: a plain file name")
		}
		ct := c.r.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		if c.a.o.Attachments == nil {
			return nil, kefu.Conflict("attachments_off", "this server has no attachment storage")
		}
		key, size, sum, err := c.a.o.Attachments.Put(c.r.Context(), c.tenant(), c.r.Body, maxAttachment)
		if err == attach.ErrTooLarge {
			return nil, &kefu.Error{Kind: kefu.KindInvalid, Code: "too_large", Message: "attachments are limited to 25 MiB"}
		}
		if err != nil {
			return nil, kefu.Internal(err)
		}
		return c.a.s.SaveAttachment(c.r.Context(), c.tenant(), c.actor(), kefu.Attachment{Filename: name, ContentType: ct, Size: size, SHA256: sum, StorageKey: key})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/attachments/{id}", Tag: "tickets", Summary: "Download a file", Response: rawFile{}}, func(c *call) (any, error) {
		if err := c.require(kefu.PermTicketsRead); err != nil {
			return nil, err
		}
		at, err := c.a.s.Attachment(c.r.Context(), c.tenant(), c.id())
		if err != nil {
			return nil, err
		}
		return rawFile{at: at, open: func(ctx context.Context) (io.ReadCloser, error) { return c.a.o.Attachments.Open(ctx, at.StorageKey) }}, nil
	})
}

// rawFile is a download: the serve loop streams it instead of encoding JSON.
type rawFile struct {
	at   kefu.Attachment
	open func(context.Context) (io.ReadCloser, error)
}
