package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/relay"
)

// --- roles ---

func validateRole(r kefu.Role) error {
	if strings.TrimSpace(r.Name) == "" {
		return kefu.FieldError("name", "required")
	}
	for _, p := range r.Permissions {
		if !kefu.ValidPermission(p) {
			return kefu.FieldError("permissions", "unknown permission "+string(p))
		}
	}
	for a, l := range r.Limits {
		if a == "" || l.MaxAmount < 0 {
			return kefu.FieldError("limits", "limit for "+string(a)+" must be a non-negative amount")
		}
	}
	return nil
}

func (tx *Tx) createRole(tenantID string, r kefu.Role) (kefu.Role, error) {
	if err := validateRole(r); err != nil {
		return r, err
	}
	if r.Permissions == nil {
		r.Permissions = []kefu.Permission{}
	}
	if r.Limits == nil {
		r.Limits = map[kefu.Action]kefu.Limit{}
	}
	r.ID, r.TenantID, r.CreatedAt = newID(), tenantID, tx.s.Now()
	perms, _ := json.Marshal(r.Permissions)
	limits, _ := json.Marshal(r.Limits)
	capacity, _ := json.Marshal(nonNilMap(r.Capacity))
	if _, err := tx.exec(`INSERT INTO roles (id, tenant_id, name, permissions, limits, capacity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.ID, tenantID, r.Name, string(perms), string(limits), string(capacity), us(r.CreatedAt)); err != nil {
		if isUniqueViolation(err) {
			return r, kefu.FieldError("name", "a role with this name exists")
		}
		return r, kefu.Internal(err)
	}
	return r, nil
}

// CreateRole adds a role.
func (s *Store) CreateRole(ctx context.Context, tenantID string, a Actor, r kefu.Role) (kefu.Role, error) {
	var out kefu.Role
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		if out, err = tx.createRole(tenantID, r); err != nil {
			return err
		}
		tx.SetResult(out)
		return tx.Event(tenantID, a, "role.created", "role", out.ID, "", nil, out)
	})
	return out, err
}

// UpdateRole replaces a role's name, permissions and limits.
func (s *Store) UpdateRole(ctx context.Context, tenantID string, a Actor, r kefu.Role) (kefu.Role, error) {
	if err := validateRole(r); err != nil {
		return r, err
	}
	var out kefu.Role
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := tx.s.role(ctx, tx.sql(), tenantID, r.ID)
		if err != nil {
			return err
		}
		out = r
		out.TenantID, out.CreatedAt = tenantID, before.CreatedAt
		if out.Permissions == nil {
			out.Permissions = []kefu.Permission{}
		}
		if out.Limits == nil {
			out.Limits = map[kefu.Action]kefu.Limit{}
		}
		perms, _ := json.Marshal(out.Permissions)
		limits, _ := json.Marshal(out.Limits)
		capacity, _ := json.Marshal(nonNilMap(out.Capacity))
		if _, err := tx.exec(`UPDATE roles SET name = $3, permissions = $4, limits = $5, capacity = $6 WHERE tenant_id = $1 AND id = $2`,
			tenantID, r.ID, r.Name, string(perms), string(limits), string(capacity)); err != nil {
			if isUniqueViolation(err) {
				return kefu.FieldError("name", "a role with this name exists")
			}
			return kefu.Internal(err)
		}
		tx.AfterCommit(func() { s.principals.flush() })
		tx.SetResult(out)
		return tx.Event(tenantID, a, "role.updated", "role", r.ID, "", before, out)
	})
	return out, err
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

const roleCols = `id, name, permissions, limits, capacity, created_at`

func scanRole(sc interface{ Scan(...any) error }, tenantID string) (kefu.Role, error) {
	r := kefu.Role{TenantID: tenantID}
	var perms, limits, capacity string
	var created int64
	if err := sc.Scan(&r.ID, &r.Name, &perms, &limits, &capacity, &created); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(capacity), &r.Capacity); err != nil {
		return r, err
	}
	r.CreatedAt = fromUS(created)
	if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(limits), &r.Limits); err != nil {
		return r, err
	}
	return r, nil
}

func (s *Store) role(ctx context.Context, q querier, tenantID, id string) (kefu.Role, error) {
	r, err := scanRole(q.QueryRowContext(ctx, `SELECT `+roleCols+` FROM roles WHERE tenant_id = $1 AND id = $2`, tenantID, id), tenantID)
	return r, notFound(err, "role")
}

// Role reads one role.
func (s *Store) Role(ctx context.Context, tenantID, id string) (kefu.Role, error) {
	return s.role(ctx, s.db, tenantID, id)
}

// Roles lists a tenant's roles.
func (s *Store) Roles(ctx context.Context, tenantID string) ([]kefu.Role, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+roleCols+` FROM roles WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Role
	for rows.Next() {
		r, err := scanRole(rows, tenantID)
		if err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, r)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// --- users and grants ---

// NormalizeEmail is how emails are compared everywhere.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func validateUser(u kefu.User) error {
	f := map[string]string{}
	if !strings.Contains(u.Email, "@") {
		f["email"] = "must be an email address"
	}
	if strings.TrimSpace(u.Name) == "" {
		f["name"] = "required"
	}
	if !kefu.ValidUserKind(u.Kind) {
		f["kind"] = "unknown kind"
	}
	if !kefu.ValidTier(u.Tier) {
		f["tier"] = "must be junior, intermediate, senior or expert"
	}
	if u.Phone != "" {
		if _, err := NormalizeIdentity(kefu.IdentityPhone, u.Phone); err != nil {
			f["phone"] = "must be a phone number: digits, with an optional leading +"
		}
	}
	if u.Kind == kefu.UserVendorAgent && u.VendorID == "" {
		f["vendor_id"] = "required for a vendor agent"
	}
	if u.Kind == kefu.UserDepartment && u.DepartmentID == "" {
		f["department_id"] = "required for department staff"
	}
	if len(f) > 0 {
		return kefu.Invalid("invalid_input", "invalid user", f)
	}
	return nil
}

// CreateUser adds a user with their grants. PasswordHash is already hashed.
func (s *Store) CreateUser(ctx context.Context, tenantID string, a Actor, u kefu.User) (kefu.User, error) {
	u.Email = NormalizeEmail(u.Email)
	if err := validateUser(u); err != nil {
		return u, err
	}
	var out kefu.User
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.createUser(tenantID, a, u)
		tx.SetResult(out)
		return err
	})
	return out, err
}

func (tx *Tx) createUser(tenantID string, a Actor, u kefu.User) (kefu.User, error) {
	u.Email = NormalizeEmail(u.Email)
	if err := validateUser(u); err != nil {
		return u, err
	}
	u.Phone = normalizeUserPhone(u.Phone)
	s := tx.s
	for _, c := range []struct{ table, field, id string }{{"vendors", "vendor_id", u.VendorID}, {"departments", "department_id", u.DepartmentID}} {
		if err := tx.checkRef(c.table, c.field, tenantID, c.id); err != nil {
			return u, err
		}
	}
	u.ID, u.TenantID, u.CreatedAt, u.Active = newID(), tenantID, s.Now(), true
	if _, err := tx.exec(`INSERT INTO users (id, tenant_id, email, name, kind, tier, vendor_id, department_id, locale, active, platform_admin, password_hash, created_at, phone)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13)`,
		u.ID, tenantID, u.Email, u.Name, string(u.Kind), string(u.Tier), nullStr(u.VendorID), nullStr(u.DepartmentID), u.Locale,
		boolInt(u.PlatformAdmin), u.PasswordHash, us(u.CreatedAt), u.Phone); err != nil {
		if isUniqueViolation(err) {
			return u, kefu.FieldError("email", "a user with this email exists")
		}
		return u, kefu.Internal(err)
	}
	grants := u.Grants
	u.Grants = []kefu.Grant{}
	for _, g := range grants {
		g, err := tx.grant(tenantID, u.ID, g)
		if err != nil {
			return u, err
		}
		u.Grants = append(u.Grants, g)
	}
	return u, tx.Event(tenantID, a, "user.created", "user", u.ID, "", nil, maskedUser(u))
}

func (tx *Tx) grant(tenantID, userID string, g kefu.Grant) (kefu.Grant, error) {
	if err := tx.checkRef("roles", "role_id", tenantID, g.RoleID); err != nil {
		return g, err
	}
	if g.RoleID == "" {
		return g, kefu.FieldError("role_id", "required")
	}
	if err := tx.checkOrg(tenantID, g.OrgID); err != nil {
		return g, err
	}
	g.ID, g.UserID = newID(), userID
	_, err := tx.exec(`INSERT INTO grants (id, tenant_id, user_id, role_id, org_id) VALUES ($1, $2, $3, $4, $5)`, g.ID, tenantID, userID, g.RoleID, nullStr(g.OrgID))
	return g, kefu.InternalOrNil(err)
}

// UserPatch changes some of a user's fields; nil leaves a field alone.
type UserPatch struct {
	Name         *string
	Kind         *kefu.UserKind
	Tier         *kefu.Tier
	Locale       *string
	Phone        *string
	Active       *bool
	PasswordHash *string
	Grants       *[]kefu.Grant // replaces all grants
}

// UpdateUser applies a patch.
func (s *Store) UpdateUser(ctx context.Context, tenantID string, a Actor, id string, p UserPatch) (kefu.User, error) {
	var out kefu.User
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := s.user(ctx, tx.sql(), `tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		u := before
		if p.Name != nil {
			u.Name = *p.Name
		}
		if p.Kind != nil {
			u.Kind = *p.Kind
		}
		if p.Tier != nil {
			u.Tier = *p.Tier
		}
		if p.Locale != nil {
			u.Locale = *p.Locale
		}
		if p.Phone != nil {
			u.Phone = *p.Phone
		}
		if p.Active != nil {
			u.Active = *p.Active
		}
		if p.PasswordHash != nil {
			u.PasswordHash = *p.PasswordHash
		}
		if err := validateUser(u); err != nil {
			return err
		}
		u.Phone = normalizeUserPhone(u.Phone)
		if _, err := tx.exec(`UPDATE users SET name = $3, kind = $4, tier = $5, locale = $6, active = $7, password_hash = $8, phone = $9 WHERE tenant_id = $1 AND id = $2`,
			tenantID, id, u.Name, string(u.Kind), string(u.Tier), u.Locale, boolInt(u.Active), u.PasswordHash, u.Phone); err != nil {
			return kefu.Internal(err)
		}
		if p.Grants != nil {
			if _, err := tx.exec(`UPDATE api_tokens SET grant_id = NULL WHERE tenant_id = $1 AND user_id = $2`, tenantID, id); err != nil {
				return kefu.Internal(err)
			}
			if _, err := tx.exec(`DELETE FROM grants WHERE tenant_id = $1 AND user_id = $2`, tenantID, id); err != nil {
				return kefu.Internal(err)
			}
			u.Grants = []kefu.Grant{}
			for _, g := range *p.Grants {
				g, err := tx.grant(tenantID, id, g)
				if err != nil {
					return err
				}
				u.Grants = append(u.Grants, g)
			}
		}
		if p.Active != nil && !*p.Active {
			if _, err := tx.exec(`DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2`, tenantID, id); err != nil {
				return kefu.Internal(err)
			}
		}
		tx.AfterCommit(func() { s.principals.flush() })
		out = u
		tx.SetResult(u)
		return tx.Event(tenantID, a, "user.updated", "user", id, "", maskedUser(before), maskedUser(u))
	})
	return out, err
}

const userCols = `id, tenant_id, email, name, kind, tier, COALESCE(vendor_id, ''), COALESCE(department_id, ''), locale, active, platform_admin, password_hash, created_at, phone`

// maskedUser is a user as the history and webhooks carry it: the phone
// masked, as anyone with the audit log can read it.
func maskedUser(u kefu.User) kefu.User {
	u.Phone = relay.MaskPhone(u.Phone)
	return u
}

// normalizeUserPhone is the stored form of a checked phone number.
func normalizeUserPhone(p string) string {
	if p == "" {
		return ""
	}
	v, _ := NormalizeIdentity(kefu.IdentityPhone, p)
	return v
}

func (s *Store) user(ctx context.Context, q querier, where string, args ...any) (kefu.User, error) {
	var u kefu.User
	var active, platform int
	var created int64
	var kind, tier string
	err := q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where, args...).Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &kind, &tier,
		&u.VendorID, &u.DepartmentID, &u.Locale, &active, &platform, &u.PasswordHash, &created, &u.Phone)
	if err != nil {
		return u, notFound(err, "user")
	}
	u.Kind, u.Tier, u.Active, u.PlatformAdmin, u.CreatedAt = kefu.UserKind(kind), kefu.Tier(tier), active == 1, platform == 1, fromUS(created)
	u.Grants, err = s.grants(ctx, q, u.TenantID, u.ID)
	return u, err
}

func (s *Store) grants(ctx context.Context, q querier, tenantID, userID string) ([]kefu.Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, role_id, COALESCE(org_id, '') FROM grants WHERE tenant_id = $1 AND user_id = $2 ORDER BY id`, tenantID, userID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Grant{}
	for rows.Next() {
		g := kefu.Grant{UserID: userID}
		if err := rows.Scan(&g.ID, &g.RoleID, &g.OrgID); err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, g)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// User reads one user of a tenant.
func (s *Store) User(ctx context.Context, tenantID, id string) (kefu.User, error) {
	return s.user(ctx, s.db, `tenant_id = $1 AND id = $2`, tenantID, id)
}

// UserByEmail finds a user for sign-in (emails are unique across tenants).
func (s *Store) UserByEmail(ctx context.Context, email string) (kefu.User, error) {
	return s.user(ctx, s.db, `email = $1`, NormalizeEmail(email))
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Kind     string
	VendorID string
	Limit    int
	After    string // id cursor
}

// Users lists a tenant's users by id.
func (s *Store) Users(ctx context.Context, tenantID string, f UserFilter) ([]kefu.User, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = $1 AND ($2 = '' OR kind = $2)
		AND ($3 = '' OR vendor_id = $3) AND id > $4 ORDER BY id LIMIT $5`, tenantID, f.Kind, f.VendorID, f.After, f.Limit)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.User
	for rows.Next() {
		var u kefu.User
		var active, platform int
		var created int64
		var kind, tier string
		if err := rows.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &kind, &tier, &u.VendorID, &u.DepartmentID, &u.Locale, &active, &platform, &u.PasswordHash, &created, &u.Phone); err != nil {
			return nil, kefu.Internal(err)
		}
		u.Kind, u.Tier, u.Active, u.PlatformAdmin, u.CreatedAt = kefu.UserKind(kind), kefu.Tier(tier), active == 1, platform == 1, fromUS(created)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	rows.Close()
	for i := range out {
		if out[i].Grants, err = s.grants(ctx, s.db, tenantID, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountUsers counts all users of the installation (first-start bootstrap).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, kefu.InternalOrNil(err)
}

// --- API tokens ---

// CreateToken stores a token whose secret hash was computed by the caller.
func (s *Store) CreateToken(ctx context.Context, tenantID string, a Actor, t kefu.Token) (kefu.Token, error) {
	if strings.TrimSpace(t.Name) == "" {
		return t, kefu.FieldError("name", "required")
	}
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("users", "user_id", tenantID, t.UserID); err != nil {
			return err
		}
		if t.GrantID != "" {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM grants WHERE tenant_id = $1 AND id = $2 AND user_id = $3`, tenantID, t.GrantID, t.UserID).Scan(&n); err != nil {
				return kefu.Internal(err)
			}
			if n == 0 {
				return kefu.FieldError("grant_id", "not one of the user's grants")
			}
		}
		t.TenantID, t.CreatedAt = tenantID, s.Now()
		if t.ID == "" {
			t.ID = newID()
		}
		if _, err := tx.exec(`INSERT INTO api_tokens (id, tenant_id, user_id, grant_id, name, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, tenantID, t.UserID, nullStr(t.GrantID), t.Name, t.SecretHash, us(t.CreatedAt), nullUS(t.ExpiresAt)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(t)
		return tx.Event(tenantID, a, "token.created", "token", t.ID, "", nil, t)
	})
	return t, err
}

// RevokeToken makes a token unusable at once on this node, and on others
// within the principal cache's lifetime.
func (s *Store) RevokeToken(ctx context.Context, tenantID string, a Actor, id string) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`, tenantID, id, us(s.Now()))
		if err != nil {
			return kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kefu.NotFound("token")
		}
		tx.AfterCommit(func() { s.principals.forget("t:" + id) })
		return tx.Event(tenantID, a, "token.revoked", "token", id, "", nil, nil)
	})
}

// Tokens lists a user's tokens (no secrets).
func (s *Store) Tokens(ctx context.Context, tenantID, userID string) ([]kefu.Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, COALESCE(grant_id, ''), name, created_at, expires_at, revoked_at FROM api_tokens
		WHERE tenant_id = $1 AND ($2 = '' OR user_id = $2) ORDER BY id`, tenantID, userID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []kefu.Token
	for rows.Next() {
		t := kefu.Token{TenantID: tenantID}
		var created int64
		var exp, rev sql.NullInt64
		if err := rows.Scan(&t.ID, &t.UserID, &t.GrantID, &t.Name, &created, &exp, &rev); err != nil {
			return nil, kefu.Internal(err)
		}
		t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromUS(created), fromNullUS(exp), fromNullUS(rev)
		out = append(out, t)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Principal is who a request acts as: the user, their roles (narrowed to
// one grant for a scoped token) and the tenant.
type Principal struct {
	TenantID string
	User     kefu.User
	Grants   []kefu.Grant
	Roles    map[string]kefu.Role // by role id
	TokenID  string
	loaded   time.Time
}

// TokenPrincipal resolves a token id and secret hash. Results are cached so
// a request pays a map lookup and a constant-time compare, not a query.
func (s *Store) TokenPrincipal(ctx context.Context, tokenID string, secretHash []byte) (*Principal, error) {
	key := "t:" + tokenID
	p, hash, ok := s.principals.get(key)
	if !ok {
		var tenantID, userID, grantID string
		var exp, rev sql.NullInt64
		err := s.db.QueryRowContext(ctx, `SELECT tenant_id, user_id, COALESCE(grant_id, ''), secret_hash, expires_at, revoked_at FROM api_tokens WHERE id = $1`, tokenID).
			Scan(&tenantID, &userID, &grantID, &hash, &exp, &rev)
		if err != nil {
			if err == sql.ErrNoRows {
				return nil, kefu.Unauthorized("unknown token")
			}
			return nil, kefu.Internal(err)
		}
		if rev.Valid {
			return nil, kefu.Unauthorized("token revoked")
		}
		if exp.Valid && fromUS(exp.Int64).Before(s.Now()) {
			return nil, kefu.Unauthorized("token expired")
		}
		p, err = s.loadPrincipal(ctx, tenantID, userID, grantID)
		if err != nil {
			return nil, err
		}
		p.TokenID = tokenID
		s.principals.put(key, p, hash)
	}
	if subtle.ConstantTimeCompare(hash, secretHash) != 1 {
		return nil, kefu.Unauthorized("bad token")
	}
	if !p.User.Active {
		return nil, kefu.Unauthorized("user disabled")
	}
	return p, nil
}

func (s *Store) loadPrincipal(ctx context.Context, tenantID, userID, grantID string) (*Principal, error) {
	u, err := s.User(ctx, tenantID, userID)
	if err != nil {
		if kefu.IsNotFound(err) {
			return nil, kefu.Unauthorized("unknown user")
		}
		return nil, err
	}
	p := &Principal{TenantID: tenantID, User: u, Roles: map[string]kefu.Role{}, loaded: time.Now()}
	for _, g := range u.Grants {
		if grantID != "" && g.ID != grantID {
			continue
		}
		p.Grants = append(p.Grants, g)
		if _, ok := p.Roles[g.RoleID]; !ok {
			r, err := s.Role(ctx, tenantID, g.RoleID)
			if err != nil {
				return nil, err
			}
			p.Roles[g.RoleID] = r
		}
	}
	return p, nil
}

// --- web sessions ---

// CreateSession stores a session by the hash of its cookie value.
func (s *Store) CreateSession(ctx context.Context, tenantID, userID string, idHash []byte, csrf string, ttl time.Duration) error {
	now := s.Now()
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM sessions WHERE expires_at < $1`, us(now)); err != nil {
			return kefu.Internal(err)
		}
		_, err := tx.exec(`INSERT INTO sessions (id_hash, tenant_id, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			idHash, tenantID, userID, csrf, us(now), us(now.Add(ttl)))
		return kefu.InternalOrNil(err)
	})
}

// SessionPrincipal resolves a session cookie hash; it returns the CSRF token too.
func (s *Store) SessionPrincipal(ctx context.Context, idHash []byte) (*Principal, string, error) {
	var tenantID, userID, csrf string
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id, user_id, csrf, expires_at FROM sessions WHERE id_hash = $1`, idHash).Scan(&tenantID, &userID, &csrf, &exp)
	if err != nil {
		if err == sql.ErrNoRows {
			return nil, "", kefu.Unauthorized("no session")
		}
		return nil, "", kefu.Internal(err)
	}
	if fromUS(exp).Before(s.Now()) {
		return nil, "", kefu.Unauthorized("session expired")
	}
	p, err := s.loadPrincipal(ctx, tenantID, userID, "")
	if err != nil {
		return nil, "", err
	}
	if !p.User.Active {
		return nil, "", kefu.Unauthorized("user disabled")
	}
	return p, csrf, nil
}

// DeleteSession signs a session out.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM sessions WHERE id_hash = $1`, idHash)
		return kefu.InternalOrNil(err)
	})
}
