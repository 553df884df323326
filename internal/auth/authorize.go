package auth

import (
	"context"
	"strconv"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// Can reports whether the principal holds a permission through any grant.
func Can(p *store.Principal, perm kefu.Permission) bool {
	for _, g := range p.Grants {
		for _, q := range p.Roles[g.RoleID].Permissions {
			if q == perm {
				return true
			}
		}
	}
	return false
}

// Require returns a Forbidden error unless the principal holds perm.
func Require(p *store.Principal, perm kefu.Permission) error {
	if !Can(p, perm) {
		return kefu.Forbidden("permission_denied", "this needs the "+string(perm)+" permission")
	}
	return nil
}

// Scope expands the grants that carry perm into the org scope they see.
func Scope(ctx context.Context, s *store.Store, p *store.Principal, perm kefu.Permission) (store.Scope, error) {
	var orgs []string
	for _, g := range p.Grants {
		for _, q := range p.Roles[g.RoleID].Permissions {
			if q == perm {
				orgs = append(orgs, g.OrgID)
				break
			}
		}
	}
	if len(orgs) == 0 {
		return store.Scope{}, kefu.Forbidden("permission_denied", "this needs the "+string(perm)+" permission")
	}
	return s.ScopeFor(ctx, p.TenantID, orgs)
}

// WithinLimit reports whether the principal may take action for amount
// alone: some role's limit for the action covers it.
func WithinLimit(p *store.Principal, action kefu.Action, amount int64) bool {
	for _, g := range p.Grants {
		if l, ok := p.Roles[g.RoleID].Limits[action]; ok && amount <= l.MaxAmount {
			return true
		}
	}
	return false
}

// CanApprove reports whether the principal may approve a request: it needs
// the approvals permission and a limit covering the request itself.
func CanApprove(p *store.Principal, r kefu.ActionRequest) error {
	if err := Require(p, kefu.PermApprovalsDecide); err != nil {
		return err
	}
	if !WithinLimit(p, r.Action, r.Amount) {
		return kefu.Forbidden("over_limit", "your authority for "+string(r.Action)+" does not cover "+strconv.FormatInt(r.Amount, 10))
	}
	return nil
}

// Actor turns a principal into the actor recorded in history.
func Actor(p *store.Principal) store.Actor {
	return store.Actor{ID: p.User.ID, Kind: "user"}
}
