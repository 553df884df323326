package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/kefu-project/kefu/internal/kefu"
)

// OrgPatch renames an organization node (moving nodes is not offered: it
// would silently change who sees which tickets).
type OrgPatch struct {
	Name *string
}

// UpdateOrg applies a patch to an organization node.
func (s *Store) UpdateOrg(ctx context.Context, tenantID string, a Actor, id string, p OrgPatch) (kefu.Org, error) {
	var out kefu.Org
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := s.Org(ctx, tenantID, id)
		if err != nil {
			return err
		}
		o := before
		if p.Name != nil {
			if strings.TrimSpace(*p.Name) == "" {
				return kefu.FieldError("name", "required")
			}
			o.Name = *p.Name
		}
		if _, err := tx.exec(`UPDATE orgs SET name = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, o.Name); err != nil {
			return kefu.Internal(err)
		}
		tx.AfterCommit(func() { s.orgCache.forget(tenantID) })
		out = o
		tx.SetResult(o)
		return tx.Event(tenantID, a, "org.updated", "org", id, "", before, o)
	})
	return out, err
}

// DepartmentPatch changes a department; nil leaves a field alone.
type DepartmentPatch struct {
	Name, Kind, Email, OrgID *string
}

// UpdateDepartment applies a patch to a department.
func (s *Store) UpdateDepartment(ctx context.Context, tenantID string, a Actor, id string, p DepartmentPatch) (kefu.Department, error) {
	var out kefu.Department
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := s.Department(ctx, tenantID, id)
		if err != nil {
			return err
		}
		d := before
		set(&d.Name, p.Name)
		set(&d.Kind, p.Kind)
		set(&d.Email, p.Email)
		set(&d.OrgID, p.OrgID)
		if strings.TrimSpace(d.Name) == "" {
			return kefu.FieldError("name", "required")
		}
		if err := tx.checkOrg(tenantID, d.OrgID); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE departments SET name = $3, kind = $4, email = $5, org_id = $6 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, d.Name, d.Kind, d.Email, nullStr(d.OrgID)); err != nil {
			return kefu.Internal(err)
		}
		out = d
		tx.SetResult(d)
		return tx.Event(tenantID, a, "department.updated", "department", id, "", before, d)
	})
	return out, err
}

// VendorPatch changes a vendor; deactivating keeps its history.
type VendorPatch struct {
	Name, Contact *string
	Active        *bool
}

// UpdateVendor applies a patch to a vendor.
func (s *Store) UpdateVendor(ctx context.Context, tenantID string, a Actor, id string, p VendorPatch) (kefu.Vendor, error) {
	var out kefu.Vendor
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := s.Vendor(ctx, tenantID, id)
		if err != nil {
			return err
		}
		v := before
		set(&v.Name, p.Name)
		set(&v.Contact, p.Contact)
		if p.Active != nil {
			v.Active = *p.Active
		}
		if strings.TrimSpace(v.Name) == "" {
			return kefu.FieldError("name", "required")
		}
		if _, err := tx.exec(`UPDATE vendors SET name = $3, contact = $4, active = $5 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, v.Name, v.Contact, boolInt(v.Active)); err != nil {
			return kefu.Internal(err)
		}
		out = v
		tx.SetResult(v)
		return tx.Event(tenantID, a, "vendor.updated", "vendor", id, "", before, v)
	})
	return out, err
}

// QueuePatch changes a queue; nil leaves a field alone.
type QueuePatch struct {
	Name, Channel, OrgID *string
	Skills               *[]string
	InHouseOnly          *bool
}

// UpdateQueue applies a patch to a queue.
func (s *Store) UpdateQueue(ctx context.Context, tenantID string, a Actor, id string, p QueuePatch) (kefu.Queue, error) {
	var out kefu.Queue
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := s.Queue(ctx, tenantID, id)
		if err != nil {
			return err
		}
		q := before
		set(&q.Name, p.Name)
		set(&q.Channel, p.Channel)
		set(&q.OrgID, p.OrgID)
		if p.Skills != nil {
			q.Skills = *p.Skills
		}
		if p.InHouseOnly != nil {
			q.InHouseOnly = *p.InHouseOnly
		}
		if strings.TrimSpace(q.Name) == "" {
			return kefu.FieldError("name", "required")
		}
		if q.Channel != "" && !kefu.ValidChannel(kefu.Channel(q.Channel)) {
			return kefu.FieldError("channel", "unknown channel")
		}
		if q.Skills == nil {
			q.Skills = []string{}
		}
		if err := tx.checkOrg(tenantID, q.OrgID); err != nil {
			return err
		}
		skills, _ := json.Marshal(q.Skills)
		if _, err := tx.exec(`UPDATE queues SET name = $3, channel = $4, org_id = $5, skills = $6, in_house_only = $7 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, q.Name, q.Channel, nullStr(q.OrgID), string(skills), boolInt(q.InHouseOnly)); err != nil {
			return kefu.Internal(err)
		}
		out = q
		tx.SetResult(q)
		return tx.Event(tenantID, a, "queue.updated", "queue", id, "", before, q)
	})
	return out, err
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}
