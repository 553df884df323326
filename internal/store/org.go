package store

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/kefu-project/kefu/internal/kefu"
)

// NewTenant is what it takes to open a tenant: its root organization, its
// customer tiers and its starting roles.
type NewTenant struct {
	Tenant  kefu.Tenant
	RootOrg string // name of the root organization node
	Tiers   []kefu.CustomerTier
	Roles   []kefu.Role
	// Admin, if set, is created with a grant of the role named AdminRole at
	// the root, in the same write.
	Admin     *kefu.User
	AdminRole string
}

// TenantCreated is what opening a tenant produced.
type TenantCreated struct {
	Tenant kefu.Tenant `json:"tenant"`
	Root   kefu.Org    `json:"root_org"`
	Roles  []kefu.Role `json:"roles"`
	Admin  *kefu.User  `json:"admin,omitempty"`
}

// CreateTenant opens a tenant with its root org, tiers and roles in one write.
func (s *Store) CreateTenant(ctx context.Context, a Actor, n NewTenant) (TenantCreated, error) {
	t := n.Tenant
	if t.Slug == "" || t.Name == "" {
		return TenantCreated{}, kefu.Invalid("invalid_input", "tenant needs slug and name", map[string]string{"slug": "required", "name": "required"})
	}
	if t.Locale == "" {
		t.Locale = "zh-Hans"
	}
	if t.TimeZone == "" {
		t.TimeZone = "Asia/Shanghai"
	}
	var out TenantCreated
	err := s.Write(ctx, func(tx *Tx) error {
		t.ID = newID()
		t.CreatedAt = s.Now()
		if _, err := tx.exec(`INSERT INTO tenants (id, slug, name, locale, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, t.Slug, t.Name, t.Locale, t.TimeZone, us(t.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return kefu.Invalid("slug_taken", "a tenant with this slug exists", map[string]string{"slug": "taken"})
			}
			return kefu.Internal(err)
		}
		name := n.RootOrg
		if name == "" {
			name = t.Name
		}
		root, err := tx.createOrg(t.ID, kefu.Org{Kind: kefu.OrgGroup, Name: name})
		if err != nil {
			return err
		}
		for _, tier := range n.Tiers {
			if err := tx.putTier(t.ID, tier); err != nil {
				return err
			}
		}
		var roles []kefu.Role
		for _, r := range n.Roles {
			r, err := tx.createRole(t.ID, r)
			if err != nil {
				return err
			}
			roles = append(roles, r)
		}
		var admin *kefu.User
		if n.Admin != nil {
			u := *n.Admin
			roleID := ""
			for _, r := range roles {
				if r.Name == n.AdminRole {
					roleID = r.ID
				}
			}
			if roleID == "" {
				return kefu.FieldError("admin", "no role named "+n.AdminRole)
			}
			u.Grants = []kefu.Grant{{RoleID: roleID, OrgID: root.ID}}
			if u, err = tx.createUser(t.ID, a, u); err != nil {
				return err
			}
			admin = &u
		}
		out = TenantCreated{Tenant: t, Root: root, Roles: roles, Admin: admin}
		tx.SetResult(out)
		return tx.Event(t.ID, a, "tenant.created", "tenant", t.ID, "", nil, t)
	})
	return out, err
}

// Tenant reads one tenant.
func (s *Store) Tenant(ctx context.Context, id string) (kefu.Tenant, error) {
	var t kefu.Tenant
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, slug, name, locale, time_zone, created_at FROM tenants WHERE id = $1`, id).
		Scan(&t.ID, &t.Slug, &t.Name, &t.Locale, &t.TimeZone, &created)
	t.CreatedAt = fromUS(created)
	return t, notFound(err, "tenant")
}

// Tenants lists every tenant (platform administration only).
func (s *Store) Tenants(ctx context.Context) ([]kefu.Tenant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, name, locale, time_zone, created_at FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Tenant
	for rows.Next() {
		var t kefu.Tenant
		var created int64
		if err := rows.Scan(&t.ID, &t.Slug, &t.Name, &t.Locale, &t.TimeZone, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		t.CreatedAt = fromUS(created)
		out = append(out, t)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// --- organization tree ---

func (tx *Tx) createOrg(tenantID string, o kefu.Org) (kefu.Org, error) {
	o.ID = newID()
	o.TenantID = tenantID
	o.CreatedAt = tx.s.Now()
	if o.ParentID != "" {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM orgs WHERE tenant_id = $1 AND id = $2`, tenantID, o.ParentID).Scan(&n); err != nil {
			return o, kefu.Internal(err)
		}
		if n == 0 {
			return o, kefu.FieldError("parent_id", "no such organization")
		}
	}
	if _, err := tx.exec(`INSERT INTO orgs (id, tenant_id, parent_id, kind, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ID, tenantID, nullStr(o.ParentID), string(o.Kind), o.Name, us(o.CreatedAt)); err != nil {
		return o, kefu.Internal(err)
	}
	tx.AfterCommit(func() { tx.s.orgCache.forget(tenantID) })
	return o, nil
}

// CreateOrg adds a node under ParentID (required: the root exists from the start).
func (s *Store) CreateOrg(ctx context.Context, tenantID string, a Actor, o kefu.Org) (kefu.Org, error) {
	if o.ParentID == "" {
		return o, kefu.FieldError("parent_id", "required")
	}
	switch o.Kind {
	case kefu.OrgGroup, kefu.OrgSubsidiary, kefu.OrgBrand:
	default:
		return o, kefu.FieldError("kind", "must be group, subsidiary or brand")
	}
	if strings.TrimSpace(o.Name) == "" {
		return o, kefu.FieldError("name", "required")
	}
	var out kefu.Org
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.createOrg(tenantID, o); err != nil {
			return err
		}
		tx.SetResult(out)
		return tx.Event(tenantID, a, "org.created", "org", out.ID, "", nil, out)
	})
	return out, err
}

// Orgs lists a tenant's organization tree, parents before children.
func (s *Store) Orgs(ctx context.Context, tenantID string) ([]kefu.Org, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(parent_id, ''), kind, name, created_at FROM orgs WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Org
	for rows.Next() {
		o := kefu.Org{TenantID: tenantID}
		var created int64
		var kind string
		if err := rows.Scan(&o.ID, &o.ParentID, &kind, &o.Name, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		o.Kind = kefu.OrgKind(kind)
		o.CreatedAt = fromUS(created)
		out = append(out, o)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Org reads one node.
func (s *Store) Org(ctx context.Context, tenantID, id string) (kefu.Org, error) {
	orgs, err := s.Orgs(ctx, tenantID)
	if err != nil {
		return kefu.Org{}, err
	}
	for _, o := range orgs {
		if o.ID == id {
			return o, nil
		}
	}
	return kefu.Org{}, kefu.NotFound("org")
}

// RootOrg is the tenant's top node.
func (s *Store) RootOrg(ctx context.Context, tenantID string) (kefu.Org, error) {
	orgs, err := s.Orgs(ctx, tenantID)
	if err != nil {
		return kefu.Org{}, err
	}
	for _, o := range orgs {
		if o.ParentID == "" {
			return o, nil
		}
	}
	return kefu.Org{}, kefu.NotFound("org")
}

// --- departments, vendors, queues ---

// CreateDepartment adds a department that can receive forwarded tickets.
func (s *Store) CreateDepartment(ctx context.Context, tenantID string, a Actor, d kefu.Department) (kefu.Department, error) {
	if strings.TrimSpace(d.Name) == "" {
		return d, kefu.FieldError("name", "required")
	}
	if d.Kind == "" {
		d.Kind = "other"
	}
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkOrg(tenantID, d.OrgID); err != nil {
			return err
		}
		d.ID, d.TenantID, d.CreatedAt = newID(), tenantID, s.Now()
		if _, err := tx.exec(`INSERT INTO departments (id, tenant_id, org_id, kind, name, email, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			d.ID, tenantID, nullStr(d.OrgID), d.Kind, d.Name, d.Email, us(d.CreatedAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(d)
		return tx.Event(tenantID, a, "department.created", "department", d.ID, "", nil, d)
	})
	return d, err
}

// Departments lists a tenant's departments.
func (s *Store) Departments(ctx context.Context, tenantID string) ([]kefu.Department, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(org_id, ''), kind, name, email, created_at FROM departments WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Department
	for rows.Next() {
		d := kefu.Department{TenantID: tenantID}
		var created int64
		if err := rows.Scan(&d.ID, &d.OrgID, &d.Kind, &d.Name, &d.Email, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		d.CreatedAt = fromUS(created)
		out = append(out, d)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Department reads one department.
func (s *Store) Department(ctx context.Context, tenantID, id string) (kefu.Department, error) {
	d := kefu.Department{TenantID: tenantID}
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, COALESCE(org_id, ''), kind, name, email, created_at FROM departments WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&d.ID, &d.OrgID, &d.Kind, &d.Name, &d.Email, &created)
	d.CreatedAt = fromUS(created)
	return d, notFound(err, "department")
}

// CreateVendor adds an outsourcing company.
func (s *Store) CreateVendor(ctx context.Context, tenantID string, a Actor, v kefu.Vendor) (kefu.Vendor, error) {
	if strings.TrimSpace(v.Name) == "" {
		return v, kefu.FieldError("name", "required")
	}
	v.Active = true
	err := s.Write(ctx, func(tx *Tx) error {
		v.ID, v.TenantID, v.CreatedAt = newID(), tenantID, s.Now()
		if _, err := tx.exec(`INSERT INTO vendors (id, tenant_id, name, contact, active, created_at) VALUES ($1, $2, $3, $4, 1, $5)`,
			v.ID, tenantID, v.Name, v.Contact, us(v.CreatedAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(v)
		return tx.Event(tenantID, a, "vendor.created", "vendor", v.ID, "", nil, v)
	})
	return v, err
}

// Vendors lists a tenant's vendors.
func (s *Store) Vendors(ctx context.Context, tenantID string) ([]kefu.Vendor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, contact, active, created_at FROM vendors WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Vendor
	for rows.Next() {
		v := kefu.Vendor{TenantID: tenantID}
		var created int64
		var active int
		if err := rows.Scan(&v.ID, &v.Name, &v.Contact, &active, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		v.Active, v.CreatedAt = active == 1, fromUS(created)
		out = append(out, v)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Vendor reads one vendor.
func (s *Store) Vendor(ctx context.Context, tenantID, id string) (kefu.Vendor, error) {
	vs, err := s.Vendors(ctx, tenantID)
	if err != nil {
		return kefu.Vendor{}, err
	}
	for _, v := range vs {
		if v.ID == id {
			return v, nil
		}
	}
	return kefu.Vendor{}, kefu.NotFound("vendor")
}

// CreateQueue adds a queue (team) where work waits.
func (s *Store) CreateQueue(ctx context.Context, tenantID string, a Actor, q kefu.Queue) (kefu.Queue, error) {
	if strings.TrimSpace(q.Name) == "" {
		return q, kefu.FieldError("name", "required")
	}
	if q.Channel != "" && !kefu.ValidChannel(kefu.Channel(q.Channel)) {
		return q, kefu.FieldError("channel", "unknown channel")
	}
	if q.Skills == nil {
		q.Skills = []string{}
	}
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkOrg(tenantID, q.OrgID); err != nil {
			return err
		}
		q.ID, q.TenantID, q.CreatedAt = newID(), tenantID, s.Now()
		skills, _ := json.Marshal(q.Skills)
		if _, err := tx.exec(`INSERT INTO queues (id, tenant_id, org_id, name, channel, skills, in_house_only, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			q.ID, tenantID, nullStr(q.OrgID), q.Name, q.Channel, string(skills), boolInt(q.InHouseOnly), us(q.CreatedAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(q)
		return tx.Event(tenantID, a, "queue.created", "queue", q.ID, "", nil, q)
	})
	return q, err
}

// Queues lists a tenant's queues.
func (s *Store) Queues(ctx context.Context, tenantID string) ([]kefu.Queue, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(org_id, ''), name, channel, skills, in_house_only, created_at FROM queues WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Queue
	for rows.Next() {
		q := kefu.Queue{TenantID: tenantID}
		var created int64
		var inHouse int
		var skills string
		if err := rows.Scan(&q.ID, &q.OrgID, &q.Name, &q.Channel, &skills, &inHouse, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		q.InHouseOnly, q.CreatedAt = inHouse == 1, fromUS(created)
		_ = json.Unmarshal([]byte(skills), &q.Skills)
		out = append(out, q)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Queue reads one queue.
func (s *Store) Queue(ctx context.Context, tenantID, id string) (kefu.Queue, error) {
	qs, err := s.Queues(ctx, tenantID)
	if err != nil {
		return kefu.Queue{}, err
	}
	for _, q := range qs {
		if q.ID == id {
			return q, nil
		}
	}
	return kefu.Queue{}, kefu.NotFound("queue")
}

// --- customer tiers ---

func (tx *Tx) putTier(tenantID string, t kefu.CustomerTier) error {
	if t.Code == "" || t.Name == "" {
		return kefu.Invalid("invalid_input", "tier needs code and name", map[string]string{"code": "required", "name": "required"})
	}
	_, err := tx.exec(`INSERT INTO customer_tiers (tenant_id, code, name, rank) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, rank = excluded.rank`, tenantID, t.Code, t.Name, t.Rank)
	tx.AfterCommit(func() { tx.s.forgetTiers(tenantID) })
	return kefu.InternalOrNil(err)
}

// PutTier creates or changes a customer tier.
func (s *Store) PutTier(ctx context.Context, tenantID string, a Actor, t kefu.CustomerTier) error {
	return s.Write(ctx, func(tx *Tx) error {
		if err := tx.putTier(tenantID, t); err != nil {
			return err
		}
		tx.SetResult(t)
		return tx.Event(tenantID, a, "tier.saved", "tier", t.Code, "", nil, t)
	})
}

// Tiers lists a tenant's tiers, most valued first.
func (s *Store) Tiers(ctx context.Context, tenantID string) ([]kefu.CustomerTier, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, name, rank FROM customer_tiers WHERE tenant_id = $1 ORDER BY rank, code`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.CustomerTier
	for rows.Next() {
		var t kefu.CustomerTier
		if err := rows.Scan(&t.Code, &t.Name, &t.Rank); err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, t)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// --- reference checks used inside writes ---

// checkRef verifies that an optional reference names a row of this tenant.
func (tx *Tx) checkRef(table, field, tenantID, id string) error {
	if id == "" {
		return nil
	}
	key, lasting := lastingRef(table, tenantID, id)
	if lasting && tx.s.refs.has(key) {
		return nil
	}
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM `+table+` WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&n); err != nil {
		return kefu.Internal(err)
	}
	if n == 0 {
		return kefu.FieldError(field, "no such "+strings.TrimSuffix(field, "_id")+" in this tenant")
	}
	if lasting {
		// Only once committed: the row may be this batch's own, and the
		// batch may yet fail.
		tx.AfterCommit(func() { tx.s.refs.add(key) })
	}
	return nil
}

// lastingTables hold rows that, once committed, stay in their tenant for
// good: kefu deletes none of them (a user leaves by being deactivated) and
// no id changes tenant. checkRef asks only that a row exists, so a
// remembered one stays true. TestLastingTablesStay holds this.
var lastingTables = map[string]bool{"orgs": true, "queues": true, "users": true, "departments": true, "tickets": true, "roles": true}

// lastingRef is the key under which a reference to a lasting row is known.
func lastingRef(table, tenantID, id string) (string, bool) {
	if !lastingTables[table] {
		return "", false
	}
	return table + "\x00" + tenantID + "\x00" + id, true
}

// knownRefs remembers the lasting rows writes have found, so that a ticket
// naming its queue (as every routed ticket does) checks it with a statement
// once per process instead of once per ticket. On PostgreSQL that statement
// also wrote out the batch's queued rows first, splitting the batch's one
// insert in two.
type knownRefs struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// maxKnownRefs bounds the memory: past it the set starts again (a few MB).
const maxKnownRefs = 50_000

func (k *knownRefs) has(key string) bool {
	k.mu.Lock()
	_, ok := k.m[key]
	k.mu.Unlock()
	return ok
}

func (k *knownRefs) add(key string) {
	k.mu.Lock()
	if k.m == nil || len(k.m) >= maxKnownRefs {
		k.m = make(map[string]struct{})
	}
	k.m[key] = struct{}{}
	k.mu.Unlock()
}

func (tx *Tx) checkOrg(tenantID, id string) error { return tx.checkRef("orgs", "org_id", tenantID, id) }
