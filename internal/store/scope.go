package store

import (
	"context"
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Scope is what a caller may see inside a tenant: the whole tenant (OrgIDs
// nil) or the union of some organization subtrees. Every read and write of
// tenant data takes one, and the store applies it in SQL.
type Scope struct {
	TenantID string
	OrgIDs   []string // expanded subtree members; nil = whole tenant
}

// Whole is the scope of an entire tenant.
func Whole(tenantID string) Scope { return Scope{TenantID: tenantID} }

// sees reports whether an org id is inside the scope.
func (sc Scope) sees(orgID string) bool {
	if sc.OrgIDs == nil {
		return true
	}
	for _, id := range sc.OrgIDs {
		if id == orgID {
			return true
		}
	}
	return false
}

// orgCache keeps each tenant's org tree in memory for scope expansion. Org
// changes are rare; other nodes pick them up within the TTL.
type orgCache struct {
	mu      sync.Mutex
	tenants map[string]orgEntry
}

type orgEntry struct {
	orgs   []kefu.Org
	loaded time.Time
}

const orgTTL = 10 * time.Second

func (c *orgCache) forget(tenantID string) {
	c.mu.Lock()
	delete(c.tenants, tenantID)
	c.mu.Unlock()
}

func (s *Store) cachedOrgs(ctx context.Context, tenantID string) ([]kefu.Org, error) {
	s.orgCache.mu.Lock()
	e, ok := s.orgCache.tenants[tenantID]
	s.orgCache.mu.Unlock()
	if ok && time.Since(e.loaded) < orgTTL {
		return e.orgs, nil
	}
	orgs, err := s.Orgs(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	s.orgCache.mu.Lock()
	if s.orgCache.tenants == nil {
		s.orgCache.tenants = map[string]orgEntry{}
	}
	s.orgCache.tenants[tenantID] = orgEntry{orgs: orgs, loaded: time.Now()}
	s.orgCache.mu.Unlock()
	return orgs, nil
}

// ScopeFor expands organization grant points into a Scope. A grant at the
// root (or at "") sees the whole tenant.
func (s *Store) ScopeFor(ctx context.Context, tenantID string, grantOrgIDs []string) (Scope, error) {
	orgs, err := s.cachedOrgs(ctx, tenantID)
	if err != nil {
		return Scope{}, err
	}
	children := map[string][]string{}
	root := ""
	for _, o := range orgs {
		if o.ParentID == "" {
			root = o.ID
		}
		children[o.ParentID] = append(children[o.ParentID], o.ID)
	}
	seen := map[string]bool{}
	var ids []string
	var walk func(string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		ids = append(ids, id)
		for _, c := range children[id] {
			walk(c)
		}
	}
	for _, g := range grantOrgIDs {
		if g == "" || g == root {
			return Whole(tenantID), nil
		}
		walk(g)
	}
	if ids == nil {
		ids = []string{} // granted nowhere: sees nothing
	}
	return Scope{TenantID: tenantID, OrgIDs: ids}, nil
}

// tierCache keeps each tenant's tiers, most valued first.
type tierCache struct {
	mu      sync.Mutex
	tenants map[string]tierEntry
}

type tierEntry struct {
	tiers  []kefu.CustomerTier
	loaded time.Time
}

func (s *Store) cachedTiers(tx *Tx, tenantID string) ([]kefu.CustomerTier, error) {
	c := &s.tierCache
	c.mu.Lock()
	e, ok := c.tenants[tenantID]
	c.mu.Unlock()
	if ok && time.Since(e.loaded) < orgTTL {
		return e.tiers, nil
	}
	rows, err := tx.query(`SELECT code, name, rank FROM customer_tiers WHERE tenant_id = $1 ORDER BY rank, code`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var tiers []kefu.CustomerTier
	for rows.Next() {
		var t kefu.CustomerTier
		if err := rows.Scan(&t.Code, &t.Name, &t.Rank); err != nil {
			return nil, kefu.Internal(err)
		}
		tiers = append(tiers, t)
	}
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	c.mu.Lock()
	if c.tenants == nil {
		c.tenants = map[string]tierEntry{}
	}
	c.tenants[tenantID] = tierEntry{tiers: tiers, loaded: time.Now()}
	c.mu.Unlock()
	return tiers, nil
}

func (s *Store) forgetTiers(tenantID string) {
	s.tierCache.mu.Lock()
	delete(s.tierCache.tenants, tenantID)
	s.tierCache.mu.Unlock()
}

// Sees reports whether an organization (its id, "" for the tenant as a
// whole) is inside the scope.
func (sc Scope) Sees(orgID string) bool {
	if orgID == "" {
		return sc.OrgIDs == nil
	}
	return sc.sees(orgID)
}

// UsersInScope lists the users with a grant inside the scope (nil for a
// whole-tenant scope: everyone). Live views use it to show a scoped lead
// only the people of their subtree.
func (s *Store) UsersInScope(ctx context.Context, sc Scope) (map[string]bool, error) {
	if sc.OrgIDs == nil {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, COALESCE(org_id, '') FROM grants WHERE tenant_id = $1`, sc.TenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var user, org string
		if err := rows.Scan(&user, &org); err != nil {
			return nil, kefu.Internal(err)
		}
		if org != "" && sc.sees(org) {
			out[user] = true
		}
	}
	return out, kefu.InternalOrNil(rows.Err())
}
