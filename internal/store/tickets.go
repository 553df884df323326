package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/search"
)

// CustomerRef names the customer of a new ticket: an existing id, or
// identities to resolve (and a name to create the customer if none matches).
type CustomerRef struct {
	ID         string
	Name       string
	Tier       string
	Identities []kefu.Identity
	// Unseen says a read a moment ago (ResolveCustomerID, or OpenContact's
	// inside the write) found none of the identities, so the write tries a
	// new customer first and only looks the identity up if someone took it
	// meanwhile. A hint: the result is the same either way.
	Unseen bool
}

// NewTicket is everything a ticket starts with.
type NewTicket struct {
	Ticket   kefu.Ticket
	Customer CustomerRef
	Message  *kefu.Message // the first message, usually the customer's
	// Emergency, when intake's screening found one, is recorded with the
	// ticket in the same write; the store fills in its ids and time.
	Emergency *kefu.Emergency
	// RepeatOf, when intake found this contact repeats a settled ticket
	// (solved or closed: it came back), links the new ticket to it and
	// carries the count on.
	RepeatOf     string
	RepeatReason string
	// Intake is what intake decided about the first message, kept on the
	// ticket's history in the same write.
	Intake *kefu.IntakeRecord
}

// maxBody caps one message; longer text is an error, not a silent cut.
const maxBody = 64 * 1024

func validateTicket(t *kefu.Ticket) error {
	f := map[string]string{}
	t.Subject = strings.TrimSpace(t.Subject)
	if t.Subject == "" {
		f["subject"] = "required"
	} else if len(t.Subject) > 500 {
		f["subject"] = "at most 500 bytes"
	}
	if t.Channel == "" {
		t.Channel = kefu.ChannelAPI
	}
	if !kefu.ValidChannel(t.Channel) {
		f["channel"] = "unknown channel"
	}
	if t.Status == "" {
		t.Status = kefu.StatusNew
	}
	if !kefu.ValidStatus(t.Status) {
		f["status"] = "unknown status"
	}
	if t.Priority == "" {
		t.Priority = kefu.PriorityNormal
	}
	if kefu.PriorityRank(t.Priority) == 0 {
		f["priority"] = "must be low, normal, high, urgent or emergency"
	}
	if err := normTags(t); err != nil {
		f["tags"] = err.Error()
	}
	if len(t.Category) > 100 {
		f["category"] = "at most 100 bytes"
	}
	if len(f) > 0 {
		return kefu.Invalid("invalid_input", "invalid ticket", f)
	}
	return nil
}

type tagError string

func (e tagError) Error() string { return string(e) }

func normTags(t *kefu.Ticket) error {
	seen := map[string]bool{}
	out := []string{}
	for _, tag := range t.Tags {
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		if len(tag) > 64 {
			return tagError("each tag at most 64 bytes")
		}
		if !seen[tag] {
			seen[tag] = true
			out = append(out, tag)
		}
	}
	if len(out) > 30 {
		return tagError("at most 30 tags")
	}
	sort.Strings(out)
	t.Tags = out
	return nil
}

func validateMessage(m *kefu.Message) error {
	if m.Kind == "" {
		m.Kind = kefu.MessageCustomer
	}
	if !kefu.ValidMessageKind(m.Kind) {
		return kefu.FieldError("message.kind", "must be customer, agent, note or system")
	}
	if strings.TrimSpace(m.Body) == "" && len(m.Attachments) == 0 {
		return kefu.FieldError("message.body", "required")
	}
	if len(m.Body) > maxBody {
		return kefu.FieldError("message.body", "at most 64 KiB")
	}
	if strings.ContainsRune(m.Body, 0) {
		return kefu.FieldError("message.body", "may not contain the NUL character") // PostgreSQL cannot keep it
	}
	if m.Attachments == nil {
		m.Attachments = []kefu.Attachment{}
	}
	return nil
}

func ticketSearchDoc(t kefu.Ticket, bodies ...string) string {
	return withNumber(ticketText(t, bodies...), t.Number)
}

// ticketText is a ticket's search text without its number, which is only
// known inside the write; it is built before, off the single writer.
func ticketText(t kefu.Ticket, bodies ...string) string {
	parts := append([]string{t.Subject, t.Category}, t.Tags...)
	return search.Document(append(parts, bodies...)...)
}

func withNumber(doc string, n int64) string {
	if doc == "" {
		return strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10) + " " + doc
}

// resolveCustomer finds the customer a new ticket belongs to, following
// merges, adding identities not yet known, or creates one.
func (tx *Tx) resolveCustomer(sc Scope, a Actor, ref CustomerRef, orgID string) (cid string, created bool, err error) {
	tenantID := sc.TenantID
	if ref.ID != "" {
		var merged sql.NullString
		var tier string
		err := tx.queryRow(`SELECT merged_into, tier FROM customers WHERE tenant_id = $1 AND id = $2`, tenantID, ref.ID).Scan(&merged, &tier)
		if err == sql.ErrNoRows {
			return "", false, kefu.FieldError("customer.id", "no such customer")
		}
		if err != nil {
			return "", false, kefu.Internal(err)
		}
		if merged.Valid {
			return merged.String, false, nil
		}
		tx.sawTier(ref.ID, tier)
		return ref.ID, false, nil
	}
	if len(ref.Identities) == 0 {
		return "", false, kefu.FieldError("customer", "give customer.id or at least one identity")
	}
	if ref.Unseen && (len(ref.Identities) == 1 || tx.s.dialect == Postgres && !tx.self.careful) {
		// Most new contacts are new customers: skip the lookup (on
		// PostgreSQL a round trip per identity, on SQLite the single
		// writer's time). PostgreSQL queues the customer with all its
		// identities (createCustomer); SQLite does so for one identity.
		ids := slices.Clone(ref.Identities)
		for i := range ids {
			if ids[i].Kind == kefu.IdentityExternal && ids[i].OrgID == "" {
				ids[i].OrgID = orgID
			}
		}
		c, err := tx.createCustomer(Whole(tenantID), a, kefu.Customer{Name: customerName(ref), Tier: ref.Tier, OrgID: orgID, Identities: ids}, true, true)
		if err != errIdentityKnown {
			return c.ID, err == nil, err
		}
	}
	found := ""
	var unknown []kefu.Identity
	for _, id := range ref.Identities {
		v, err := NormalizeIdentity(id.Kind, id.Value)
		if err != nil {
			return "", false, err
		}
		id.Value = v
		if id.Kind == kefu.IdentityExternal && id.OrgID == "" {
			id.OrgID = orgID
		}
		// Merges move identities to the survivor, so an identity names a live
		// customer; the join follows merged_into anyway, in the same statement.
		// The tier comes along for routing and SLA (sawTier), unless the
		// identity still names a merged customer.
		var cid, tier string
		err = tx.queryRow(`SELECT COALESCE(c.merged_into, c.id), CASE WHEN c.merged_into IS NULL THEN c.tier ELSE '' END
			FROM customer_identities i JOIN customers c ON c.id = i.customer_id
			WHERE i.tenant_id = $1 AND i.kind = $2 AND i.scope = $3 AND i.value = $4`,
			tenantID, string(id.Kind), identityScope(id), v).Scan(&cid, &tier)
		switch {
		case err == sql.ErrNoRows:
			unknown = append(unknown, id)
		case err != nil:
			return "", false, kefu.Internal(err)
		case found == "":
			found = cid
			if tier != "" {
				tx.sawTier(cid, tier)
			}
		}
	}
	if found == "" {
		c, err := tx.createCustomer(Whole(tenantID), a, kefu.Customer{Name: customerName(ref), Tier: ref.Tier, OrgID: orgID, Identities: unknown}, true, false)
		if err != nil && isConflict(err, "identity_taken") {
			// Another writer created this customer a moment ago (PostgreSQL
			// runs several): run the batch again and it will be found.
			return "", false, errRace
		}
		return c.ID, err == nil, err
	}
	if len(unknown) > 0 {
		now := tx.s.Now()
		for _, id := range unknown {
			id.ID, id.CustomerID, id.CreatedAt = newID(), found, now
			if id.Kind != kefu.IdentityExternal {
				id.OrgID = ""
			}
			if err := tx.insertIdentity(tenantID, id); err != nil {
				if isConflict(err, "identity_taken") {
					return "", false, errRace
				}
				return "", false, err
			}
		}
		if err := tx.reindexCustomer(tenantID, found, now); err != nil {
			return "", false, err
		}
	}
	return found, false, nil
}

// customerName is the name a new customer gets from a reference.
func customerName(ref CustomerRef) string {
	if strings.TrimSpace(ref.Name) == "" {
		return ref.Identities[0].Value
	}
	return ref.Name
}

// CreateTicket opens a ticket, resolving its customer and storing the first
// message, the contact record and the history in one durable write.
func (s *Store) CreateTicket(ctx context.Context, sc Scope, a Actor, n NewTicket) (kefu.Ticket, *kefu.Message, error) {
	created, err := s.OpenTicket(ctx, sc, a, n)
	return created.Ticket, created.Message, err
}

// OpenTicket is CreateTicket with the whole result, the customer's tier
// included when the write knew it.
func (s *Store) OpenTicket(ctx context.Context, sc Scope, a Actor, n NewTicket) (TicketCreated, error) {
	if s.dialect == Postgres && !n.Customer.Unseen && n.Customer.ID == "" && len(n.Customer.Identities) > 0 {
		// As OpenContact does: look from the read pool first. A customer
		// kefu has not met then waits in the batch's queue and goes out in
		// one statement with the ticket, instead of a lookup and an insert
		// of its own in the writer's time.
		_, known, err := s.ResolveCustomerID(ctx, sc, n.Customer, n.Ticket.OrgID)
		if err != nil {
			return TicketCreated{}, err
		}
		n.Customer.Unseen = !known
	}
	created, _, err := s.createTicket(ctx, sc, a, n, nil)
	return created, err
}

// createTicket is CreateTicket, with intake's repeat check inside the
// write when rc is given (see OpenContact).
func (s *Store) createTicket(ctx context.Context, sc Scope, a Actor, n NewTicket, rc *RepeatCheck) (TicketCreated, *RepeatRecorded, error) {
	t, msg, err := validateNewTicket(n)
	if err != nil {
		return TicketCreated{Ticket: t}, nil, err
	}
	return s.createValidTicket(ctx, sc, a, n, t, msg, rc)
}

// createValidTicket is createTicket once n's ticket and message are
// checked (t and msg, from validateNewTicket).
func (s *Store) createValidTicket(ctx context.Context, sc Scope, a Actor, n NewTicket, t kefu.Ticket, msg *kefu.Message, rc *RepeatCheck) (TicketCreated, *RepeatRecorded, error) {
	var err error
	rec := n.Intake
	if rc != nil && rec == nil {
		rec = &kefu.IntakeRecord{}
	}
	var recSteps int // the steps the caller made; a re-run of the write starts over from them
	if rec != nil {
		recSteps = len(rec.Steps)
	}
	var bodies []string
	if msg != nil {
		bodies = append(bodies, msg.Body)
	}
	text := ticketText(t, bodies...)
	var out kefu.Ticket
	var outMsg *kefu.Message
	var outTier string
	var joined *RepeatRecorded
	err = s.Write(ctx, func(tx *Tx) error {
		t := t
		repeatOf, repeatReason := n.RepeatOf, n.RepeatReason
		joined = nil
		if rec != nil {
			rec.Steps = rec.Steps[:recSteps]
		}
		tenantID := sc.TenantID
		if err := tx.checkNewTicket(sc, &t); err != nil {
			return err
		}
		cid, created, err := tx.resolveCustomer(sc, a, n.Customer, t.OrgID)
		if err != nil {
			return err
		}
		if rc != nil {
			var past []PastTicket
			if !created {
				if past, err = recentTickets(tx.ctx, txQuerier{tx}, sc, cid, s.Now().AddDate(0, 0, -rc.WindowDays), repeatPast); err != nil {
					return err
				}
			}
			hit, why := rc.judge(rec, cid, !created, past)
			if hit != nil && !hit.Status.Settled() {
				repeated(rec, hit, why, true)
				r, err := tx.recordRepeat(sc, a, hit.ID, msg, rc.repeat(why, rec))
				if err != nil {
					return err
				}
				joined = &r
				return nil
			}
			if hit != nil {
				repeated(rec, hit, why, false)
				repeatOf, repeatReason = hit.ID, why
			}
		}
		now := s.Now()
		t.ID, t.TenantID, t.CustomerID, t.CreatedAt, t.UpdatedAt = newID(), tenantID, cid, now, now
		if t.Number, err = tx.nextTicketNumber(tenantID); err != nil {
			return err
		}
		if t.Status == kefu.StatusSolved {
			t.SolvedAt = &now
		}
		if t.Status == kefu.StatusClosed {
			t.SolvedAt, t.ClosedAt = &now, &now
		}
		if msg != nil {
			t.MessageCount = 1
		}
		if repeatOf != "" {
			var prev int
			if err := tx.queryRow(`SELECT repeat_count FROM tickets WHERE tenant_id = $1 AND id = $2`, tenantID, repeatOf).Scan(&prev); err != nil {
				return notFound(err, "repeated ticket")
			}
			t.RepeatCount = prev + 1
		}
		tags, _ := json.Marshal(t.Tags)
		doc := withNumber(text, t.Number)
		if err := tx.insertFirst("tickets", ticketInsertCols,
			t.ID, tenantID, t.Number, t.OrgID, string(t.Channel), t.Subject, string(t.Status), string(t.Priority), t.Category, string(tags), cid,
			nullStr(t.QueueID), nullStr(t.AssigneeID), nullStr(t.DepartmentID), nullStr(t.ParentID), t.MessageCount, "", us(now), us(now),
			nullUS(t.SolvedAt), nullUS(t.ClosedAt), t.RepeatCount); err != nil {
			return err
		}
		if t.RepeatCount > 0 {
			a1, a2 := t.ID, repeatOf
			if a2 < a1 {
				a1, a2 = a2, a1
			}
			if _, err := tx.exec(`INSERT INTO ticket_links (tenant_id, ticket_id, other_id, kind, by_user, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				tenantID, a1, a2, string(kefu.LinkRepeat), "", us(now)); err != nil {
				return kefu.Internal(err)
			}
			if err := tx.Event(tenantID, System, "ticket.repeat", "ticket", t.ID, t.ID, nil, map[string]any{
				"repeat_count": t.RepeatCount, "reason": repeatReason, "repeats": repeatOf}); err != nil {
				return err
			}
		}
		if err := tx.putTags(tenantID, t.ID, nil, t.Tags); err != nil {
			return err
		}
		if err := tx.index("tickets", tenantID, t.ID, doc, false); err != nil {
			return err
		}
		var m *kefu.Message
		if msg != nil {
			mm := *msg
			if mm.Attachments, err = tx.resolveAttachments(tenantID, msg.Attachments); err != nil {
				return err
			}
			if mm.Channel == "" {
				mm.Channel = t.Channel
			}
			if err := tx.insertMessage(tenantID, a, &t, &mm, now); err != nil {
				return err
			}
			m = &mm
		}
		body, err := json.Marshal(TicketCreated{Ticket: t, Message: m}) // once, for the event and the saved result
		if err != nil {
			return kefu.Internal(err)
		}
		if err := tx.Event(tenantID, a, "ticket.created", "ticket", t.ID, t.ID, nil, json.RawMessage(body)); err != nil {
			return err
		}
		if err := tx.recordIntake(tenantID, t.ID, m, rec); err != nil {
			return err
		}
		if err := tx.openSLA(&t, now); err != nil {
			return err
		}
		if e := n.Emergency; e != nil {
			e.TicketID, e.MessageID = t.ID, ""
			if m != nil {
				e.MessageID = m.ID
			}
			if err := tx.raiseEmergency(tenantID, a, e); err != nil {
				return err
			}
		}
		tx.SetResult(json.RawMessage(body))
		out, outMsg, outTier = t, m, tx.appends.tiers[cid]
		return nil
	})
	if err != nil {
		return TicketCreated{}, nil, err
	}
	return TicketCreated{Ticket: out, Message: outMsg, CustomerTier: outTier}, joined, nil
}

const ticketInsertCols = `id, tenant_id, number, org_id, channel, subject, status, priority, category, tags, customer_id,
	queue_id, assignee_id, department_id, parent_id, message_count, search, created_at, updated_at, solved_at, closed_at, repeat_count`

// validateNewTicket checks a new ticket and its first message, and
// returns checked copies.
func validateNewTicket(n NewTicket) (kefu.Ticket, *kefu.Message, error) {
	t := n.Ticket
	if err := validateTicket(&t); err != nil {
		return t, nil, err
	}
	m, err := validatedMessage(n.Message)
	return t, m, err
}

// validatedMessage is a checked copy of m (nil for none).
func validatedMessage(m *kefu.Message) (*kefu.Message, error) {
	if m == nil {
		return nil, nil
	}
	mm := *m
	if err := validateMessage(&mm); err != nil {
		return nil, err
	}
	return &mm, nil
}

// TicketCreated is a new ticket with its first message.
type TicketCreated struct {
	kefu.Ticket
	Message *kefu.Message `json:"message,omitempty"`
	// CustomerTier is the customer's value tier when the write knew it
	// without asking (it created or found the customer), for routing's
	// priority; "" when it did not.
	CustomerTier string `json:"-"`
}

// checkNewTicket checks a new ticket's organization (the root if none),
// scope and references.
func (tx *Tx) checkNewTicket(sc Scope, t *kefu.Ticket) error {
	if t.OrgID == "" {
		root, err := tx.rootOrg(sc.TenantID)
		if err != nil {
			return err
		}
		t.OrgID = root
	} else if err := tx.checkOrg(sc.TenantID, t.OrgID); err != nil {
		return err
	}
	if !sc.sees(t.OrgID) {
		return kefu.FieldError("org_id", "outside your organization scope")
	}
	return tx.checkTicketRefs(sc.TenantID, *t)
}

func (tx *Tx) checkTicketRefs(tenantID string, t kefu.Ticket) error {
	for _, c := range []struct{ table, field, id string }{
		{"queues", "queue_id", t.QueueID}, {"users", "assignee_id", t.AssigneeID},
		{"departments", "department_id", t.DepartmentID}, {"tickets", "parent_id", t.ParentID},
	} {
		if err := tx.checkRef(c.table, c.field, tenantID, c.id); err != nil {
			return err
		}
	}
	return nil
}

// insertMessage stores a message and its contact record; the caller updates the ticket.
func (tx *Tx) insertMessage(tenantID string, a Actor, t *kefu.Ticket, m *kefu.Message, now time.Time) error {
	m.ID, m.TicketID, m.CreatedAt = newID(), t.ID, now
	if m.AuthorID == "" {
		switch m.Kind {
		case kefu.MessageCustomer:
			m.AuthorID = t.CustomerID
		case kefu.MessageAgent, kefu.MessageNote:
			m.AuthorID = a.ID
		}
	}
	atts, _ := json.Marshal(m.Attachments)
	if err := tx.insertLater("messages", "id, tenant_id, ticket_id, kind, author_id, channel, body, attachments, created_at",
		m.ID, tenantID, t.ID, string(m.Kind), m.AuthorID, string(m.Channel), m.Body, string(atts), us(now)); err != nil {
		return err
	}
	dir := ""
	switch m.Kind {
	case kefu.MessageCustomer:
		dir = "in"
	case kefu.MessageAgent:
		dir = "out"
	}
	if dir != "" {
		userID := ""
		if dir == "out" {
			userID = m.AuthorID
		}
		if err := tx.insertLater("contacts", "id, tenant_id, customer_id, ticket_id, message_id, channel, direction, user_id, at",
			newID(), tenantID, t.CustomerID, t.ID, m.ID, string(m.Channel), dir, userID, us(now)); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) putTags(tenantID, ticketID string, old, new []string) error {
	had := map[string]bool{}
	for _, t := range old {
		had[t] = true
	}
	keep := map[string]bool{}
	for _, t := range new {
		keep[t] = true
		if !had[t] {
			if _, err := tx.exec(`INSERT INTO ticket_tags (tenant_id, tag, ticket_id) VALUES ($1, $2, $3)`, tenantID, t, ticketID); err != nil {
				return kefu.Internal(err)
			}
		}
	}
	for _, t := range old {
		if !keep[t] {
			if _, err := tx.exec(`DELETE FROM ticket_tags WHERE tenant_id = $1 AND tag = $2 AND ticket_id = $3`, tenantID, t, ticketID); err != nil {
				return kefu.Internal(err)
			}
		}
	}
	return nil
}

const ticketCols = `t.id, t.number, t.org_id, t.channel, t.subject, t.status, t.priority, t.category, t.tags, t.customer_id,
	COALESCE(t.queue_id, ''), COALESCE(t.assignee_id, ''), COALESCE(t.department_id, ''), COALESCE(t.parent_id, ''),
	t.repeat_count, t.message_count, t.created_at, t.updated_at, t.solved_at, t.closed_at`

func scanTicket(sc interface{ Scan(...any) error }, tenantID string) (kefu.Ticket, error) {
	t := kefu.Ticket{TenantID: tenantID}
	var channel, status, priority, tags string
	var created, updated int64
	var solved, closed sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Number, &t.OrgID, &channel, &t.Subject, &status, &priority, &t.Category, &tags, &t.CustomerID,
		&t.QueueID, &t.AssigneeID, &t.DepartmentID, &t.ParentID, &t.RepeatCount, &t.MessageCount, &created, &updated, &solved, &closed); err != nil {
		return t, err
	}
	t.Channel, t.Status, t.Priority = kefu.Channel(channel), kefu.Status(status), kefu.Priority(priority)
	t.CreatedAt, t.UpdatedAt, t.SolvedAt, t.ClosedAt = fromUS(created), fromUS(updated), fromNullUS(solved), fromNullUS(closed)
	if err := json.Unmarshal([]byte(tags), &t.Tags); err != nil {
		return t, err
	}
	return t, nil
}

func ticketVisible(sc Scope, alias string, args *[]any) string {
	if sc.OrgIDs == nil {
		return "1=1"
	}
	return alias + ".org_id IN " + inList(sc.OrgIDs, args)
}

func (s *Store) ticket(ctx context.Context, q querier, sc Scope, id string, lock bool) (kefu.Ticket, error) {
	args := []any{sc.TenantID, id}
	vis := ticketVisible(sc, "t", &args)
	suffix := ""
	if lock {
		suffix = s.forUpdate()
	}
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets t WHERE t.tenant_id = $1 AND t.id = $2 AND `+vis+suffix, args...), sc.TenantID)
	return t, notFound(err, "ticket")
}

// Ticket reads one ticket in scope.
func (s *Store) Ticket(ctx context.Context, sc Scope, id string) (kefu.Ticket, error) {
	return s.ticket(ctx, s.db, sc, id, false)
}

// TicketByNumber reads a ticket by its per-tenant number.
func (s *Store) TicketByNumber(ctx context.Context, sc Scope, number int64) (kefu.Ticket, error) {
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM tickets WHERE tenant_id = $1 AND number = $2`, sc.TenantID, number).Scan(&id); err != nil {
		return kefu.Ticket{}, notFound(err, "ticket")
	}
	return s.Ticket(ctx, sc, id)
}

// TicketFilter narrows ListTickets; empty fields do not filter.
type TicketFilter struct {
	Status       []kefu.Status
	Priority     []kefu.Priority
	QueueID      string
	AssigneeID   string // "none" for unassigned
	CustomerID   string
	DepartmentID string
	OrgID        string
	Category     string
	Tag          string
	Channel      string
	Query        string
	Sort         string // updated_at (default), created_at; "-" prefix not needed: newest first always
	Limit        int
	Cursor       string
}

// Tickets lists tickets in scope, newest first, with a keyset cursor.
func (s *Store) Tickets(ctx context.Context, sc Scope, f TicketFilter) ([]kefu.Ticket, string, error) {
	limit := clampLimit(f.Limit)
	sortCol := "updated_at"
	switch f.Sort {
	case "", "updated_at", "-updated_at":
	case "created_at", "-created_at":
		sortCol = "created_at"
	default:
		return nil, "", kefu.FieldError("sort", "must be updated_at or created_at")
	}
	args := []any{sc.TenantID}
	where := []string{"t.tenant_id = $1", ticketVisible(sc, "t", &args)}
	add := func(col, v string) {
		args = append(args, v)
		where = append(where, "t."+col+" = "+placeholder(len(args)))
	}
	if len(f.Status) > 0 {
		vals := make([]string, len(f.Status))
		for i, st := range f.Status {
			if !kefu.ValidStatus(st) {
				return nil, "", kefu.FieldError("status", "unknown status "+string(st))
			}
			vals[i] = string(st)
		}
		where = append(where, "t.status IN "+inList(vals, &args))
	}
	if len(f.Priority) > 0 {
		vals := make([]string, len(f.Priority))
		for i, p := range f.Priority {
			if kefu.PriorityRank(p) == 0 {
				return nil, "", kefu.FieldError("priority", "unknown priority "+string(p))
			}
			vals[i] = string(p)
		}
		where = append(where, "t.priority IN "+inList(vals, &args))
	}
	if f.QueueID != "" {
		add("queue_id", f.QueueID)
	}
	switch f.AssigneeID {
	case "":
	case "none":
		where = append(where, "t.assignee_id IS NULL")
	default:
		add("assignee_id", f.AssigneeID)
	}
	if f.CustomerID != "" {
		add("customer_id", f.CustomerID)
	}
	if f.DepartmentID != "" {
		add("department_id", f.DepartmentID)
	}
	if f.OrgID != "" {
		add("org_id", f.OrgID)
	}
	if f.Category != "" {
		add("category", f.Category)
	}
	if f.Channel != "" {
		add("channel", f.Channel)
	}
	from := "tickets t"
	switch {
	case f.Query != "":
		src, ok := s.searchSource("tickets", "t", sc.TenantID, f.Query, &args)
		if !ok {
			return []kefu.Ticket{}, "", nil
		}
		from = src
		if f.Tag != "" {
			args = append(args, f.Tag)
			where = append(where, "t.id IN (SELECT ticket_id FROM ticket_tags WHERE tenant_id = $1 AND tag = "+placeholder(len(args))+")")
		}
	case f.Tag != "":
		from = s.tagSource(f.Tag, &args) + s.join() + "tickets t ON t.id = g.rid"
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, id)
		n := len(args)
		where = append(where, "(t."+sortCol+" < "+placeholder(n-1)+" OR (t."+sortCol+" = "+placeholder(n-1)+" AND t.id < "+placeholder(n)+"))")
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+ticketCols+` FROM `+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY t.`+sortCol+` DESC, t.id DESC LIMIT `+placeholder(len(args)), args...)
	if err != nil {
		return nil, "", kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows, sc.TenantID)
		if err != nil {
			return nil, "", kefu.Internal(err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", kefu.Internal(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		v := us(last.UpdatedAt)
		if sortCol == "created_at" {
			v = us(last.CreatedAt)
		}
		next = encodeCursor(v, last.ID)
	}
	return out, next, nil
}

// TicketPatch changes some fields; nil leaves a field alone. An empty
// string on an optional reference clears it.
type TicketPatch struct {
	Subject    *string
	Status     *kefu.Status
	Priority   *kefu.Priority
	Category   *string
	Tags       *[]string
	QueueID    *string
	AssigneeID *string
	OrgID      *string
	ParentID   *string
	// ReleaseNote is required to solve or close while commitments are open;
	// the caller has checked the authority to release them.
	ReleaseOpenCommitments bool
	ReleaseReason          string
}

// UpdateTicket applies a patch, enforcing the lifecycle, and records it.
func (s *Store) UpdateTicket(ctx context.Context, sc Scope, a Actor, id string, p TicketPatch) (kefu.Ticket, error) {
	var out kefu.Ticket
	err := s.WriteAbout(ctx, id, func(tx *Tx) error {
		before, err := s.ticket(ctx, tx.sql(), sc, id, true)
		if err != nil {
			return err
		}
		t := before
		t.Tags = append([]string(nil), before.Tags...)
		if p.Subject != nil {
			t.Subject = *p.Subject
		}
		if p.Priority != nil {
			t.Priority = *p.Priority
		}
		if p.Category != nil {
			t.Category = *p.Category
		}
		if p.Tags != nil {
			t.Tags = *p.Tags
		}
		if p.QueueID != nil {
			t.QueueID = *p.QueueID
		}
		if p.AssigneeID != nil {
			t.AssigneeID = *p.AssigneeID
		}
		if p.OrgID != nil {
			if !sc.sees(*p.OrgID) {
				return kefu.FieldError("org_id", "outside your organization scope")
			}
			if err := tx.checkOrg(sc.TenantID, *p.OrgID); err != nil {
				return err
			}
			if *p.OrgID == "" {
				return kefu.FieldError("org_id", "cannot be empty")
			}
			t.OrgID = *p.OrgID
		}
		if p.ParentID != nil {
			if err := tx.checkParent(sc.TenantID, id, *p.ParentID); err != nil {
				return err
			}
			t.ParentID = *p.ParentID
		}
		now := s.Now()
		if p.Status != nil && *p.Status != before.Status {
			to := *p.Status
			if !kefu.ValidStatus(to) {
				return kefu.FieldError("status", "unknown status")
			}
			if !kefu.CanMove(before.Status, to) {
				return kefu.Conflict("status_move", "a "+string(before.Status)+" ticket cannot become "+string(to))
			}
			if to.Settled() {
				if err := tx.settleCommitments(sc.TenantID, a, id, p, now); err != nil {
					return err
				}
				if t.SolvedAt == nil {
					t.SolvedAt = &now
				}
				if to == kefu.StatusClosed {
					t.ClosedAt = &now
				}
			} else {
				t.SolvedAt, t.ClosedAt = nil, nil
			}
			t.Status = to
		}
		if err := validateTicket(&t); err != nil {
			return err
		}
		if err := tx.checkTicketRefs(sc.TenantID, t); err != nil {
			return err
		}
		t.UpdatedAt = now
		tags, _ := json.Marshal(t.Tags)
		if _, err := tx.exec(`UPDATE tickets SET subject = $3, status = $4, priority = $5, category = $6, tags = $7, queue_id = $8, assignee_id = $9,
			org_id = $10, parent_id = $11, updated_at = $12, solved_at = $13, closed_at = $14 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, id, t.Subject, string(t.Status), string(t.Priority), t.Category, string(tags), nullStr(t.QueueID), nullStr(t.AssigneeID),
			t.OrgID, nullStr(t.ParentID), us(now), nullUS(t.SolvedAt), nullUS(t.ClosedAt)); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.putTags(sc.TenantID, id, before.Tags, t.Tags); err != nil {
			return err
		}
		if t.Status != before.Status {
			if err := tx.slaOnStatus(&t, before.Status, t.Status, now); err != nil {
				return err
			}
		}
		if t.Subject != before.Subject || t.Category != before.Category || strings.Join(t.Tags, "\x00") != strings.Join(before.Tags, "\x00") {
			if err := tx.reindexTicket(t); err != nil {
				return err
			}
		}
		out = t
		tx.SetResult(t)
		return tx.Event(sc.TenantID, a, "ticket.updated", "ticket", id, id, before, t)
	})
	return out, err
}

// reindexTicket rebuilds a ticket's search text from its fields and messages.
func (tx *Tx) reindexTicket(t kefu.Ticket) error {
	if err := tx.flushAppends(); err != nil {
		return err
	}
	rows, err := tx.query(`SELECT body FROM messages WHERE ticket_id = $1 ORDER BY created_at, id LIMIT 50`, t.ID)
	if err != nil {
		return kefu.Internal(err)
	}
	var bodies []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return kefu.Internal(err)
		}
		bodies = append(bodies, b)
	}
	rows.Close()
	return tx.index("tickets", t.TenantID, t.ID, ticketSearchDoc(t, bodies...), true)
}

func (tx *Tx) checkParent(tenantID, id, parent string) error {
	if parent == "" {
		return nil
	}
	cur := parent
	for i := 0; cur != "" && i < 100; i++ {
		if cur == id {
			return kefu.FieldError("parent_id", "would make a cycle")
		}
		var next sql.NullString
		err := tx.queryRow(`SELECT parent_id FROM tickets WHERE tenant_id = $1 AND id = $2`, tenantID, cur).Scan(&next)
		if err == sql.ErrNoRows {
			return kefu.FieldError("parent_id", "no such ticket in this tenant")
		}
		if err != nil {
			return kefu.Internal(err)
		}
		cur = next.String
	}
	return nil
}

// settleCommitments refuses to solve a ticket with open promises unless the
// caller releases them with a reason.
func (tx *Tx) settleCommitments(tenantID string, a Actor, ticketID string, p TicketPatch, now time.Time) error {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM commitments WHERE tenant_id = $1 AND ticket_id = $2 AND state IN ('open', 'missed')`, tenantID, ticketID).Scan(&n); err != nil {
		return kefu.Internal(err)
	}
	if n == 0 {
		return nil
	}
	if !p.ReleaseOpenCommitments {
		return kefu.Conflict("commitments_open", strconv.Itoa(n)+" commitment(s) still open: keep them, or release them with a reason")
	}
	if strings.TrimSpace(p.ReleaseReason) == "" {
		return kefu.FieldError("release_reason", "required to release open commitments")
	}
	if err := tx.relayHolds(tenantID, ticketID, ""); err != nil {
		return err
	}
	_, err := tx.exec(`UPDATE commitments SET state = 'released', released_by = $3, released_at = $4, release_reason = $5, next_at = NULL
		WHERE tenant_id = $1 AND ticket_id = $2 AND state IN ('open', 'missed')`, tenantID, ticketID, a.ID, us(now), p.ReleaseReason)
	if err != nil {
		return kefu.Internal(err)
	}
	return tx.Event(tenantID, a, "commitment.released", "ticket", ticketID, ticketID, nil, map[string]any{"count": n, "reason": p.ReleaseReason})
}

// AddMessage appends a message. A customer writing to a pending or solved
// ticket reopens it; an agent's first reply moves a new ticket to open.
func (s *Store) AddMessage(ctx context.Context, sc Scope, a Actor, ticketID string, m kefu.Message) (kefu.Message, error) {
	return s.AddInbound(ctx, sc, a, ticketID, m, nil)
}

// AddInbound is AddMessage for a customer's message that passed intake:
// what intake decided goes on the history in the same write.
func (s *Store) AddInbound(ctx context.Context, sc Scope, a Actor, ticketID string, m kefu.Message, rec *kefu.IntakeRecord) (kefu.Message, error) {
	if err := validateMessage(&m); err != nil {
		return m, err
	}
	// On SQLite, read the ticket through the read pool first, off the single
	// writer; inside the write a conditional update confirms that what
	// decides this message's effect (status, customer) has not changed
	// meanwhile. If it has, or the status moves, the write reads the ticket
	// itself. (On PostgreSQL, with several writers, the extra round trip
	// costs more than it saves: measured 530 → 780+ µs per message.)
	var pre *kefu.Ticket
	if s.dialect == SQLite {
		p, err := s.Ticket(ctx, sc, ticketID)
		if err != nil {
			return m, err
		}
		if p.Status == kefu.StatusClosed && m.Kind != kefu.MessageNote {
			return m, kefu.Conflict("ticket_closed", "the ticket is closed; open a follow-up ticket")
		}
		pre = &p
	}
	var out kefu.Message
	var touch *ticketTouch
	if pre == nil && s.dialect == Postgres {
		touch = &ticketTouch{sc: sc, ticketID: ticketID, still: steadyStatuses(m.Kind)}
	}
	err := s.writeAbout(ctx, ticketID, touch, func(tx *Tx) error {
		now := s.Now()
		var t kefu.Ticket
		confirmed := false
		if pre != nil && nextStatus(pre.Status, m.Kind) == pre.Status {
			t = *pre
			res, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = $4 AND customer_id = $5`,
				sc.TenantID, ticketID, us(now), string(pre.Status), pre.CustomerID)
			if err != nil {
				return kefu.Internal(err)
			}
			n, _ := res.RowsAffected()
			confirmed = n == 1
		}
		if touch != nil {
			// Counted with the batch's leading messages (touchTickets), or
			// now, alone: one statement in the usual case. A ticket that did
			// not match is read below.
			if !touch.done {
				if err := countMessages(tx.ctx, tx.sql(), now, []*ticketTouch{touch}); err != nil {
					return err
				}
			}
			now, t, confirmed = touch.at, touch.ticket, touch.counted
		}
		if !confirmed {
			var err error
			if t, err = s.ticket(ctx, tx.sql(), sc, ticketID, true); err != nil {
				return err
			}
			if t.Status == kefu.StatusClosed && m.Kind != kefu.MessageNote {
				return kefu.Conflict("ticket_closed", "the ticket is closed; open a follow-up ticket")
			}
			status := nextStatus(t.Status, m.Kind)
			var solved any = nullUS(t.SolvedAt)
			if status == kefu.StatusOpen {
				solved = nil
			}
			if _, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1, updated_at = $3, status = $4, solved_at = $5 WHERE tenant_id = $1 AND id = $2`,
				sc.TenantID, ticketID, us(now), string(status), solved); err != nil {
				return kefu.Internal(err)
			}
			if status != t.Status {
				before := t
				t.Status, t.UpdatedAt = status, now
				if status == kefu.StatusOpen {
					t.SolvedAt = nil
				}
				if err := tx.Event(sc.TenantID, a, "ticket.updated", "ticket", ticketID, ticketID, before, t); err != nil {
					return err
				}
				if err := tx.slaOnStatus(&t, before.Status, status, now); err != nil {
					return err
				}
			}
		}
		mm := m
		var err error
		if mm.Attachments, err = tx.resolveAttachments(sc.TenantID, m.Attachments); err != nil {
			return err
		}
		if mm.Channel == "" {
			mm.Channel = t.Channel
		}
		if !kefu.ValidChannel(mm.Channel) {
			return kefu.FieldError("channel", "unknown channel")
		}
		if err := tx.insertMessage(sc.TenantID, a, &t, &mm, now); err != nil {
			return err
		}
		if tx.s.hasSLA(tx, sc.TenantID) {
			if err := tx.slaOnMessage(&t, mm.Kind, now); err != nil {
				return err
			}
		}
		out = mm
		body, err := json.Marshal(mm) // once, for the event and the saved result
		if err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(json.RawMessage(body))
		if err := tx.Event(sc.TenantID, a, "message.created", "message", mm.ID, ticketID, nil, json.RawMessage(body)); err != nil {
			return err
		}
		return tx.recordIntake(sc.TenantID, ticketID, &mm, rec)
	})
	return out, err
}

// steadyStatuses are the statuses a message of this kind leaves as they
// are and may be added to.
func steadyStatuses(kind kefu.MessageKind) []string {
	var out []string
	for _, st := range []kefu.Status{kefu.StatusNew, kefu.StatusOpen, kefu.StatusPending, kefu.StatusOnHold, kefu.StatusSolved, kefu.StatusClosed} {
		if nextStatus(st, kind) == st && (st != kefu.StatusClosed || kind == kefu.MessageNote) {
			out = append(out, string(st))
		}
	}
	return out
}

// nextStatus is where a message moves a ticket: a customer writing to a
// pending or solved ticket reopens it; an agent's first reply opens a new one.
func nextStatus(s kefu.Status, kind kefu.MessageKind) kefu.Status {
	switch {
	case kind == kefu.MessageCustomer && (s == kefu.StatusPending || s == kefu.StatusSolved):
		return kefu.StatusOpen
	case kind == kefu.MessageAgent && s == kefu.StatusNew:
		return kefu.StatusOpen
	}
	return s
}

// Messages lists a ticket's messages, oldest first. Notes are left out when
// customerView is true.
func (s *Store) Messages(ctx context.Context, sc Scope, ticketID string, customerView bool, limit int, cursor string) ([]kefu.Message, string, error) {
	if _, err := s.Ticket(ctx, sc, ticketID); err != nil {
		return nil, "", err
	}
	limit = clampLimit(limit)
	args := []any{sc.TenantID, ticketID}
	where := "tenant_id = $1 AND ticket_id = $2"
	if customerView {
		where += " AND kind IN ('customer', 'agent', 'notice')"
	}
	if cursor != "" {
		at, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, at, id)
		where += " AND (created_at > $3 OR (created_at = $3 AND id > $4))"
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, author_id, channel, body, attachments, created_at FROM messages WHERE `+where+
		` ORDER BY created_at, id LIMIT `+placeholder(len(args)), args...)
	if err != nil {
		return nil, "", kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.Message{}
	for rows.Next() {
		m := kefu.Message{TicketID: ticketID}
		var kind, channel, atts string
		var created int64
		if err := rows.Scan(&m.ID, &kind, &m.AuthorID, &channel, &m.Body, &atts, &created); err != nil {
			return nil, "", kefu.Internal(err)
		}
		m.Kind, m.Channel, m.CreatedAt = kefu.MessageKind(kind), kefu.Channel(channel), fromUS(created)
		_ = json.Unmarshal([]byte(atts), &m.Attachments)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", kefu.Internal(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(us(last.CreatedAt), last.ID)
	}
	return out, next, nil
}

// Forward sends a ticket to a department with an optional deadline, which
// becomes a department commitment owned by that department.
func (s *Store) Forward(ctx context.Context, sc Scope, a Actor, ticketID, departmentID, note string, due *time.Time) (kefu.Ticket, *kefu.Commitment, error) {
	if departmentID == "" {
		return kefu.Ticket{}, nil, kefu.FieldError("department_id", "required")
	}
	var out kefu.Ticket
	var outC *kefu.Commitment
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		before, err := s.ticket(ctx, tx.sql(), sc, ticketID, true)
		if err != nil {
			return err
		}
		if before.Status.Settled() {
			return kefu.Conflict("ticket_done", "a "+string(before.Status)+" ticket cannot be forwarded")
		}
		var deptName string
		if err := tx.queryRow(`SELECT name FROM departments WHERE tenant_id = $1 AND id = $2`, sc.TenantID, departmentID).Scan(&deptName); err != nil {
			if err == sql.ErrNoRows {
				return kefu.FieldError("department_id", "no such department in this tenant")
			}
			return kefu.Internal(err)
		}
		now := s.Now()
		t := before
		t.DepartmentID, t.Status, t.UpdatedAt = departmentID, kefu.StatusOnHold, now
		if _, err := tx.exec(`UPDATE tickets SET department_id = $3, status = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, ticketID, departmentID, string(t.Status), us(now)); err != nil {
			return kefu.Internal(err)
		}
		body := "Forwarded to " + deptName
		if note != "" {
			body += ": " + note
		}
		sys := kefu.Message{Kind: kefu.MessageSystem, Channel: t.Channel, Body: body, Attachments: []kefu.Attachment{}}
		if err := tx.insertMessage(sc.TenantID, a, &t, &sys, now); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1 WHERE id = $1`, ticketID); err != nil {
			return kefu.Internal(err)
		}
		t.MessageCount++
		outC = nil
		if due == nil {
			// No deadline given: the department gets the one its SLA policy sets.
			if d, ok, err := tx.departmentDeadline(t, now); err != nil {
				return err
			} else if ok {
				due = &d
			}
		}
		if due != nil {
			if !due.After(now) {
				return kefu.FieldError("due_at", "must be in the future")
			}
			c := kefu.Commitment{Kind: kefu.CommitDepartment, Description: "Answer from " + deptName, DueAt: *due, DepartmentID: departmentID,
				CustomerVisible: true}
			if err := tx.addCommitment(sc.TenantID, a, &t, &c, now); err != nil {
				return err
			}
			outC = &c
		}
		out = t
		tx.SetResult(Forwarded{Ticket: t, Commitment: outC})
		return tx.Event(sc.TenantID, a, "ticket.forwarded", "ticket", ticketID, ticketID, before, map[string]any{"ticket": t, "note": note, "commitment": outC})
	})
	return out, outC, err
}

// Forwarded is a ticket sent to a department, with the deadline commitment if any.
type Forwarded struct {
	Ticket     kefu.Ticket      `json:"ticket"`
	Commitment *kefu.Commitment `json:"commitment,omitempty"`
}

// Link relates two tickets of the same tenant.
func (s *Store) Link(ctx context.Context, sc Scope, a Actor, ticketID, otherID string, kind kefu.LinkKind) (kefu.TicketLink, error) {
	switch kind {
	case kefu.LinkRelated, kefu.LinkDuplicate, kefu.LinkRepeat:
	case "":
		kind = kefu.LinkRelated
	default:
		return kefu.TicketLink{}, kefu.FieldError("kind", "must be related, duplicate or repeat")
	}
	if ticketID == otherID {
		return kefu.TicketLink{}, kefu.FieldError("other_id", "a ticket cannot link to itself")
	}
	l := kefu.TicketLink{TicketID: ticketID, OtherID: otherID, Kind: kind, By: a.ID}
	err := s.Write(ctx, func(tx *Tx) error {
		if _, err := s.ticket(ctx, tx.sql(), sc, ticketID, false); err != nil {
			return err
		}
		if _, err := s.ticket(ctx, tx.sql(), sc, otherID, false); err != nil {
			if kefu.IsNotFound(err) {
				return kefu.FieldError("other_id", "no such ticket")
			}
			return err
		}
		l.CreatedAt = s.Now()
		a1, a2 := ticketID, otherID
		if a2 < a1 {
			a1, a2 = a2, a1
		}
		if _, err := tx.exec(`INSERT INTO ticket_links (tenant_id, ticket_id, other_id, kind, by_user, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			sc.TenantID, a1, a2, string(kind), a.ID, us(l.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return kefu.Conflict("already_linked", "the tickets are already linked")
			}
			return kefu.Internal(err)
		}
		tx.SetResult(l)
		return tx.Event(sc.TenantID, a, "ticket.linked", "ticket", ticketID, ticketID, nil, l)
	})
	return l, err
}

// Unlink removes a link between two tickets.
func (s *Store) Unlink(ctx context.Context, sc Scope, a Actor, ticketID, otherID string) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := s.ticket(ctx, tx.sql(), sc, ticketID, false); err != nil {
			return err
		}
		a1, a2 := ticketID, otherID
		if a2 < a1 {
			a1, a2 = a2, a1
		}
		res, err := tx.exec(`DELETE FROM ticket_links WHERE tenant_id = $1 AND ticket_id = $2 AND other_id = $3`, sc.TenantID, a1, a2)
		if err != nil {
			return kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kefu.NotFound("link")
		}
		return tx.Event(sc.TenantID, a, "ticket.unlinked", "ticket", ticketID, ticketID, nil, map[string]string{"other_id": otherID})
	})
}

// Links lists a ticket's links and children, seen from that ticket.
func (s *Store) Links(ctx context.Context, sc Scope, ticketID string) ([]kefu.TicketLink, error) {
	if _, err := s.Ticket(ctx, sc, ticketID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT ticket_id, other_id, kind, by_user, created_at FROM ticket_links
		WHERE tenant_id = $1 AND (ticket_id = $2 OR other_id = $2) ORDER BY created_at`, sc.TenantID, ticketID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []kefu.TicketLink{}
	for rows.Next() {
		var l kefu.TicketLink
		var kind string
		var created int64
		if err := rows.Scan(&l.TicketID, &l.OtherID, &kind, &l.By, &created); err != nil {
			return nil, kefu.Internal(err)
		}
		if l.OtherID == ticketID {
			l.TicketID, l.OtherID = l.OtherID, l.TicketID
		}
		l.Kind, l.CreatedAt = kefu.LinkKind(kind), fromUS(created)
		out = append(out, l)
	}
	return out, kefu.InternalOrNil(rows.Err())
}
