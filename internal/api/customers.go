package api

import (
	"net/http"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

type customerIn struct {
	Name       string            `json:"name"`
	Tier       string            `json:"tier,omitempty"`
	Locale     string            `json:"locale,omitempty"`
	OrgID      string            `json:"org_id,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Identities []identityIn      `json:"identities,omitempty"`
}

type customerPatchIn struct {
	Name             *string            `json:"name,omitempty"`
	Tier             *string            `json:"tier,omitempty"`
	Locale           *string            `json:"locale,omitempty"`
	Attributes       map[string]*string `json:"attributes,omitempty"` // null deletes a key
	AddIdentities    []identityIn       `json:"add_identities,omitempty"`
	RemoveIdentities []string           `json:"remove_identities,omitempty"`
}

type mergeIn struct {
	MergeID string `json:"merge_id"` // the customer folded into this one
}

func (a *API) registerCustomers() {
	a.add(&Route{Method: "GET", Path: "/api/v1/customers", Tag: "customers", Summary: "List and search customers",
		Query: []Param{{"q", "string", "name, phone, email, ids, attributes (Chinese segmented)"}, {"tier", "string", ""}, {"org_id", "string", ""},
			{"limit", "integer", ""}, {"cursor", "string", ""}}, Response: page[kefu.Customer]{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		items, next, err := c.a.s.Customers(c.r.Context(), sc, store.CustomerFilter{Query: c.q("q"), Tier: c.q("tier"), OrgID: c.q("org_id"), Limit: limit, Cursor: c.q("cursor")})
		return page[kefu.Customer]{Items: items, NextCursor: next}, err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/customers", Tag: "customers", Summary: "Create a customer with identities", Status: http.StatusCreated,
		Request: customerIn{}, Response: kefu.Customer{}}, withBody(kefu.PermCustomersWrite, func(c *call, sc store.Scope, in customerIn) (any, error) {
		return c.a.s.CreateCustomer(c.r.Context(), sc, c.actor(), kefu.Customer{Name: in.Name, Tier: in.Tier, Locale: in.Locale, OrgID: in.OrgID,
			Attributes: in.Attributes, Identities: identities(in.Identities)})
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/customers/lookup", Tag: "customers", Summary: "Find a customer by any identity",
		Query:    []Param{{"kind", "string", "phone, email, chat, app or external"}, {"value", "string", ""}, {"org_id", "string", "scope of an external id"}},
		Response: kefu.Customer{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		if c.q("kind") == "" || c.q("value") == "" {
			return nil, kefu.Invalid("invalid_input", "kind and value are required", map[string]string{"kind": "required", "value": "required"})
		}
		return c.a.s.CustomerByIdentity(c.r.Context(), sc, kefu.IdentityKind(c.q("kind")), c.q("value"), c.q("org_id"))
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/customers/{id}", Tag: "customers", Summary: "Read a customer with all identities", Response: kefu.Customer{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.Customer(c.r.Context(), sc, c.id())
	}))
	a.add(&Route{Method: "PATCH", Path: "/api/v1/customers/{id}", Tag: "customers", Summary: "Change a customer; add or remove identities",
		Request: customerPatchIn{}, Response: kefu.Customer{}}, withBody(kefu.PermCustomersWrite, func(c *call, sc store.Scope, in customerPatchIn) (any, error) {
		return c.a.s.UpdateCustomer(c.r.Context(), sc, c.actor(), c.id(), store.CustomerPatch{Name: in.Name, Tier: in.Tier, Locale: in.Locale,
			Attributes: in.Attributes, AddIdentities: identities(in.AddIdentities), RemoveIdentities: in.RemoveIdentities})
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/customers/{id}/merge", Tag: "customers", Summary: "Merge another customer into this one (undoable)",
		Request: mergeIn{}, Response: kefu.CustomerMerge{}}, func(c *call) (any, error) {
		var in mergeIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if in.MergeID == "" {
			return nil, kefu.FieldError("merge_id", "required")
		}
		sc, err := c.scope(kefu.PermCustomersMerge)
		if err != nil {
			return nil, err
		}
		return c.a.s.MergeCustomers(c.r.Context(), sc, c.actor(), c.id(), in.MergeID)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/customers/{id}/merges", Tag: "customers", Summary: "Merges this customer took part in", Response: page[kefu.CustomerMerge]{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		l, err := c.a.s.Merges(c.r.Context(), sc, c.id())
		return list(l), err
	}))
	a.add(&Route{Method: "POST", Path: "/api/v1/merges/{id}/undo", Tag: "customers", Summary: "Undo a merge: identities and tickets go back",
		Response: kefu.CustomerMerge{}}, inScope(kefu.PermCustomersMerge, func(c *call, sc store.Scope) (any, error) {
		return c.a.s.UnmergeCustomers(c.r.Context(), sc, c.actor(), c.id())
	}))
	a.add(&Route{Method: "GET", Path: "/api/v1/customers/{id}/contacts", Tag: "customers", Summary: "Every contact with the customer across channels (接觸管理)",
		Query: []Param{{"limit", "integer", ""}}, Response: page[kefu.Contact]{}}, inScope(kefu.PermCustomersRead, func(c *call, sc store.Scope) (any, error) {
		limit, err := c.qInt("limit", 100)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Contacts(c.r.Context(), sc, c.id(), limit)
		return list(l), err
	}))
}
