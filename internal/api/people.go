package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

type roleIn struct {
	Name        string                     `json:"name"`
	Permissions []kefu.Permission          `json:"permissions"`
	Limits      map[kefu.Action]kefu.Limit `json:"limits,omitempty"`
	Capacity    map[string]int             `json:"capacity,omitempty"` // routing: items at once per channel
}

type grantIn struct {
	RoleID string `json:"role_id"`
	OrgID  string `json:"org_id,omitempty"`
}

type userIn struct {
	Email        string        `json:"email"`
	Name         string        `json:"name"`
	Kind         kefu.UserKind `json:"kind"`
	Tier         kefu.Tier     `json:"tier,omitempty"`
	VendorID     string        `json:"vendor_id,omitempty"`
	DepartmentID string        `json:"department_id,omitempty"`
	Locale       string        `json:"locale,omitempty"`
	Phone        string        `json:"phone,omitempty"`
	Password     string        `json:"password,omitempty"`
	Grants       []grantIn     `json:"grants,omitempty"`
}

type userPatchIn struct {
	Name     *string        `json:"name,omitempty"`
	Kind     *kefu.UserKind `json:"kind,omitempty"`
	Tier     *kefu.Tier     `json:"tier,omitempty"`
	Locale   *string        `json:"locale,omitempty"`
	Phone    *string        `json:"phone,omitempty"`
	Active   *bool          `json:"active,omitempty"`
	Password *string        `json:"password,omitempty"`
	Grants   *[]grantIn     `json:"grants,omitempty"`
}

type tokenIn struct {
	Name          string `json:"name"`
	UserID        string `json:"user_id,omitempty"`  // default: yourself
	GrantID       string `json:"grant_id,omitempty"` // narrow the token to one of the user's grants
	ExpiresInDays int    `json:"expires_in_days,omitempty"`
}

// TokenCreated carries the secret, shown only in this response.
type TokenCreated struct {
	kefu.Token
	Secret string `json:"token"`
}

// Me is the caller with their effective roles.
type Me struct {
	User   kefu.User   `json:"user"`
	Tenant kefu.Tenant `json:"tenant"`
	Roles  []kefu.Role `json:"roles"`
}

func grants(in []grantIn) []kefu.Grant {
	out := make([]kefu.Grant, len(in))
	for i, g := range in {
		out[i] = kefu.Grant{RoleID: g.RoleID, OrgID: g.OrgID}
	}
	return out
}

func hashIfSet(pw string) (string, error) {
	if pw == "" {
		return "", nil
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return "", kefu.FieldError("password", err.Error())
	}
	return h, nil
}

// shownUser is a user as the caller may see them: a colleague's phone
// (where SMS alerts reach them) only for the user themselves and for
// whoever manages users.
func (c *call) shownUser(u kefu.User) kefu.User {
	if u.ID != c.p.User.ID && !auth.Can(c.p, kefu.PermUsersManage) {
		u.Phone = ""
	}
	return u
}

func (a *API) registerPeople() {
	a.add(&Route{Method: "GET", Path: "/api/v1/me", Tag: "people", Summary: "Who the caller is", Response: Me{}}, func(c *call) (any, error) {
		t, err := c.a.s.Tenant(c.r.Context(), c.tenant())
		if err != nil {
			return nil, err
		}
		me := Me{User: c.p.User, Tenant: t, Roles: []kefu.Role{}}
		for _, r := range c.p.Roles {
			me.Roles = append(me.Roles, r)
		}
		return me, nil
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/roles", Tag: "people", Summary: "Roles: permissions and authority limits", Response: page[kefu.Role]{}}, func(c *call) (any, error) {
		l, err := c.a.s.Roles(c.r.Context(), c.tenant())
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/roles", Tag: "people", Summary: "Add a role", Status: http.StatusCreated, Request: roleIn{}, Response: kefu.Role{}}, func(c *call) (any, error) {
		var in roleIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermUsersManage); err != nil {
			return nil, err
		}
		return c.a.s.CreateRole(c.r.Context(), c.tenant(), c.actor(), kefu.Role{Name: in.Name, Permissions: in.Permissions, Limits: in.Limits, Capacity: in.Capacity})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/roles/{id}", Tag: "people", Summary: "Read a role", Response: kefu.Role{}}, func(c *call) (any, error) {
		return c.a.s.Role(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "PUT", Path: "/api/v1/roles/{id}", Tag: "people", Summary: "Replace a role's permissions and limits", Request: roleIn{}, Response: kefu.Role{}}, func(c *call) (any, error) {
		var in roleIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermUsersManage); err != nil {
			return nil, err
		}
		return c.a.s.UpdateRole(c.r.Context(), c.tenant(), c.actor(), kefu.Role{ID: c.id(), Name: in.Name, Permissions: in.Permissions, Limits: in.Limits, Capacity: in.Capacity})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/users", Tag: "people", Summary: "Users of the tenant",
		Query: []Param{{"kind", "string", ""}, {"vendor_id", "string", ""}, {"limit", "integer", ""}, {"after", "string", "id cursor"}}, Response: page[kefu.User]{}}, func(c *call) (any, error) {
		limit, err := c.qInt("limit", 100)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Users(c.r.Context(), c.tenant(), store.UserFilter{Kind: c.q("kind"), VendorID: c.q("vendor_id"), Limit: limit, After: c.q("after")})
		for i := range l {
			l[i] = c.shownUser(l[i])
		}
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/users", Tag: "people", Summary: "Add a user with grants", Status: http.StatusCreated, Request: userIn{}, Response: kefu.User{}}, func(c *call) (any, error) {
		var in userIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.require(kefu.PermUsersManage); err != nil {
			return nil, err
		}
		hash, err := hashIfSet(in.Password)
		if err != nil {
			return nil, err
		}
		return c.a.s.CreateUser(c.r.Context(), c.tenant(), c.actor(), kefu.User{Email: in.Email, Name: in.Name, Kind: in.Kind, Tier: in.Tier,
			VendorID: in.VendorID, DepartmentID: in.DepartmentID, Locale: in.Locale, Phone: in.Phone, PasswordHash: hash, Grants: grants(in.Grants)})
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/users/{id}", Tag: "people", Summary: "Read a user", Response: kefu.User{}}, func(c *call) (any, error) {
		u, err := c.a.s.User(c.r.Context(), c.tenant(), c.id())
		return c.shownUser(u), err
	})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/users/{id}", Tag: "people", Summary: "Change a user; replace grants; deactivate", Request: userPatchIn{}, Response: kefu.User{}}, func(c *call) (any, error) {
		var in userPatchIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		self := c.id() == c.p.User.ID
		onlyOwn := in.Kind == nil && in.Tier == nil && in.Active == nil && in.Grants == nil
		if !(self && onlyOwn) {
			if err := c.require(kefu.PermUsersManage); err != nil {
				return nil, err
			}
		}
		p := store.UserPatch{Name: in.Name, Kind: in.Kind, Tier: in.Tier, Locale: in.Locale, Phone: in.Phone, Active: in.Active}
		if in.Password != nil {
			h, err := hashIfSet(*in.Password)
			if err != nil || h == "" {
				return nil, kefu.FieldError("password", "at least 10 characters")
			}
			p.PasswordHash = &h
		}
		if in.Grants != nil {
			g := grants(*in.Grants)
			p.Grants = &g
		}
		return c.a.s.UpdateUser(c.r.Context(), c.tenant(), c.actor(), c.id(), p)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/tokens", Tag: "people", Summary: "API tokens (yours, or everyone's with users.manage)", Response: page[kefu.Token]{}}, func(c *call) (any, error) {
		user := c.p.User.ID
		if auth.Can(c.p, kefu.PermUsersManage) {
			user = c.q("user_id")
		}
		l, err := c.a.s.Tokens(c.r.Context(), c.tenant(), user)
		return list(l), err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/tokens", Tag: "people", Summary: "Create an API token; the secret is shown once", Status: http.StatusCreated,
		Request: tokenIn{}, Response: TokenCreated{}}, func(c *call) (any, error) {
		var in tokenIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if in.UserID == "" {
			in.UserID = c.p.User.ID
		}
		if in.UserID != c.p.User.ID {
			if err := c.require(kefu.PermUsersManage); err != nil {
				return nil, err
			}
		}
		if in.ExpiresInDays < 0 || in.ExpiresInDays > 3650 {
			return nil, kefu.FieldError("expires_in_days", "0 (never) to 3650")
		}
		t := kefu.Token{ID: store.NewID(), UserID: in.UserID, GrantID: in.GrantID, Name: strings.TrimSpace(in.Name)}
		full, hash := auth.NewToken(t.ID)
		t.SecretHash = hash
		if in.ExpiresInDays > 0 {
			exp := c.a.o.Clock.Now().Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour)
			t.ExpiresAt = &exp
		}
		out, err := c.a.s.CreateToken(c.r.Context(), c.tenant(), c.actor(), t)
		return TokenCreated{Token: out, Secret: full}, err
	})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/tokens/{id}", Tag: "people", Summary: "Revoke a token", Status: http.StatusNoContent}, func(c *call) (any, error) {
		if !auth.Can(c.p, kefu.PermUsersManage) {
			mine, err := c.a.s.Tokens(c.r.Context(), c.tenant(), c.p.User.ID)
			if err != nil {
				return nil, err
			}
			found := false
			for _, t := range mine {
				found = found || t.ID == c.id()
			}
			if !found {
				return nil, kefu.NotFound("token")
			}
		}
		return nil, c.a.s.RevokeToken(c.r.Context(), c.tenant(), c.actor(), c.id())
	})
}
