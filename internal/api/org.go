package api

import (
	"net/http"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

type orgIn struct {
	ParentID string       `json:"parent_id"`
	Kind     kefu.OrgKind `json:"kind"`
	Name     string       `json:"name"`
}

type departmentIn struct {
	OrgID string `json:"org_id,omitempty"`
	Kind  string `json:"kind,omitempty"` // finance, product, logistics, legal, pr, other
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

type vendorIn struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
}

type queueIn struct {
	OrgID       string   `json:"org_id,omitempty"`
	Name        string   `json:"name"`
	Channel     string   `json:"channel,omitempty"`
	Skills      []string `json:"skills,omitempty"`
	InHouseOnly bool     `json:"in_house_only,omitempty"`
}

type tierIn struct {
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

func (a *API) registerOrg() {
	a.add(&Route{Method: "GET", Path: "/api/v1/tenant", Tag: "organization", Summary: "The caller's tenant", Response: kefu.Tenant{}}, func(c *call) (any, error) {
		return c.a.s.Tenant(c.r.Context(), c.tenant())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/orgs", Tag: "organization", Summary: "The organization tree (group → subsidiaries → brands)", Response: page[kefu.Org]{}}, func(c *call) (any, error) {
		l, err := c.a.s.Orgs(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/orgs", Tag: "organization", Summary: "Add an organization node", Status: http.StatusCreated, Request: orgIn{}, Response: kefu.Org{}}, func(c *call) (any, error) {
		var in orgIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.CreateOrg(c.r.Context(), c.tenant(), c.actor(), kefu.Org{ParentID: in.ParentID, Kind: in.Kind, Name: in.Name})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/orgs/{id}", Tag: "organization", Summary: "Read an organization node", Response: kefu.Org{}}, func(c *call) (any, error) {
		return c.a.s.Org(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/departments", Tag: "organization", Summary: "Departments that receive forwarded tickets", Response: page[kefu.Department]{}}, func(c *call) (any, error) {
		l, err := c.a.s.Departments(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/departments", Tag: "organization", Summary: "Add a department", Status: http.StatusCreated, Request: departmentIn{}, Response: kefu.Department{}}, func(c *call) (any, error) {
		var in departmentIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.CreateDepartment(c.r.Context(), c.tenant(), c.actor(), kefu.Department{OrgID: in.OrgID, Kind: in.Kind, Name: in.Name, Email: in.Email})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/departments/{id}", Tag: "organization", Summary: "Read a department", Response: kefu.Department{}}, func(c *call) (any, error) {
		return c.a.s.Department(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/vendors", Tag: "organization", Summary: "Outsourcing vendors", Response: page[kefu.Vendor]{}}, func(c *call) (any, error) {
		l, err := c.a.s.Vendors(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/vendors", Tag: "organization", Summary: "Add a vendor", Status: http.StatusCreated, Request: vendorIn{}, Response: kefu.Vendor{}}, func(c *call) (any, error) {
		var in vendorIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.CreateVendor(c.r.Context(), c.tenant(), c.actor(), kefu.Vendor{Name: in.Name, Contact: in.Contact})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/vendors/{id}", Tag: "organization", Summary: "Read a vendor", Response: kefu.Vendor{}}, func(c *call) (any, error) {
		return c.a.s.Vendor(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/queues", Tag: "organization", Summary: "Queues (teams) where work waits", Response: page[kefu.Queue]{}}, func(c *call) (any, error) {
		l, err := c.a.s.Queues(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/queues", Tag: "organization", Summary: "Add a queue", Status: http.StatusCreated, Request: queueIn{}, Response: kefu.Queue{}}, func(c *call) (any, error) {
		var in queueIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		q, err := c.a.s.CreateQueue(c.r.Context(), c.tenant(), c.actor(), kefu.Queue{OrgID: in.OrgID, Name: in.Name, Channel: in.Channel, Skills: in.Skills, InHouseOnly: in.InHouseOnly})
		if err == nil {
			c.queueChanged(q.ID)
		}
		return q, err
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/queues/{id}", Tag: "organization", Summary: "Read a queue", Response: kefu.Queue{}}, func(c *call) (any, error) {
		return c.a.s.Queue(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/tiers", Tag: "organization", Summary: "Customer value tiers (KA, VIP, standard…)", Response: page[kefu.CustomerTier]{}}, func(c *call) (any, error) {
		l, err := c.a.s.Tiers(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "PUT", Path: "/api/v1/tiers/{code}", Tag: "organization", Summary: "Create or change a tier", Request: tierIn{}, Response: kefu.CustomerTier{}}, func(c *call) (any, error) {
		var in tierIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		t := kefu.CustomerTier{Code: c.r.PathValue("code"), Name: in.Name, Rank: in.Rank}
		return t, c.a.s.PutTier(c.r.Context(), c.tenant(), c.actor(), t)
	})
}

type orgPatchIn struct {
	Name *string `json:"name,omitempty"`
}

type departmentPatchIn struct {
	OrgID *string `json:"org_id,omitempty"`
	Kind  *string `json:"kind,omitempty"`
	Name  *string `json:"name,omitempty"`
	Email *string `json:"email,omitempty"`
}

type vendorPatchIn struct {
	Name    *string `json:"name,omitempty"`
	Contact *string `json:"contact,omitempty"`
	Active  *bool   `json:"active,omitempty"`
}

type queuePatchIn struct {
	OrgID       *string   `json:"org_id,omitempty"`
	Name        *string   `json:"name,omitempty"`
	Channel     *string   `json:"channel,omitempty"`
	Skills      *[]string `json:"skills,omitempty"`
	InHouseOnly *bool     `json:"in_house_only,omitempty"`
}

func (a *API) registerOrgUpdates() {
	a.add(&Route{Method: "PATCH", Path: "/api/v1/orgs/{id}", Tag: "organization", Summary: "Rename an organization node", Request: orgPatchIn{}, Response: kefu.Org{}}, func(c *call) (any, error) {
		var in orgPatchIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.UpdateOrg(c.r.Context(), c.tenant(), c.actor(), c.id(), store.OrgPatch{Name: in.Name})
	})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/departments/{id}", Tag: "organization", Summary: "Change a department", Request: departmentPatchIn{}, Response: kefu.Department{}}, func(c *call) (any, error) {
		var in departmentPatchIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.UpdateDepartment(c.r.Context(), c.tenant(), c.actor(), c.id(), store.DepartmentPatch{Name: in.Name, Kind: in.Kind, Email: in.Email, OrgID: in.OrgID})
	})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/vendors/{id}", Tag: "organization", Summary: "Change or deactivate a vendor", Request: vendorPatchIn{}, Response: kefu.Vendor{}}, func(c *call) (any, error) {
		var in vendorPatchIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		return c.a.s.UpdateVendor(c.r.Context(), c.tenant(), c.actor(), c.id(), store.VendorPatch{Name: in.Name, Contact: in.Contact, Active: in.Active})
	})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/queues/{id}", Tag: "organization", Summary: "Change a queue", Request: queuePatchIn{}, Response: kefu.Queue{}}, func(c *call) (any, error) {
		var in queuePatchIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermOrgManage); err != nil {
			return nil, err
		}
		q, err := c.a.s.UpdateQueue(c.r.Context(), c.tenant(), c.actor(), c.id(), store.QueuePatch{Name: in.Name, Channel: in.Channel, OrgID: in.OrgID, Skills: in.Skills, InHouseOnly: in.InHouseOnly})
		if err == nil {
			c.queueChanged(q.ID)
		}
		return q, err
	})
}
