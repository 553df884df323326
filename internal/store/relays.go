package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/relay"
)

// Relay between parties (issue 4, item 8; story 2). Support carries
// messages between a ticket's customer and a party the tenant knows (a
// driver, a courier, a merchant) so that neither learns the other's number
// or address. A party's phone is stored for the SMS and never leaves the
// store whole; relayed text is masked before it crosses; every relayed
// message is a relay_messages row and a message on the ticket; a relay
// keeps a follow-up commitment open, so the ticket cannot be solved until
// the relay is closed with its outcome. Messages to the party are their own
// durable outbox (relay_messages.state), sent after the commit.

// Party is a third party as every route shows it: the phone masked.
type Party struct {
	ID                  string     `json:"id"`
	OrgID               string     `json:"org_id,omitempty"`
	Kind                string     `json:"kind"`
	Name                string     `json:"name"`
	Phone               string     `json:"phone"` // masked: 138****5678
	ExternalID          string     `json:"external_id,omitempty"`
	Restricted          bool       `json:"restricted"`
	RestrictedAt        *time.Time `json:"restricted_at,omitempty"`
	RestrictedBy        string     `json:"restricted_by,omitempty"`
	RestrictionReason   string     `json:"restriction_reason,omitempty"`
	RestrictionTicketID string     `json:"restriction_ticket_id,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	phone               string     // the whole number, for the SMS only
}

// PartyIn creates a party.
type PartyIn struct {
	Kind       string
	Name       string
	Phone      string
	ExternalID string
	OrgID      string
}

// PartyPatch changes a party; nil fields stay.
type PartyPatch struct {
	Name       *string
	Phone      *string
	ExternalID *string
	OrgID      *string
}

// PartyFilter narrows Parties.
type PartyFilter struct {
	Kind       string
	ExternalID string
	Restricted *bool
	Limit      int
}

// Relay is one relay with its party and, when read alone, its messages.
type Relay struct {
	ID           string         `json:"id"`
	TicketID     string         `json:"ticket_id"`
	Code         string         `json:"code"`
	State        string         `json:"state"` // open, closed
	Party        Party          `json:"party"`
	CommitmentID string         `json:"commitment_id,omitempty"`
	OpenedBy     string         `json:"opened_by"`
	OpenedAt     time.Time      `json:"opened_at"`
	ClosedBy     string         `json:"closed_by,omitempty"`
	ClosedAt     *time.Time     `json:"closed_at,omitempty"`
	Outcome      string         `json:"outcome,omitempty"`
	OutcomeNote  string         `json:"outcome_note,omitempty"`
	Messages     []RelayMessage `json:"messages,omitempty"`
}

// RelayMessage is one relayed message as agents see it: the text that
// crossed (masked), never the original.
type RelayMessage struct {
	ID        string     `json:"id"`
	RelayID   string     `json:"relay_id"`
	TicketID  string     `json:"ticket_id"`
	Direction string     `json:"direction"` // to_party, from_party
	Origin    string     `json:"origin"`    // agent, customer, party
	Body      string     `json:"body"`
	Masked    bool       `json:"masked"` // contact details were hidden before it crossed
	ByID      string     `json:"by_id,omitempty"`
	MessageID string     `json:"message_id,omitempty"` // the ticket message showing it
	Delivery  string     `json:"delivery,omitempty"`   // to the party: pending, sent, dead; held: a reply after the relay closed
	Attempts  int        `json:"attempts,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	At        time.Time  `json:"at"`
}

// OpenRelay is what opening a relay takes.
type OpenRelay struct {
	PartyID string
	Body    string
	DueAt   time.Time
	OwnerID string // "": the caller (or, for an integration, the assignee)
}

// RelayOpened is the result of opening a relay.
type RelayOpened struct {
	Relay      Relay           `json:"relay"`
	Message    RelayMessage    `json:"message"`
	Commitment kefu.Commitment `json:"commitment"`
	Notice     *kefu.Message   `json:"notice,omitempty"`
}

// Inbound is a party's reply as recorded: relayed to the customer, or held
// (the relay was closed) as a note for the agents.
type Inbound struct {
	RelayID  string       `json:"relay_id"`
	TicketID string       `json:"ticket_id"`
	Relayed  bool         `json:"relayed"`
	Message  RelayMessage `json:"message"`
}

// PartyRestricted is the result of restricting a party or lifting it.
type PartyRestricted struct {
	Party  Party              `json:"party"`
	Action kefu.ActionRequest `json:"action"`
}

// RelaySettings are a tenant's defaults for relays.
type RelaySettings struct {
	// FollowUpHours is how long a relay's follow-up commitment runs when
	// the agent gives no due time. Default 24.
	FollowUpHours int `json:"follow_up_hours"`
}

// --- parties ---

const partyCols = `p.id, COALESCE(p.org_id, ''), p.kind, p.name, p.phone, p.external_id, p.restricted_at, p.restricted_by, p.restriction_reason,
	p.restriction_ticket_id, p.created_at, p.updated_at`

func scanParty(sc interface{ Scan(...any) error }) (Party, error) {
	var p Party
	var restricted sql.NullInt64
	var created, updated int64
	err := sc.Scan(&p.ID, &p.OrgID, &p.Kind, &p.Name, &p.phone, &p.ExternalID, &restricted, &p.RestrictedBy, &p.RestrictionReason,
		&p.RestrictionTicketID, &created, &updated)
	p.Phone, p.RestrictedAt, p.CreatedAt, p.UpdatedAt = relay.MaskPhone(p.phone), fromNullUS(restricted), fromUS(created), fromUS(updated)
	p.Restricted = p.RestrictedAt != nil
	if p.UpdatedAt.Before(p.CreatedAt) {
		p.UpdatedAt = p.CreatedAt
	}
	return p, err
}

// partyVisible limits parties to the scope: a party of an organization is
// seen by those whose scope holds it; one without is the whole tenant's.
func partyVisible(sc Scope, alias string, args *[]any) string {
	if sc.OrgIDs == nil {
		return "1=1"
	}
	return "(" + alias + ".org_id IS NULL OR " + alias + ".org_id IN " + inList(sc.OrgIDs, args) + ")"
}

func (s *Store) party(ctx context.Context, q querier, sc Scope, id string) (Party, error) {
	args := []any{sc.TenantID, id}
	p, err := scanParty(q.QueryRowContext(ctx, `SELECT `+partyCols+` FROM parties p WHERE p.tenant_id = $1 AND p.id = $2 AND `+
		partyVisible(sc, "p", &args), args...))
	return p, notFound(err, "party")
}

// Party reads one party in scope.
func (s *Store) Party(ctx context.Context, sc Scope, id string) (Party, error) {
	return s.party(ctx, s.db, sc, id)
}

// Parties lists the parties in scope by kind and name; external_id with
// kind finds the one party a tenant's own system knows by that id.
func (s *Store) Parties(ctx context.Context, sc Scope, f PartyFilter) ([]Party, error) {
	if f.Kind != "" && !relay.ValidKind(f.Kind) {
		return nil, kefu.FieldError("kind", "must be driver, courier, merchant or other")
	}
	restricted := -1
	if f.Restricted != nil {
		restricted = boolInt(*f.Restricted)
	}
	args := []any{sc.TenantID, f.Kind, f.ExternalID, restricted}
	q := `SELECT ` + partyCols + ` FROM parties p WHERE p.tenant_id = $1 AND ($2 = '' OR p.kind = $2) AND ($3 = '' OR p.external_id = $3)
		AND ($4 < 0 OR ($4 = 1 AND p.restricted_at IS NOT NULL) OR ($4 = 0 AND p.restricted_at IS NULL)) AND ` + partyVisible(sc, "p", &args)
	args = append(args, clampLimit(f.Limit))
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY p.kind, p.name, p.id LIMIT `+placeholder(len(args)), args...)
	return collect(rows, err, scanParty)
}

func validateParty(kind, name, phone, externalID string) (string, error) {
	if !relay.ValidKind(kind) {
		return "", kefu.FieldError("kind", "must be driver, courier, merchant or other")
	}
	if strings.TrimSpace(name) == "" {
		return "", kefu.FieldError("name", "required")
	}
	if len(name) > 200 {
		return "", kefu.FieldError("name", "at most 200 bytes")
	}
	if len(externalID) > 200 {
		return "", kefu.FieldError("external_id", "at most 200 bytes")
	}
	if strings.TrimSpace(phone) == "" {
		return "", kefu.FieldError("phone", "required: relayed messages reach the party by SMS")
	}
	p, ok := relay.NormalizePhone(phone)
	if !ok {
		return "", kefu.FieldError("phone", "a phone number: 5 to 15 digits, an optional leading +")
	}
	return p, nil
}

func (tx *Tx) checkPartyOrg(sc Scope, orgID string) error {
	if orgID == "" {
		if sc.OrgIDs != nil {
			return kefu.FieldError("org_id", "required: your scope is part of the tenant")
		}
		return nil
	}
	if !sc.sees(orgID) {
		return kefu.FieldError("org_id", "outside your organization scope")
	}
	return tx.checkOrg(sc.TenantID, orgID)
}

func partyConflict(err error) error {
	if isUniqueViolation(err) {
		return kefu.Invalid("duplicate", "external_id: another party of this kind has it", map[string]string{"external_id": "already used by another party of this kind"})
	}
	return kefu.Internal(err)
}

// CreateParty records a party.
func (s *Store) CreateParty(ctx context.Context, sc Scope, a Actor, in PartyIn) (Party, error) {
	in.Name, in.ExternalID = strings.TrimSpace(in.Name), strings.TrimSpace(in.ExternalID)
	phone, err := validateParty(in.Kind, in.Name, in.Phone, in.ExternalID)
	if err != nil {
		return Party{}, err
	}
	var out Party
	err = s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkPartyOrg(sc, in.OrgID); err != nil {
			return err
		}
		now := s.Now()
		p := Party{ID: newID(), OrgID: in.OrgID, Kind: in.Kind, Name: in.Name, phone: phone, Phone: relay.MaskPhone(phone), ExternalID: in.ExternalID,
			CreatedAt: now, UpdatedAt: now}
		if in.ExternalID != "" {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM parties WHERE tenant_id = $1 AND kind = $2 AND external_id = $3`, sc.TenantID, in.Kind, in.ExternalID).Scan(&n); err != nil {
				return kefu.Internal(err)
			}
			if n > 0 {
				return partyConflict(errors.New("UNIQUE constraint failed"))
			}
		}
		if _, err := tx.exec(`INSERT INTO parties (id, tenant_id, org_id, kind, name, phone, external_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, p.ID, sc.TenantID, nullStr(p.OrgID), p.Kind, p.Name, phone, p.ExternalID, us(now), us(now)); err != nil {
			return partyConflict(err)
		}
		out = p
		tx.SetResult(p)
		return tx.Event(sc.TenantID, a, "party.created", "party", p.ID, "", nil, p)
	})
	return out, err
}

// UpdateParty changes a party's name, phone, external id or organization.
func (s *Store) UpdateParty(ctx context.Context, sc Scope, a Actor, id string, pp PartyPatch) (Party, error) {
	var out Party
	err := s.Write(ctx, func(tx *Tx) error {
		before, err := s.party(ctx, tx.sql(), sc, id)
		if err != nil {
			return err
		}
		p := before
		phone := before.phone
		if pp.Name != nil {
			p.Name = strings.TrimSpace(*pp.Name)
		}
		if pp.ExternalID != nil {
			p.ExternalID = strings.TrimSpace(*pp.ExternalID)
		}
		if pp.Phone != nil {
			phone = *pp.Phone
		}
		if phone, err = validateParty(p.Kind, p.Name, phone, p.ExternalID); err != nil {
			return err
		}
		if pp.OrgID != nil && *pp.OrgID != before.OrgID {
			if err := tx.checkPartyOrg(sc, *pp.OrgID); err != nil {
				return err
			}
			p.OrgID = *pp.OrgID
		}
		if p.ExternalID != "" && p.ExternalID != before.ExternalID {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM parties WHERE tenant_id = $1 AND kind = $2 AND external_id = $3 AND id <> $4`,
				sc.TenantID, p.Kind, p.ExternalID, id).Scan(&n); err != nil {
				return kefu.Internal(err)
			}
			if n > 0 {
				return partyConflict(errors.New("UNIQUE constraint failed"))
			}
		}
		now := s.Now()
		p.phone, p.Phone, p.UpdatedAt = phone, relay.MaskPhone(phone), now
		if _, err := tx.exec(`UPDATE parties SET name = $3, phone = $4, external_id = $5, org_id = $6, updated_at = $7 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, id, p.Name, phone, p.ExternalID, nullStr(p.OrgID), us(now)); err != nil {
			return partyConflict(err)
		}
		out = p
		tx.SetResult(p)
		// The history holds the masked phone only, like every route.
		return tx.Event(sc.TenantID, a, "party.updated", "party", id, "", before, p)
	})
	return out, err
}

// RestrictParty restricts a party's account (restrict true) or lifts the
// restriction, from a ticket and with a reason. The caller has checked the
// authority (restrict_party). It is recorded on the party, as an executed
// action on the ticket, and in the history of both.
func (s *Store) RestrictParty(ctx context.Context, sc Scope, a Actor, partyID, ticketID, reason string, restrict bool) (PartyRestricted, error) {
	var out PartyRestricted
	if strings.TrimSpace(ticketID) == "" {
		return out, kefu.FieldError("ticket_id", "required: a restriction is made from a ticket")
	}
	if strings.TrimSpace(reason) == "" {
		return out, kefu.FieldError("reason", "required")
	}
	if len(reason) > 2000 {
		return out, kefu.FieldError("reason", "at most 2000 bytes")
	}
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		before, err := s.party(ctx, tx.sql(), sc, partyID)
		if err != nil {
			return err
		}
		if _, err := s.ticket(ctx, tx.sql(), sc, ticketID, false); err != nil {
			if kefu.IsNotFound(err) {
				return kefu.FieldError("ticket_id", "no such ticket in your scope")
			}
			return err
		}
		if restrict && before.Restricted {
			return kefu.Conflict("party_restricted", "the party is already restricted")
		}
		if !restrict && !before.Restricted {
			return kefu.Conflict("party_not_restricted", "the party is not restricted")
		}
		now := s.Now()
		p := before
		op, typ := "restrict", "party.restricted"
		if restrict {
			p.Restricted, p.RestrictedAt, p.RestrictedBy, p.RestrictionReason, p.RestrictionTicketID = true, &now, a.ID, reason, ticketID
		} else {
			op, typ = "lift", "party.restriction_lifted"
			p.Restricted, p.RestrictedAt, p.RestrictedBy, p.RestrictionReason, p.RestrictionTicketID = false, nil, "", "", ""
		}
		p.UpdatedAt = now
		if _, err := tx.exec(`UPDATE parties SET restricted_at = $3, restricted_by = $4, restriction_reason = $5, restriction_ticket_id = $6, updated_at = $7
			WHERE tenant_id = $1 AND id = $2`, sc.TenantID, partyID, nullUS(p.RestrictedAt), p.RestrictedBy, p.RestrictionReason, p.RestrictionTicketID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		r := kefu.ActionRequest{ID: newID(), TicketID: ticketID, Action: kefu.ActionRestrictParty, Reason: reason, State: kefu.ApprovalApproved,
			Params:      map[string]string{"party_id": partyID, "party_kind": p.Kind, "op": op},
			RequestedBy: a.ID, RequestedAt: now, DecidedBy: a.ID, DecidedAt: &now, Decision: "within the requester's own authority"}
		params, _ := json.Marshal(r.Params)
		if _, err := tx.exec(`INSERT INTO action_requests (id, tenant_id, ticket_id, action, amount, currency, reason, params, state, requested_by, requested_at, decided_by, decided_at, decision_note)
			VALUES ($1, $2, $3, $4, 0, '', $5, $6, $7, $8, $9, $8, $9, $10)`, r.ID, sc.TenantID, ticketID, string(r.Action), reason, string(params),
			string(r.State), a.ID, us(now), r.Decision); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.Event(sc.TenantID, a, "action.executed", "action", r.ID, ticketID, nil, r); err != nil {
			return err
		}
		out = PartyRestricted{Party: p, Action: r}
		tx.SetResult(out)
		// entity party and the ticket: the entry is on the party's record
		// and in the ticket's history alike.
		return tx.Event(sc.TenantID, a, typ, "party", partyID, ticketID, before, map[string]any{"party": p, "reason": reason, "ticket_id": ticketID})
	})
	return out, err
}

// PartyHistory is every recorded change to a party, oldest first: created,
// updated, restricted and lifted, relays opened to it.
func (s *Store) PartyHistory(ctx context.Context, sc Scope, id string, after int64, limit int) ([]kefu.Event, error) {
	if _, err := s.Party(ctx, sc, id); err != nil {
		return nil, err
	}
	evs, err := s.Events(ctx, sc.TenantID, EventFilter{EntityID: id, AfterSeq: after, Limit: limit})
	if err != nil || sc.OrgIDs == nil {
		return evs, err
	}
	// A party works for many organizations; a scoped reader sees only the
	// entries made from tickets in their scope.
	visible := map[string]bool{}
	out := evs[:0]
	for _, e := range evs {
		if e.TicketID != "" {
			ok, seen := visible[e.TicketID]
			if !seen {
				_, err := s.ticket(ctx, s.db, sc, e.TicketID, false)
				ok = err == nil
				visible[e.TicketID] = ok
			}
			if !ok {
				continue
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// --- settings ---

// RelaySettingsOf are a tenant's relay defaults, filled.
func (s *Store) RelaySettingsOf(ctx context.Context, tenantID string) (RelaySettings, error) {
	var st RelaySettings
	raw, err := s.settingRaw(ctx, tenantID, "relay")
	if err != nil {
		return st, err
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &st); err != nil {
			return st, kefu.Internal(err)
		}
	}
	if st.FollowUpHours <= 0 {
		st.FollowUpHours = 24
	}
	return st, nil
}

// PutRelaySettings saves a tenant's relay defaults.
func (s *Store) PutRelaySettings(ctx context.Context, tenantID string, a Actor, st RelaySettings) (RelaySettings, error) {
	if st.FollowUpHours < 0 || st.FollowUpHours > 24*30 {
		return st, kefu.FieldError("follow_up_hours", "0 (the default, 24) to 720")
	}
	if err := s.putSetting(ctx, tenantID, a, "relay", st); err != nil {
		return st, err
	}
	return s.RelaySettingsOf(ctx, tenantID)
}

// --- relays ---

const relayCols = `r.id, r.ticket_id, r.code, r.state, r.commitment_id, r.opened_by, r.opened_at, r.closed_by, r.closed_at, r.outcome, r.outcome_note, ` + partyCols

func scanRelay(sc interface{ Scan(...any) error }) (Relay, error) {
	var r Relay
	var opened int64
	var closed sql.NullInt64
	var restricted sql.NullInt64
	var created, updated int64
	p := &r.Party
	err := sc.Scan(&r.ID, &r.TicketID, &r.Code, &r.State, &r.CommitmentID, &r.OpenedBy, &opened, &r.ClosedBy, &closed, &r.Outcome, &r.OutcomeNote,
		&p.ID, &p.OrgID, &p.Kind, &p.Name, &p.phone, &p.ExternalID, &restricted, &p.RestrictedBy, &p.RestrictionReason,
		&p.RestrictionTicketID, &created, &updated)
	r.OpenedAt, r.ClosedAt = fromUS(opened), fromNullUS(closed)
	p.Phone, p.RestrictedAt, p.CreatedAt, p.UpdatedAt = relay.MaskPhone(p.phone), fromNullUS(restricted), fromUS(created), fromUS(updated)
	p.Restricted = p.RestrictedAt != nil
	if p.UpdatedAt.Before(p.CreatedAt) {
		p.UpdatedAt = p.CreatedAt
	}
	return r, err
}

const relayMessageCols = `id, relay_id, ticket_id, direction, origin, body, masked, by_id, message_id, state, attempts, last_error, sent_at, at`

func scanRelayMessage(sc interface{ Scan(...any) error }) (RelayMessage, error) {
	var m RelayMessage
	var masked int
	var at int64
	var sent sql.NullInt64
	err := sc.Scan(&m.ID, &m.RelayID, &m.TicketID, &m.Direction, &m.Origin, &m.Body, &masked, &m.ByID, &m.MessageID, &m.Delivery, &m.Attempts,
		&m.LastError, &sent, &at)
	m.Masked, m.SentAt, m.At = masked == 1, fromNullUS(sent), fromUS(at)
	return m, err
}

// relay reads one relay of a ticket (the ticket's scope checked by the caller).
func (s *Store) relay(ctx context.Context, q querier, tenantID, ticketID, id string, lock bool) (Relay, error) {
	suffix := ""
	if lock && s.dialect == Postgres {
		suffix = " FOR UPDATE OF r"
	}
	r, err := scanRelay(q.QueryRowContext(ctx, `SELECT `+relayCols+` FROM relays r JOIN parties p ON p.id = r.party_id
		WHERE r.tenant_id = $1 AND r.ticket_id = $2 AND r.id = $3`+suffix, tenantID, ticketID, id))
	return r, notFound(err, "relay")
}

// Relays lists a ticket's relays, oldest first, without their messages.
func (s *Store) Relays(ctx context.Context, sc Scope, ticketID string) ([]Relay, error) {
	if _, err := s.Ticket(ctx, sc, ticketID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+relayCols+` FROM relays r JOIN parties p ON p.id = r.party_id
		WHERE r.tenant_id = $1 AND r.ticket_id = $2 ORDER BY r.opened_at, r.id`, sc.TenantID, ticketID)
	return collect(rows, err, scanRelay)
}

// RelayOf reads one relay of a ticket with its messages, oldest first.
func (s *Store) RelayOf(ctx context.Context, sc Scope, ticketID, id string) (Relay, error) {
	if _, err := s.Ticket(ctx, sc, ticketID); err != nil {
		return Relay{}, err
	}
	r, err := s.relay(ctx, s.db, sc.TenantID, ticketID, id, false)
	if err != nil {
		return r, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+relayMessageCols+` FROM relay_messages WHERE tenant_id = $1 AND relay_id = $2 ORDER BY at, id`, sc.TenantID, id)
	if err != nil {
		return r, kefu.Internal(err)
	}
	defer rows.Close()
	r.Messages = []RelayMessage{}
	for rows.Next() {
		m, err := scanRelayMessage(rows)
		if err != nil {
			return r, kefu.Internal(err)
		}
		r.Messages = append(r.Messages, m)
	}
	return r, kefu.InternalOrNil(rows.Err())
}

func checkBody(body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", kefu.FieldError("body", "required")
	}
	if len(body) > relay.MaxBody {
		return "", kefu.FieldError("body", "at most 1000 bytes")
	}
	return body, nil
}

// OpenRelayOn opens a relay on a ticket to a party: the first message goes
// out to the party, a follow-up commitment keeps the ticket open until the
// relay is closed, and the customer is told, all in one write.
func (s *Store) OpenRelayOn(ctx context.Context, sc Scope, a Actor, ticketID string, in OpenRelay) (RelayOpened, error) {
	var out RelayOpened
	body, err := checkBody(in.Body)
	if err != nil {
		return out, err
	}
	if strings.TrimSpace(in.PartyID) == "" {
		return out, kefu.FieldError("party_id", "required")
	}
	if in.DueAt.IsZero() {
		return out, kefu.FieldError("due_at", "required")
	}
	err = s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		t, err := s.ticket(ctx, tx.sql(), sc, ticketID, true)
		if err != nil {
			return err
		}
		if t.Status.Settled() {
			return kefu.Conflict("ticket_done", "a "+string(t.Status)+" ticket cannot open a relay; reopen it first")
		}
		p, err := s.party(ctx, tx.sql(), sc, in.PartyID)
		if err != nil {
			if kefu.IsNotFound(err) {
				return kefu.FieldError("party_id", "no such party in your scope")
			}
			return err
		}
		var open int
		if err := tx.queryRow(`SELECT COUNT(*) FROM relays WHERE tenant_id = $1 AND ticket_id = $2 AND party_id = $3 AND state = 'open'`,
			sc.TenantID, ticketID, p.ID).Scan(&open); err != nil {
			return kefu.Internal(err)
		}
		if open > 0 {
			return kefu.Conflict("relay_open", "a relay to this party is already open on the ticket: send through it")
		}
		code, err := tx.freeCode(sc.TenantID)
		if err != nil {
			return err
		}
		now := s.Now()
		loc, locale := s.tenantLocation(ctx, tx.sql(), sc.TenantID)
		c := kefu.Commitment{Kind: kefu.CommitFollowUp, Description: relay.Promise(locale, p.Kind, code), DueAt: in.DueAt, OwnerID: in.OwnerID,
			CustomerVisible: true}
		if err := tx.addCommitment(sc.TenantID, a, &t, &c, now); err != nil {
			return err
		}
		r := Relay{ID: newID(), TicketID: ticketID, Code: code, State: "open", Party: p, CommitmentID: c.ID, OpenedBy: a.ID, OpenedAt: now}
		if _, err := tx.exec(`INSERT INTO relays (id, tenant_id, ticket_id, party_id, code, state, commitment_id, opened_by, opened_at)
			VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8)`, r.ID, sc.TenantID, ticketID, p.ID, code, c.ID, a.ID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		if err := tx.Event(sc.TenantID, a, "relay.opened", "relay", r.ID, ticketID, nil, r); err != nil {
			return err
		}
		// on the party's record too
		if err := tx.Event(sc.TenantID, a, "party.relay_opened", "party", p.ID, ticketID, nil, map[string]any{"relay_id": r.ID, "code": code}); err != nil {
			return err
		}
		m, err := tx.toParty(&t, r, a, relay.OriginAgent, body, locale, now)
		if err != nil {
			return err
		}
		notice := kefu.Message{Kind: kefu.MessageNotice, Channel: t.Channel, Body: relay.Opened(locale, p.Kind, in.DueAt, loc), Attachments: []kefu.Attachment{}}
		if err := tx.notice(&t, &notice, now); err != nil {
			return err
		}
		out = RelayOpened{Relay: r, Message: m, Commitment: c, Notice: &notice}
		tx.SetResult(out)
		return nil
	})
	return out, err
}

// freeCode draws relay codes until one is free in the tenant.
func (tx *Tx) freeCode(tenantID string) (string, error) {
	for range 8 {
		code := relay.NewCode()
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM relays WHERE tenant_id = $1 AND code = $2`, tenantID, code).Scan(&n); err != nil {
			return "", kefu.Internal(err)
		}
		if n == 0 {
			return code, nil
		}
	}
	return "", kefu.Internal(errors.New("no free relay code after 8 draws"))
}

// toParty records a message to the party: masked, queued for the SMS, and
// on the ticket (the customer's own words as their message, an agent's as
// an internal note).
func (tx *Tx) toParty(t *kefu.Ticket, r Relay, a Actor, origin, body, locale string, now time.Time) (RelayMessage, error) {
	masked, changed := relay.Mask(body, locale)
	var tm kefu.Message
	if origin == relay.OriginCustomer {
		tm = kefu.Message{Kind: kefu.MessageCustomer, Channel: t.Channel, Body: body, Attachments: []kefu.Attachment{}}
	} else {
		tm = kefu.Message{Kind: kefu.MessageNote, Channel: t.Channel, Body: relay.Note(locale, r.Party.Kind, r.Code, masked), Attachments: []kefu.Attachment{}}
	}
	if err := tx.ticketMessage(t, a, &tm, now); err != nil {
		return RelayMessage{}, err
	}
	m := RelayMessage{ID: newID(), RelayID: r.ID, TicketID: t.ID, Direction: "to_party", Origin: origin, Body: masked, Masked: changed,
		ByID: a.ID, MessageID: tm.ID, Delivery: "pending", At: now}
	if _, err := tx.exec(`INSERT INTO relay_messages (id, tenant_id, relay_id, ticket_id, direction, body, by_id, at, origin, original, masked, message_id,
		sms_text, state, next_at) VALUES ($1, $2, $3, $4, 'to_party', $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $7)`,
		m.ID, t.TenantID, r.ID, t.ID, masked, a.ID, us(now), origin, body, boolInt(changed), tm.ID, relay.SMS(locale, origin, r.Code, masked)); err != nil {
		return m, kefu.Internal(err)
	}
	tx.AfterCommit(tx.s.kickNotifier)
	return m, tx.Event(t.TenantID, a, "relay.message", "relay", r.ID, t.ID, nil, m)
}

// ticketMessage puts a relay's message on its ticket the way AddMessage
// would: a customer writing reopens a pending ticket and owes them an
// answer under the SLA.
func (tx *Tx) ticketMessage(t *kefu.Ticket, a Actor, m *kefu.Message, now time.Time) error {
	if err := tx.insertMessage(t.TenantID, a, t, m, now); err != nil {
		return err
	}
	status := nextStatus(t.Status, m.Kind)
	if _, err := tx.exec(`UPDATE tickets SET message_count = message_count + 1, updated_at = $2, status = $3 WHERE id = $1`, t.ID, us(now), string(status)); err != nil {
		return kefu.Internal(err)
	}
	t.MessageCount++
	if status != t.Status {
		if err := tx.moveStatus(t, a, status, now); err != nil {
			return err
		}
	}
	if m.Kind == kefu.MessageCustomer && tx.s.hasSLA(tx, t.TenantID) {
		if err := tx.slaOnMessage(t, m.Kind, now); err != nil {
			return err
		}
	}
	return tx.Event(t.TenantID, a, "message.created", "message", m.ID, t.ID, nil, m)
}

// moveStatus records a status the relay moved a ticket to (the status
// column is already written).
func (tx *Tx) moveStatus(t *kefu.Ticket, a Actor, to kefu.Status, now time.Time) error {
	before := *t
	t.Status, t.UpdatedAt = to, now
	if to == kefu.StatusOpen {
		t.SolvedAt = nil
		if _, err := tx.exec(`UPDATE tickets SET solved_at = NULL WHERE id = $1`, t.ID); err != nil {
			return kefu.Internal(err)
		}
	}
	if err := tx.Event(t.TenantID, a, "ticket.updated", "ticket", t.ID, t.ID, before, *t); err != nil {
		return err
	}
	return tx.slaOnStatus(t, before.Status, to, now)
}

// SendToParty relays one more message to the party of an open relay, from
// the agent or passing on the customer's words (origin).
func (s *Store) SendToParty(ctx context.Context, sc Scope, a Actor, ticketID, relayID, origin, body string) (RelayMessage, error) {
	var out RelayMessage
	if origin == "" {
		origin = relay.OriginAgent
	}
	if origin != relay.OriginAgent && origin != relay.OriginCustomer {
		return out, kefu.FieldError("from", "must be agent or customer")
	}
	body, err := checkBody(body)
	if err != nil {
		return out, err
	}
	err = s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		t, err := s.ticket(ctx, tx.sql(), sc, ticketID, true)
		if err != nil {
			return err
		}
		r, err := s.relay(ctx, tx.sql(), sc.TenantID, ticketID, relayID, true)
		if err != nil {
			return err
		}
		if r.State != "open" {
			return kefu.Conflict("relay_closed", "the relay is closed; open a new one to reach the party again")
		}
		if t.Status == kefu.StatusClosed {
			return kefu.Conflict("ticket_closed", "the ticket is closed")
		}
		_, locale := s.tenantLocation(ctx, tx.sql(), sc.TenantID)
		out, err = tx.toParty(&t, r, a, origin, body, locale, s.Now())
		tx.SetResult(out)
		return err
	})
	return out, err
}

// ReceiveFromParty records a party's reply by its relay code. On an open
// relay the masked reply goes to the customer as a notice (and a ticket on
// hold, waiting for the party, opens again); after the relay closed, it is
// kept as a note for the agents and not passed on. from, when given, must
// be the party's number.
func (s *Store) ReceiveFromParty(ctx context.Context, sc Scope, a Actor, code, body, from string) (Inbound, error) {
	var out Inbound
	code = relay.NormalizeCode(code)
	if code == "" {
		return out, kefu.FieldError("code", "the relay code: six letters and digits")
	}
	body, err := checkBody(body)
	if err != nil {
		return out, err
	}
	var ticketID, relayID string
	if err := s.db.QueryRowContext(ctx, `SELECT ticket_id, id FROM relays WHERE tenant_id = $1 AND code = $2`, sc.TenantID, code).Scan(&ticketID, &relayID); err != nil {
		return out, notFound(err, "relay")
	}
	err = s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		t, err := s.ticket(ctx, tx.sql(), sc, ticketID, true)
		if err != nil {
			return kefu.NotFound("relay")
		}
		r, err := s.relay(ctx, tx.sql(), sc.TenantID, ticketID, relayID, true)
		if err != nil {
			return err
		}
		if from != "" && !relay.SamePhone(from, r.Party.phone) {
			return kefu.Conflict("sender_mismatch", "the reply does not come from the party's number; nothing was relayed")
		}
		now := s.Now()
		_, locale := s.tenantLocation(ctx, tx.sql(), sc.TenantID)
		masked, changed := relay.Mask(body, locale)
		relayed := r.State == "open" && t.Status != kefu.StatusClosed
		var tm kefu.Message
		state := ""
		if relayed {
			tm = kefu.Message{Kind: kefu.MessageNotice, Channel: t.Channel, Body: relay.Reply(locale, r.Party.Kind, masked), Attachments: []kefu.Attachment{}}
			if err := tx.notice(&t, &tm, now); err != nil {
				return err
			}
			t.MessageCount++
			if t.Status == kefu.StatusOnHold {
				if _, err := tx.exec(`UPDATE tickets SET status = 'open', updated_at = $2 WHERE id = $1`, t.ID, us(now)); err != nil {
					return kefu.Internal(err)
				}
				if err := tx.moveStatus(&t, a, kefu.StatusOpen, now); err != nil {
					return err
				}
			}
		} else {
			state = "held"
			tm = kefu.Message{Kind: kefu.MessageNote, Channel: t.Channel, Body: relay.Late(locale, r.Party.Kind, r.Code, masked), Attachments: []kefu.Attachment{}}
			if err := tx.notice(&t, &tm, now); err != nil { // a note by kefu itself
				return err
			}
		}
		m := RelayMessage{ID: newID(), RelayID: r.ID, TicketID: t.ID, Direction: "from_party", Origin: relay.OriginParty, Body: masked, Masked: changed,
			MessageID: tm.ID, Delivery: state, At: now}
		if _, err := tx.exec(`INSERT INTO relay_messages (id, tenant_id, relay_id, ticket_id, direction, body, by_id, at, origin, original, masked, message_id, state)
			VALUES ($1, $2, $3, $4, 'from_party', $5, '', $6, 'party', $7, $8, $9, $10)`,
			m.ID, sc.TenantID, r.ID, t.ID, masked, us(now), body, boolInt(changed), tm.ID, state); err != nil {
			return kefu.Internal(err)
		}
		out = Inbound{RelayID: r.ID, TicketID: t.ID, Relayed: relayed, Message: m}
		tx.SetResult(out)
		return tx.Event(sc.TenantID, a, "relay.reply", "relay", r.ID, t.ID, nil, m)
	})
	return out, err
}

// CloseRelay ends a relay with its outcome: resolved keeps its follow-up
// commitment; any other outcome releases it with the reason (the caller
// has checked the authority to release). Only then can the ticket be
// solved; sending a relay settles nothing.
func (s *Store) CloseRelay(ctx context.Context, sc Scope, a Actor, ticketID, relayID, outcome, note, releaseReason string) (Relay, error) {
	var out Relay
	if !relay.ValidOutcome(outcome) {
		return out, kefu.FieldError("outcome", "must be resolved, unresolved, unreachable or withdrawn")
	}
	if outcome != relay.OutcomeResolved && strings.TrimSpace(releaseReason) == "" {
		return out, kefu.FieldError("release_reason", "required unless the outcome is resolved: the follow-up commitment is released with it")
	}
	if len(note) > 2000 {
		return out, kefu.FieldError("note", "at most 2000 bytes")
	}
	if len(releaseReason) > 2000 {
		return out, kefu.FieldError("release_reason", "at most 2000 bytes")
	}
	err := s.WriteAbout(ctx, ticketID, func(tx *Tx) error {
		if _, err := s.ticket(ctx, tx.sql(), sc, ticketID, true); err != nil {
			return err
		}
		before, err := s.relay(ctx, tx.sql(), sc.TenantID, ticketID, relayID, true)
		if err != nil {
			return err
		}
		if before.State != "open" {
			return kefu.Conflict("relay_closed", "the relay is already closed")
		}
		now := s.Now()
		r := before
		r.State, r.Outcome, r.OutcomeNote, r.ClosedBy, r.ClosedAt = "closed", outcome, strings.TrimSpace(note), a.ID, &now
		if _, err := tx.exec(`UPDATE relays SET state = 'closed', outcome = $3, outcome_note = $4, closed_by = $5, closed_at = $6 WHERE tenant_id = $1 AND id = $2`,
			sc.TenantID, relayID, outcome, r.OutcomeNote, a.ID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		if r.CommitmentID != "" {
			c, err := scanCommitment(tx.queryRow(`SELECT `+commitmentCols+` FROM commitments c WHERE tenant_id = $1 AND id = $2`, sc.TenantID, r.CommitmentID))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return kefu.Internal(err)
			}
			if err == nil && (c.State == kefu.CommitOpen || c.State == kefu.CommitMissed) {
				if outcome == relay.OutcomeResolved {
					_, err = tx.settle(sc.TenantID, a, c, kefu.CommitKept, "")
				} else {
					_, err = tx.settle(sc.TenantID, a, c, kefu.CommitReleased, releaseReason)
				}
				if err != nil {
					return err
				}
			}
		}
		out = r
		tx.SetResult(r)
		return tx.Event(sc.TenantID, a, "relay.closed", "relay", relayID, ticketID, before, r)
	})
	return out, err
}

// relayHolds refuses to settle what an open relay holds: its follow-up
// commitment (commitmentID), or, with commitmentID "", any of the ticket's
// commitments at once. A relay's commitment is settled only by closing the
// relay with its outcome, so a party's reply never lands on a settled case.
func (tx *Tx) relayHolds(tenantID, ticketID, commitmentID string) error {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM relays WHERE tenant_id = $1 AND ticket_id = $2 AND ($3 = '' OR commitment_id = $3) AND state = 'open'`,
		tenantID, ticketID, commitmentID).Scan(&n); err != nil {
		return kefu.Internal(err)
	}
	if n > 0 {
		return kefu.Conflict("relay_open", "a relay holds this: close the relay with its outcome first")
	}
	return nil
}

// --- the outbox to parties ---

// RelaySMS is one message due to a party, claimed for sending.
type RelaySMS struct {
	ID       string
	TenantID string
	TicketID string
	RelayID  string
	Phone    string // whole: for the SMS channel only
	Text     string
	Attempts int
}

// relayLease is how long a claimed message is left to its node before
// another may try it.
const relayLease = 2 * time.Minute

// DueRelaySMS claims up to limit messages due to parties: each is taken by
// one node (a conditional update moves its next attempt a lease ahead),
// so two nodes do not send the same SMS at once.
func (s *Store) DueRelaySMS(ctx context.Context, limit int) ([]RelaySMS, error) {
	now := s.Now()
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, m.tenant_id, m.ticket_id, m.relay_id, p.phone, m.sms_text, m.attempts, m.next_at
		FROM relay_messages m JOIN relays r ON r.id = m.relay_id JOIN parties p ON p.id = r.party_id
		WHERE m.state = 'pending' AND m.next_at <= $1 ORDER BY m.next_at LIMIT $2`, us(now), limit)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	type due struct {
		m    RelaySMS
		next int64
	}
	var all []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.m.ID, &d.m.TenantID, &d.m.TicketID, &d.m.RelayID, &d.m.Phone, &d.m.Text, &d.m.Attempts, &d.next); err != nil {
			rows.Close()
			return nil, kefu.Internal(err)
		}
		all = append(all, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(all) == 0 {
		return nil, kefu.InternalOrNil(err)
	}
	var mine []RelaySMS
	err = s.Write(ctx, func(tx *Tx) error {
		mine = mine[:0]
		for _, d := range all {
			res, err := tx.exec(`UPDATE relay_messages SET next_at = $3 WHERE id = $1 AND state = 'pending' AND next_at = $2`, d.m.ID, d.next, us(now.Add(relayLease)))
			if err != nil {
				return kefu.Internal(err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				mine = append(mine, d.m)
			}
		}
		return nil
	})
	return mine, err
}

// smsError is a gateway's failure as the relay's record keeps it: gateways
// echo the number they were given, which must not reach agents whole.
func smsError(err error) string {
	t, _ := relay.Mask(err.Error(), "en")
	return truncate(t, 1000)
}

// RelaySMSResult records one attempt: sent, or failed with the error and
// the next attempt (nil: given up, the message is dead and the ticket's
// history says so).
func (s *Store) RelaySMSResult(ctx context.Context, m RelaySMS, attempt int, sendErr error, next *time.Time) error {
	return s.WriteAbout(ctx, m.TicketID, func(tx *Tx) error {
		now := s.Now()
		var err error
		switch {
		case sendErr == nil:
			_, err = tx.exec(`UPDATE relay_messages SET state = 'sent', attempts = $2, sent_at = $3, next_at = NULL, last_error = '' WHERE id = $1 AND state = 'pending'`,
				m.ID, attempt, us(now))
		case next == nil:
			_, err = tx.exec(`UPDATE relay_messages SET state = 'dead', attempts = $2, next_at = NULL, last_error = $3 WHERE id = $1 AND state = 'pending'`,
				m.ID, attempt, smsError(sendErr))
			if err == nil {
				err = tx.Event(m.TenantID, System, "relay.undelivered", "relay", m.RelayID, m.TicketID, nil,
					map[string]any{"relay_message_id": m.ID, "attempts": attempt, "error": smsError(sendErr)})
			}
		default:
			_, err = tx.exec(`UPDATE relay_messages SET attempts = $2, next_at = $3, last_error = $4 WHERE id = $1 AND state = 'pending'`,
				m.ID, attempt, us(*next), smsError(sendErr))
		}
		return kefu.InternalOrNil(err)
	})
}
