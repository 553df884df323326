package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"unicode"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/search"
)

// NormalizeIdentity returns the stored form of an identity value, or an
// error naming the problem.
func NormalizeIdentity(kind kefu.IdentityKind, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", kefu.FieldError("identities", "empty "+string(kind))
	}
	if len(v) > 320 {
		return "", kefu.FieldError("identities", string(kind)+" is too long")
	}
	switch kind {
	case kefu.IdentityEmail:
		v = strings.ToLower(v)
		if at := strings.LastIndexByte(v, '@'); at < 1 || at == len(v)-1 {
			return "", kefu.FieldError("identities", "email "+value+" is not an address")
		}
	case kefu.IdentityPhone:
		var b strings.Builder
		for i, r := range v {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r >= '０' && r <= '９': // full-width digits
				b.WriteRune('0' + (r - '０'))
			case r == '+' && i == 0:
				b.WriteRune(r)
			case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			default:
				return "", kefu.FieldError("identities", "phone "+value+" has a character that is not a digit")
			}
		}
		v = b.String()
		if len(strings.TrimPrefix(v, "+")) < 3 {
			return "", kefu.FieldError("identities", "phone "+value+" is too short")
		}
	case kefu.IdentityChat, kefu.IdentityApp, kefu.IdentityExternal:
		for _, r := range v {
			if unicode.IsControl(r) {
				return "", kefu.FieldError("identities", string(kind)+" id has control characters")
			}
		}
	default:
		return "", kefu.FieldError("identities", "unknown identity kind "+string(kind))
	}
	return v, nil
}

func identityScope(id kefu.Identity) string {
	if id.Kind == kefu.IdentityExternal {
		return id.OrgID
	}
	return ""
}

func customerSearchDoc(c kefu.Customer) string {
	parts := []string{c.Name}
	for _, id := range c.Identities {
		parts = append(parts, id.Value)
	}
	for _, v := range c.Attributes {
		parts = append(parts, v)
	}
	return search.Document(parts...)
}

func (tx *Tx) validTier(tenantID, tier string) error {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM customer_tiers WHERE tenant_id = $1 AND code = $2`, tenantID, tier).Scan(&n); err != nil {
		return kefu.Internal(err)
	}
	if n == 0 {
		return kefu.FieldError("tier", "no such tier "+tier)
	}
	return nil
}

// defaultTier is the least valued tier, for customers nobody classified.
func (tx *Tx) defaultTier(tenantID string) (string, error) {
	tiers, err := tx.s.cachedTiers(tx, tenantID)
	if err != nil || len(tiers) == 0 {
		return "standard", err
	}
	return tiers[len(tiers)-1].Code, nil
}

// createCustomer inserts a customer with identities inside a write.
// orgChecked says the caller has already checked c.OrgID in this write.
// ifFree (one identity) writes the customer only if its identity belongs
// to nobody, and otherwise writes nothing and returns errIdentityKnown,
// without the failed INSERT that would abort a PostgreSQL batch.
func (tx *Tx) createCustomer(sc Scope, a Actor, c kefu.Customer, orgChecked, ifFree bool) (kefu.Customer, error) {
	tenantID := sc.TenantID
	if strings.TrimSpace(c.Name) == "" {
		return c, kefu.FieldError("name", "required")
	}
	if orgChecked && c.OrgID != "" {
		// The new ticket's organization, checked a moment ago.
	} else if c.OrgID == "" {
		root, err := tx.rootOrg(tenantID)
		if err != nil {
			return c, err
		}
		c.OrgID = root
	} else if err := tx.checkOrg(tenantID, c.OrgID); err != nil {
		return c, err
	}
	if !sc.sees(c.OrgID) {
		return c, kefu.FieldError("org_id", "outside your organization scope")
	}
	if c.Tier == "" {
		t, err := tx.defaultTier(tenantID)
		if err != nil {
			return c, err
		}
		c.Tier = t
	} else if err := tx.validTier(tenantID, c.Tier); err != nil {
		return c, err
	}
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	now := tx.s.Now()
	c.ID, c.TenantID, c.CreatedAt, c.UpdatedAt = newID(), tenantID, now, now
	ids := c.Identities
	c.Identities = make([]kefu.Identity, 0, len(ids))
	for _, id := range ids {
		v, err := NormalizeIdentity(id.Kind, id.Value)
		if err != nil {
			return c, err
		}
		id.Value, id.ID, id.CustomerID, id.CreatedAt = v, newID(), c.ID, now
		if id.Kind != kefu.IdentityExternal {
			id.OrgID = ""
		} else if id.OrgID == "" {
			id.OrgID = c.OrgID
		}
		c.Identities = append(c.Identities, id)
	}
	attrs, _ := json.Marshal(c.Attributes)
	doc := customerSearchDoc(c)
	const insertCustomer = `INSERT INTO customers (` + customerInsertCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`
	args := []any{c.ID, tenantID, c.OrgID, c.Name, c.Tier, c.Locale, string(attrs), tx.stored(doc), us(now)}
	if tx.s.dialect == Postgres && len(c.Identities) > 0 && ifFree && !tx.self.careful {
		// Queued with the batch's other rows (insertFirst): no round trip of
		// its own. If somebody took an identity after the caller looked,
		// the batch's statement is refused and its operations run again
		// one at a time, carefully: then the identity is found taken.
		if err := tx.insertFirst("customers", customerInsertCols, c.ID, tenantID, c.OrgID, c.Name, c.Tier, c.Locale, string(attrs), tx.stored(doc), us(now), us(now)); err != nil {
			return c, err
		}
		for _, id := range c.Identities {
			if err := tx.insertFirst("customer_identities", identityInsertCols, id.ID, tenantID, c.ID, string(id.Kind), identityScope(id), id.Value, us(now)); err != nil {
				return c, err
			}
		}
	} else if tx.s.dialect == Postgres && len(c.Identities) == 1 && ifFree {
		// One round trip: the identity if nobody has it, and then the customer.
		id := c.Identities[0]
		args = append(args, id.ID, string(id.Kind), identityScope(id), id.Value)
		res, err := tx.exec(`WITH i AS (INSERT INTO customer_identities (id, tenant_id, customer_id, kind, scope, value, created_at)
			VALUES ($10, $2, $1, $11, $12, $13, $9) ON CONFLICT DO NOTHING RETURNING id)
			INSERT INTO customers (id, tenant_id, org_id, name, tier, locale, attributes, search, created_at, updated_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 WHERE EXISTS (SELECT 1 FROM i)`, args...)
		if err != nil {
			return c, kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return c, errIdentityKnown
		}
	} else if len(c.Identities) == 1 && ifFree {
		// SQLite: the customer, then its identity unless somebody has it
		// (a batch committed after the caller looked); if somebody does,
		// the customer is deleted again before anything else of it is written.
		if _, err := tx.exec(insertCustomer, args...); err != nil {
			return c, kefu.Internal(err)
		}
		id := c.Identities[0]
		res, err := tx.exec(`INSERT INTO customer_identities (id, tenant_id, customer_id, kind, scope, value, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			id.ID, tenantID, c.ID, string(id.Kind), identityScope(id), id.Value, us(now))
		if err != nil {
			return c, kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.exec(`DELETE FROM customers WHERE id = $1`, c.ID); err != nil {
				return c, kefu.Internal(err)
			}
			return c, errIdentityKnown
		}
	} else if tx.s.dialect == Postgres && len(c.Identities) == 1 {
		// One round trip for the customer and its identity (the usual case).
		id := c.Identities[0]
		args = append(args, id.ID, string(id.Kind), identityScope(id), id.Value)
		if _, err := tx.exec(`WITH c AS (`+insertCustomer+`) INSERT INTO customer_identities (id, tenant_id, customer_id, kind, scope, value, created_at)
			VALUES ($10, $2, $1, $11, $12, $13, $9)`, args...); err != nil {
			if isUniqueViolation(err) {
				return c, identityTaken(id, "") // the failed statement aborted the transaction: no owner to read
			}
			return c, kefu.Internal(err)
		}
	} else {
		if _, err := tx.exec(insertCustomer, args...); err != nil {
			return c, kefu.Internal(err)
		}
		for _, id := range c.Identities {
			if err := tx.insertIdentity(tenantID, id); err != nil {
				return c, err
			}
		}
	}
	if err := tx.index("customers", tenantID, c.ID, doc, false); err != nil {
		return c, err
	}
	tx.sawTier(c.ID, c.Tier)
	return c, tx.Event(tenantID, a, "customer.created", "customer", c.ID, "", nil, c)
}

// sawTier records a customer's tier as this batch sees it (created, found
// or changed), for the batch's later operations (slaPolicy) and for routing
// after the write (TicketCreated.CustomerTier).
func (tx *Tx) sawTier(customerID, tier string) {
	if tx.appends.tiers == nil {
		tx.appends.tiers = map[string]string{}
	}
	tx.appends.tiers[customerID] = tier
}

const (
	customerInsertCols = `id, tenant_id, org_id, name, tier, locale, attributes, search, created_at, updated_at`
	identityInsertCols = `id, tenant_id, customer_id, kind, scope, value, created_at`
)

func (tx *Tx) insertIdentity(tenantID string, id kefu.Identity) error {
	if _, err := tx.exec(`INSERT INTO customer_identities (`+identityInsertCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id.ID, tenantID, id.CustomerID, string(id.Kind), identityScope(id), id.Value, us(id.CreatedAt)); err != nil {
		if isUniqueViolation(err) {
			var owner string
			_ = tx.queryRow(`SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND scope = $3 AND value = $4`,
				tenantID, string(id.Kind), identityScope(id), id.Value).Scan(&owner)
			return identityTaken(id, owner)
		}
		return kefu.Internal(err)
	}
	return nil
}

// errIdentityKnown: createCustomer with ifFree found the identity taken.
var errIdentityKnown = errors.New("identity known")

// identityTaken is the conflict of an identity that belongs to someone else.
func identityTaken(id kefu.Identity, owner string) error {
	if owner == "" {
		owner = "another customer" // PostgreSQL: the failed insert aborted the transaction
	} else {
		owner = "customer " + owner
	}
	e := kefu.Conflict("identity_taken", string(id.Kind)+" "+id.Value+" belongs to "+owner)
	e.Fields = map[string]string{"identities": "belongs to " + owner}
	return e
}

func (tx *Tx) rootOrg(tenantID string) (string, error) {
	orgs, err := tx.s.cachedOrgs(tx.ctx, tenantID)
	if err != nil {
		return "", err
	}
	for _, o := range orgs {
		if o.ParentID == "" {
			return o.ID, nil
		}
	}
	// Not committed yet (the tenant is being created in this batch): ask the transaction.
	var id string
	err = tx.queryRow(`SELECT id FROM orgs WHERE tenant_id = $1 AND parent_id IS NULL`, tenantID).Scan(&id)
	return id, notFound(err, "org")
}

// CreateCustomer adds a customer; an identity that belongs to someone else is a conflict.
func (s *Store) CreateCustomer(ctx context.Context, sc Scope, a Actor, c kefu.Customer) (kefu.Customer, error) {
	var out kefu.Customer
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.createCustomer(sc, a, c, false, false)
		tx.SetResult(out)
		return err
	})
	return out, err
}

// customerVisible is the SQL condition for a customer in scope: their home
// organization is in scope, or any of their tickets is. $1 is the tenant.
func customerVisible(sc Scope, alias string, args *[]any) string {
	if sc.OrgIDs == nil {
		return "1=1"
	}
	in := inList(sc.OrgIDs, args)
	return "(" + alias + ".org_id IN " + in + " OR EXISTS (SELECT 1 FROM tickets vt WHERE vt.tenant_id = " + alias + ".tenant_id AND vt.customer_id = " + alias + ".id AND vt.org_id IN " + in + "))"
}

// inList appends values as parameters and returns "($n, $n+1, …)".
func inList(vals []string, args *[]any) string {
	if len(vals) == 0 {
		return "(NULL)"
	}
	var b strings.Builder
	writeTuple(&b, args, vals)
	return b.String()
}

// writeTuple appends vals as parameters and writes "($n, $n+1, …)".
func writeTuple[T any](b *strings.Builder, args *[]any, vals []T) {
	b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		*args = append(*args, v)
		b.WriteString(placeholder(len(*args)))
	}
	b.WriteByte(')')
}

func placeholder(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return "$" + digits[n:n+1]
	}
	var buf [8]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = digits[n%10]
		n /= 10
	}
	return "$" + string(buf[i:])
}

const customerCols = `c.id, COALESCE(c.org_id, ''), c.name, c.tier, c.locale, c.attributes, COALESCE(c.merged_into, ''), c.created_at, c.updated_at`

func scanCustomer(sc interface{ Scan(...any) error }, tenantID string) (kefu.Customer, error) {
	c := kefu.Customer{TenantID: tenantID}
	var attrs string
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.OrgID, &c.Name, &c.Tier, &c.Locale, &attrs, &c.MergedInto, &created, &updated); err != nil {
		return c, err
	}
	c.CreatedAt, c.UpdatedAt = fromUS(created), fromUS(updated)
	if err := json.Unmarshal([]byte(attrs), &c.Attributes); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Store) customer(ctx context.Context, q querier, sc Scope, id string) (kefu.Customer, error) {
	args := []any{sc.TenantID, id}
	vis := customerVisible(sc, "c", &args)
	c, err := scanCustomer(q.QueryRowContext(ctx, `SELECT `+customerCols+` FROM customers c WHERE c.tenant_id = $1 AND c.id = $2 AND `+vis, args...), sc.TenantID)
	if err != nil {
		return c, notFound(err, "customer")
	}
	c.Identities, err = s.identities(ctx, q, sc.TenantID, []string{c.ID})
	return c, err
}

func (s *Store) identities(ctx context.Context, q querier, tenantID string, customerIDs []string) ([]kefu.Identity, error) {
	args := []any{tenantID}
	in := inList(customerIDs, &args)
	rows, err := q.QueryContext(ctx, `SELECT id, customer_id, kind, scope, value, created_at FROM customer_identities WHERE tenant_id = $1 AND customer_id IN `+in+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Identity{}
	for rows.Next() {
		var id kefu.Identity
		var kind string
		var created int64
		if err := rows.Scan(&id.ID, &id.CustomerID, &kind, &id.OrgID, &id.Value, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		id.Kind, id.CreatedAt = kefu.IdentityKind(kind), fromUS(created)
		out = append(out, id)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// Customer reads one customer with identities. A merged customer is still
// returned, with MergedInto naming the survivor.
func (s *Store) Customer(ctx context.Context, sc Scope, id string) (kefu.Customer, error) {
	return s.customer(ctx, s.db, sc, id)
}

// CustomerByIdentity finds the customer known by an identity. orgID scopes
// external ids (ignored for other kinds).
func (s *Store) CustomerByIdentity(ctx context.Context, sc Scope, kind kefu.IdentityKind, value, orgID string) (kefu.Customer, error) {
	v, err := NormalizeIdentity(kind, value)
	if err != nil {
		return kefu.Customer{}, err
	}
	scope := ""
	if kind == kefu.IdentityExternal {
		scope = orgID
	}
	var cid string
	err = s.db.QueryRowContext(ctx, `SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND scope = $3 AND value = $4`,
		sc.TenantID, string(kind), scope, v).Scan(&cid)
	if err != nil {
		return kefu.Customer{}, notFound(err, "customer")
	}
	return s.Customer(ctx, sc, cid)
}

// CustomerFilter narrows ListCustomers. Results come newest-updated first.
type CustomerFilter struct {
	Query  string // full-text: name, identities, attributes (Chinese segmented)
	Tier   string
	OrgID  string
	Limit  int
	Cursor string
}

// Customers lists customers in scope; merged-away customers are left out.
func (s *Store) Customers(ctx context.Context, sc Scope, f CustomerFilter) ([]kefu.Customer, string, error) {
	limit := clampLimit(f.Limit)
	args := []any{sc.TenantID}
	where := []string{"c.tenant_id = $1", "c.merged_into IS NULL", customerVisible(sc, "c", &args)}
	if f.Tier != "" {
		args = append(args, f.Tier)
		where = append(where, "c.tier = "+placeholder(len(args)))
	}
	if f.OrgID != "" {
		args = append(args, f.OrgID)
		where = append(where, "c.org_id = "+placeholder(len(args)))
	}
	from := "customers c"
	if f.Query != "" {
		src, ok := s.searchSource("customers", "c", sc.TenantID, f.Query, &args)
		if !ok {
			return []kefu.Customer{}, "", nil
		}
		from = src
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, id)
		n := len(args)
		where = append(where, "(c.updated_at < "+placeholder(n-1)+" OR (c.updated_at = "+placeholder(n-1)+" AND c.id < "+placeholder(n)+"))")
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+customerCols+` FROM `+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY c.updated_at DESC, c.id DESC LIMIT `+placeholder(len(args)), args...)
	if err != nil {
		return nil, "", kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Customer{}
	for rows.Next() {
		c, err := scanCustomer(rows, sc.TenantID)
		if err != nil {
			return nil, "", kefu.Internal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", kefu.Internal(err)
	}
	rows.Close()
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(us(last.UpdatedAt), last.ID)
	}
	if len(out) > 0 {
		ids := make([]string, len(out))
		byID := map[string]int{}
		for i, c := range out {
			ids[i] = c.ID
			byID[c.ID] = i
			out[i].Identities = []kefu.Identity{}
		}
		idents, err := s.identities(ctx, s.db, sc.TenantID, ids)
		if err != nil {
			return nil, "", err
		}
		for _, id := range idents {
			i := byID[id.CustomerID]
			out[i].Identities = append(out[i].Identities, id)
		}
	}
	return out, next, nil
}

// CustomerPatch changes some fields; nil leaves a field alone.
type CustomerPatch struct {
	Name             *string
	Tier             *string
	Locale           *string
	Attributes       map[string]*string // nil value deletes the key
	AddIdentities    []kefu.Identity
	RemoveIdentities []string // identity ids
}

// UpdateCustomer applies a patch and records before/after.
func (s *Store) UpdateCustomer(ctx context.Context, sc Scope, a Actor, id string, p CustomerPatch) (kefu.Customer, error) {
	var out kefu.Customer
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.updateCustomer(sc, a, id, p)
		return err
	})
	return out, err
}

func (tx *Tx) updateCustomer(sc Scope, a Actor, id string, p CustomerPatch) (kefu.Customer, error) {
	s, ctx := tx.s, tx.ctx
	before, err := s.customer(ctx, tx.sql(), sc, id)
	if err != nil {
		return kefu.Customer{}, err
	}
	if before.MergedInto != "" {
		return kefu.Customer{}, kefu.Conflict("customer_merged", "customer was merged into "+before.MergedInto)
	}
	c := before
	c.Attributes = map[string]string{}
	for k, v := range before.Attributes {
		c.Attributes[k] = v
	}
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" {
			return kefu.Customer{}, kefu.FieldError("name", "required")
		}
		c.Name = *p.Name
	}
	if p.Tier != nil {
		if err := tx.validTier(sc.TenantID, *p.Tier); err != nil {
			return kefu.Customer{}, err
		}
		c.Tier = *p.Tier
	}
	if p.Locale != nil {
		c.Locale = *p.Locale
	}
	for k, v := range p.Attributes {
		if v == nil {
			delete(c.Attributes, k)
		} else {
			c.Attributes[k] = *v
		}
	}
	now := s.Now()
	for _, rid := range p.RemoveIdentities {
		res, err := tx.exec(`DELETE FROM customer_identities WHERE tenant_id = $1 AND customer_id = $2 AND id = $3`, sc.TenantID, id, rid)
		if err != nil {
			return kefu.Customer{}, kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kefu.Customer{}, kefu.FieldError("remove_identities", "no identity "+rid+" on this customer")
		}
	}
	for _, ni := range p.AddIdentities {
		v, err := NormalizeIdentity(ni.Kind, ni.Value)
		if err != nil {
			return kefu.Customer{}, err
		}
		ni.Value, ni.ID, ni.CustomerID, ni.CreatedAt = v, newID(), id, now
		if ni.Kind != kefu.IdentityExternal {
			ni.OrgID = ""
		} else if ni.OrgID == "" {
			ni.OrgID = c.OrgID
		}
		if err := tx.insertIdentity(sc.TenantID, ni); err != nil {
			return kefu.Customer{}, err
		}
	}
	if c.Identities, err = s.identities(ctx, tx.sql(), sc.TenantID, []string{id}); err != nil {
		return kefu.Customer{}, err
	}
	c.UpdatedAt = now
	attrs, _ := json.Marshal(c.Attributes)
	doc := customerSearchDoc(c)
	if _, err := tx.exec(`UPDATE customers SET name = $3, tier = $4, locale = $5, attributes = $6, search = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2`,
		sc.TenantID, id, c.Name, c.Tier, c.Locale, string(attrs), tx.stored(doc), us(now)); err != nil {
		return kefu.Customer{}, kefu.Internal(err)
	}
	tx.sawTier(id, c.Tier)
	if err := tx.index("customers", sc.TenantID, id, doc, true); err != nil {
		return kefu.Customer{}, err
	}
	tx.SetResult(c)
	return c, tx.Event(sc.TenantID, a, "customer.updated", "customer", id, "", before, c)
}

// MergeCustomers folds merged into survivor: identities and tickets move,
// merged is marked and kept for history. The merge can be undone.
func (s *Store) MergeCustomers(ctx context.Context, sc Scope, a Actor, survivorID, mergedID string) (kefu.CustomerMerge, error) {
	var m kefu.CustomerMerge
	if survivorID == mergedID {
		return m, kefu.FieldError("merge_id", "cannot merge a customer into itself")
	}
	err := s.Write(ctx, func(tx *Tx) error {
		surv, err := s.customer(ctx, tx.sql(), sc, survivorID)
		if err != nil {
			return err
		}
		merged, err := s.customer(ctx, tx.sql(), sc, mergedID)
		if err != nil {
			return err
		}
		if surv.MergedInto != "" || merged.MergedInto != "" {
			return kefu.Conflict("customer_merged", "one of the customers was already merged")
		}
		now := s.Now()
		m = kefu.CustomerMerge{ID: newID(), SurvivorID: survivorID, MergedID: mergedID, By: a.ID, At: now, IdentityIDs: []string{}, TicketIDs: []string{}}
		for _, id := range merged.Identities {
			m.IdentityIDs = append(m.IdentityIDs, id.ID)
		}
		rows, err := tx.query(`SELECT id FROM tickets WHERE tenant_id = $1 AND customer_id = $2`, sc.TenantID, mergedID)
		if err != nil {
			return kefu.Internal(err)
		}
		for rows.Next() {
			var tid string
			if err := rows.Scan(&tid); err != nil {
				rows.Close()
				return kefu.Internal(err)
			}
			m.TicketIDs = append(m.TicketIDs, tid)
		}
		rows.Close()
		if _, err := tx.exec(`UPDATE customer_identities SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2`, sc.TenantID, mergedID, survivorID); err != nil {
			return kefu.Internal(err)
		}
		if _, err := tx.exec(`UPDATE tickets SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2`, sc.TenantID, mergedID, survivorID); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.flushAppends(); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE contacts SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2`, sc.TenantID, mergedID, survivorID); err != nil {
			return kefu.Internal(err)
		}
		if _, err := tx.exec(`UPDATE customers SET merged_into = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`, sc.TenantID, mergedID, survivorID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.reindexCustomer(sc.TenantID, survivorID, now); err != nil {
			return err
		}
		idsJSON, _ := json.Marshal(m.IdentityIDs)
		ticketsJSON, _ := json.Marshal(m.TicketIDs)
		if _, err := tx.exec(`INSERT INTO customer_merges (id, tenant_id, survivor_id, merged_id, identity_ids, ticket_ids, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.ID, sc.TenantID, survivorID, mergedID, string(idsJSON), string(ticketsJSON), a.ID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(m)
		return tx.Event(sc.TenantID, a, "customer.merged", "customer", survivorID, "", merged, m)
	})
	return m, err
}

// reindexCustomer recomputes a customer's search text after identities moved.
func (tx *Tx) reindexCustomer(tenantID, id string, now interface{ UnixMicro() int64 }) error {
	c, err := tx.s.customer(tx.ctx, tx.sql(), Whole(tenantID), id)
	if err != nil {
		return err
	}
	doc := customerSearchDoc(c)
	if _, err := tx.exec(`UPDATE customers SET search = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2`, tenantID, id, tx.stored(doc), now.UnixMicro()); err != nil {
		return kefu.Internal(err)
	}
	return tx.index("customers", tenantID, id, doc, true)
}

// UnmergeCustomers undoes a merge: the identities and tickets that moved go back.
func (s *Store) UnmergeCustomers(ctx context.Context, sc Scope, a Actor, mergeID string) (kefu.CustomerMerge, error) {
	var m kefu.CustomerMerge
	err := s.Write(ctx, func(tx *Tx) error {
		var ids, tickets string
		var at int64
		var undone sql.NullInt64
		err := tx.queryRow(`SELECT survivor_id, merged_id, identity_ids, ticket_ids, by_user, at, undone_at FROM customer_merges WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, mergeID).Scan(&m.SurvivorID, &m.MergedID, &ids, &tickets, &m.By, &at, &undone)
		if err != nil {
			return notFound(err, "merge")
		}
		if _, err := s.customer(ctx, tx.sql(), sc, m.SurvivorID); err != nil {
			return kefu.NotFound("merge")
		}
		if undone.Valid {
			return kefu.Conflict("merge_undone", "this merge was already undone")
		}
		m.ID, m.At = mergeID, fromUS(at)
		_ = json.Unmarshal([]byte(ids), &m.IdentityIDs)
		_ = json.Unmarshal([]byte(tickets), &m.TicketIDs)
		now := s.Now()
		if err := tx.flushAppends(); err != nil {
			return err
		}
		for _, id := range m.IdentityIDs {
			if _, err := tx.exec(`UPDATE customer_identities SET customer_id = $3 WHERE tenant_id = $1 AND id = $2 AND customer_id = $4`, sc.TenantID, id, m.MergedID, m.SurvivorID); err != nil {
				return kefu.Internal(err)
			}
		}
		for _, id := range m.TicketIDs {
			if _, err := tx.exec(`UPDATE tickets SET customer_id = $3 WHERE tenant_id = $1 AND id = $2 AND customer_id = $4`, sc.TenantID, id, m.MergedID, m.SurvivorID); err != nil {
				return kefu.Internal(err)
			}
			if _, err := tx.exec(`UPDATE contacts SET customer_id = $3 WHERE tenant_id = $1 AND ticket_id = $2 AND customer_id = $4`, sc.TenantID, id, m.MergedID, m.SurvivorID); err != nil {
				return kefu.Internal(err)
			}
		}
		if _, err := tx.exec(`UPDATE customers SET merged_into = NULL, updated_at = $3 WHERE tenant_id = $1 AND id = $2`, sc.TenantID, m.MergedID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		if _, err := tx.exec(`UPDATE customer_merges SET undone_by = $3, undone_at = $4 WHERE tenant_id = $1 AND id = $2`, sc.TenantID, mergeID, a.ID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		for _, cid := range []string{m.SurvivorID, m.MergedID} {
			if err := tx.reindexCustomer(sc.TenantID, cid, now); err != nil {
				return err
			}
		}
		m.UndoneBy, m.UndoneAt = a.ID, &now
		tx.SetResult(m)
		return tx.Event(sc.TenantID, a, "customer.unmerged", "customer", m.SurvivorID, "", nil, m)
	})
	return m, err
}

// Merges lists the merges a customer took part in, newest first.
func (s *Store) Merges(ctx context.Context, sc Scope, customerID string) ([]kefu.CustomerMerge, error) {
	if _, err := s.Customer(ctx, sc, customerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, survivor_id, merged_id, identity_ids, ticket_ids, by_user, at, COALESCE(undone_by, ''), undone_at
		FROM customer_merges WHERE tenant_id = $1 AND (survivor_id = $2 OR merged_id = $2) ORDER BY at DESC, id DESC`, sc.TenantID, customerID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.CustomerMerge{}
	for rows.Next() {
		var m kefu.CustomerMerge
		var ids, tickets string
		var at int64
		var undone sql.NullInt64
		if err := rows.Scan(&m.ID, &m.SurvivorID, &m.MergedID, &ids, &tickets, &m.By, &at, &m.UndoneBy, &undone); err != nil {
			return nil, kefu.Internal(err)
		}
		m.At, m.UndoneAt = fromUS(at), fromNullUS(undone)
		_ = json.Unmarshal([]byte(ids), &m.IdentityIDs)
		_ = json.Unmarshal([]byte(tickets), &m.TicketIDs)
		out = append(out, m)
	}
	return out, kefu.InternalOrNil(rows.Err())
}
