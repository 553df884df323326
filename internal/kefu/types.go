package kefu

import (
	"encoding/json"
	"time"
)

// Tenant is a client company served by the center (or the center's own
// company). Nothing crosses a tenant boundary.
type Tenant struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Locale    string    `json:"locale"`
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
}

// OrgKind is the level of an organization node: group → subsidiary → brand.
type OrgKind string

const (
	OrgGroup      OrgKind = "group"
	OrgSubsidiary OrgKind = "subsidiary"
	OrgBrand      OrgKind = "brand"
)

// Org is a node in a tenant's organization tree. Roles granted at a node see
// its subtree.
type Org struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	ParentID  string    `json:"parent_id,omitempty"`
	Kind      OrgKind   `json:"kind"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Department is an internal unit (finance, logistics, legal…) that receives
// forwarded tickets with its own deadlines.
type Department struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	OrgID     string    `json:"org_id,omitempty"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Email     string    `json:"email,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Vendor is an outsourcing company whose agents work some of the tenant's queues.
type Vendor struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	Name      string    `json:"name"`
	Contact   string    `json:"contact,omitempty"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// Queue is where work waits for people; routing (a later capability) reads
// Skills and InHouseOnly.
type Queue struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"-"`
	OrgID       string    `json:"org_id,omitempty"`
	Name        string    `json:"name"`
	Channel     string    `json:"channel,omitempty"`
	Skills      []string  `json:"skills"`
	InHouseOnly bool      `json:"in_house_only"`
	CreatedAt   time.Time `json:"created_at"`
}

// CustomerTier is a configurable value tier (KA, VIP, standard…); a lower
// Rank is served first.
type CustomerTier struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

// IdentityKind is how a customer is known on a channel.
type IdentityKind string

const (
	IdentityPhone    IdentityKind = "phone"
	IdentityEmail    IdentityKind = "email"
	IdentityChat     IdentityKind = "chat"     // web chat visitor id
	IdentityApp      IdentityKind = "app"      // app user id
	IdentityExternal IdentityKind = "external" // id in a subsidiary's own system; scoped by org
)

// Identity is one way to recognise a customer. Value is stored normalised
// (lower-case email, digits-only phone) so lookups match.
type Identity struct {
	ID         string       `json:"id"`
	CustomerID string       `json:"customer_id"`
	Kind       IdentityKind `json:"kind"`
	OrgID      string       `json:"org_id,omitempty"` // scope for external ids
	Value      string       `json:"value"`
	CreatedAt  time.Time    `json:"created_at"`
}

// Customer is one person across all identities and subsidiaries of a tenant.
type Customer struct {
	ID         string            `json:"id"`
	TenantID   string            `json:"-"`
	OrgID      string            `json:"org_id,omitempty"`
	Name       string            `json:"name"`
	Tier       string            `json:"tier"`
	Locale     string            `json:"locale,omitempty"`
	Attributes map[string]string `json:"attributes"`
	Identities []Identity        `json:"identities"`
	MergedInto string            `json:"merged_into,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// CustomerMerge records a merge so it can be undone exactly.
type CustomerMerge struct {
	ID          string     `json:"id"`
	SurvivorID  string     `json:"survivor_id"`
	MergedID    string     `json:"merged_id"`
	IdentityIDs []string   `json:"identity_ids"`
	TicketIDs   []string   `json:"ticket_ids"`
	By          string     `json:"by"`
	At          time.Time  `json:"at"`
	UndoneBy    string     `json:"undone_by,omitempty"`
	UndoneAt    *time.Time `json:"undone_at,omitempty"`
}

// Status is a ticket's place in its lifecycle.
type Status string

const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusPending Status = "pending" // waiting for the customer
	StatusOnHold  Status = "on_hold" // waiting for a third party / department
	StatusSolved  Status = "solved"
	StatusClosed  Status = "closed"
)

var statusMoves = map[Status][]Status{
	StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusClosed},
	StatusOpen:    {StatusPending, StatusOnHold, StatusSolved, StatusClosed},
	StatusPending: {StatusOpen, StatusOnHold, StatusSolved, StatusClosed},
	StatusOnHold:  {StatusOpen, StatusPending, StatusSolved, StatusClosed},
	StatusSolved:  {StatusOpen, StatusClosed},
	StatusClosed:  {}, // a closed ticket is final; a new contact opens a follow-up ticket
}

// Settled reports whether a ticket in status s is done with (solved or
// closed): no SLA clock runs, no commitment is expedited, and a repeat of
// its matter opens a new ticket instead of joining it.
func (s Status) Settled() bool { return s == StatusSolved || s == StatusClosed }

// ValidStatus reports whether s names a status.
func ValidStatus(s Status) bool { _, ok := statusMoves[s]; return ok }

// CanMove reports whether a ticket may go from one status to another.
func CanMove(from, to Status) bool {
	if from == to {
		return true
	}
	for _, s := range statusMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Priority orders work; routing later combines it with tier and SLA risk.
type Priority string

const (
	PriorityLow       Priority = "low"
	PriorityNormal    Priority = "normal"
	PriorityHigh      Priority = "high"
	PriorityUrgent    Priority = "urgent"
	PriorityEmergency Priority = "emergency" // set by safety screening; top of every queue
)

var priorityRank = map[Priority]int{PriorityLow: 1, PriorityNormal: 2, PriorityHigh: 3, PriorityUrgent: 4, PriorityEmergency: 5}

// PriorityRank gives a sortable rank (higher is more urgent), 0 if unknown.
func PriorityRank(p Priority) int { return priorityRank[p] }

// Channel names where a contact came from.
type Channel string

const (
	ChannelChat  Channel = "chat"
	ChannelEmail Channel = "email"
	ChannelPhone Channel = "phone"
	ChannelForm  Channel = "form"
	ChannelApp   Channel = "app"
	ChannelAPI   Channel = "api"
	ChannelOther Channel = "other"
)

var channels = map[Channel]bool{ChannelChat: true, ChannelEmail: true, ChannelPhone: true, ChannelForm: true, ChannelApp: true, ChannelAPI: true, ChannelOther: true}

func ValidChannel(c Channel) bool { return channels[c] }

// Ticket (工單) is one customer problem, from first contact to solved.
type Ticket struct {
	ID           string     `json:"id"`
	TenantID     string     `json:"-"`
	Number       int64      `json:"number"`
	OrgID        string     `json:"org_id"`
	Channel      Channel    `json:"channel"`
	Subject      string     `json:"subject"`
	Status       Status     `json:"status"`
	Priority     Priority   `json:"priority"`
	Category     string     `json:"category,omitempty"`
	Tags         []string   `json:"tags"`
	CustomerID   string     `json:"customer_id"`
	QueueID      string     `json:"queue_id,omitempty"`
	AssigneeID   string     `json:"assignee_id,omitempty"`
	DepartmentID string     `json:"department_id,omitempty"`
	ParentID     string     `json:"parent_id,omitempty"`
	RepeatCount  int        `json:"repeat_count"`
	MessageCount int        `json:"message_count"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	SolvedAt     *time.Time `json:"solved_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// LinkKind relates two tickets besides parent/child.
type LinkKind string

const (
	LinkRelated   LinkKind = "related"
	LinkDuplicate LinkKind = "duplicate"
	LinkRepeat    LinkKind = "repeat" // same customer, same matter (filled by intake later)
)

// TicketLink is an undirected relation between two tickets.
type TicketLink struct {
	TicketID  string    `json:"ticket_id"`
	OtherID   string    `json:"other_id"`
	Kind      LinkKind  `json:"kind"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

// MessageKind says who speaks and who may see it.
type MessageKind string

const (
	MessageCustomer MessageKind = "customer"
	MessageAgent    MessageKind = "agent"
	MessageNote     MessageKind = "note" // internal; never shown to the customer
	MessageSystem   MessageKind = "system"
	// MessageNotice is kefu telling the customer something by itself (a
	// promise slipped, an expedite taken on). The customer sees it; it is
	// never an agent's response, so it keeps no response target.
	MessageNotice MessageKind = "notice"
)

func ValidMessageKind(k MessageKind) bool {
	switch k {
	case MessageCustomer, MessageAgent, MessageNote, MessageSystem:
		return true
	}
	return false
}

// Attachment is a file stored beside a message; the bytes live in the
// attachment store under StorageKey.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	StorageKey  string `json:"-"`
}

// Message is one entry on a ticket's conversation.
type Message struct {
	ID          string       `json:"id"`
	TicketID    string       `json:"ticket_id"`
	Kind        MessageKind  `json:"kind"`
	AuthorID    string       `json:"author_id,omitempty"` // user id for agent/note, customer id for customer
	Channel     Channel      `json:"channel"`
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments"`
	CreatedAt   time.Time    `json:"created_at"`
}

// CommitmentKind names what was promised. Later issues give each its behaviour.
type CommitmentKind string

const (
	CommitFirstResponse CommitmentKind = "first_response"
	CommitNextResponse  CommitmentKind = "next_response"
	CommitResolution    CommitmentKind = "resolution"
	CommitExpedite      CommitmentKind = "expedite"
	CommitCallback      CommitmentKind = "callback"
	CommitFollowUp      CommitmentKind = "follow_up"
	CommitRefund        CommitmentKind = "refund"
	CommitDepartment    CommitmentKind = "department_deadline"
	CommitOther         CommitmentKind = "other"
)

var commitmentKinds = map[CommitmentKind]bool{CommitFirstResponse: true, CommitNextResponse: true, CommitResolution: true,
	CommitExpedite: true, CommitCallback: true, CommitFollowUp: true, CommitRefund: true, CommitDepartment: true, CommitOther: true}

func ValidCommitmentKind(k CommitmentKind) bool { return commitmentKinds[k] }

// CommitmentState is where a promise stands.
type CommitmentState string

const (
	CommitOpen     CommitmentState = "open"
	CommitKept     CommitmentState = "kept"
	CommitMissed   CommitmentState = "missed"   // due passed while open; stays visible until kept or released
	CommitReleased CommitmentState = "released" // withdrawn by someone with authority, with a reason
)

// Commitment is a promise to a customer: owned, dated, tracked.
type Commitment struct {
	ID            string          `json:"id"`
	TicketID      string          `json:"ticket_id"`
	Kind          CommitmentKind  `json:"kind"`
	Description   string          `json:"description"`
	DueAt         time.Time       `json:"due_at"`
	OwnerID       string          `json:"owner_id,omitempty"`
	DepartmentID  string          `json:"department_id,omitempty"`
	State         CommitmentState `json:"state"`
	MadeBy        string          `json:"made_by"`
	MadeAt        time.Time       `json:"made_at"`
	KeptAt        *time.Time      `json:"kept_at,omitempty"`
	ReleasedBy    string          `json:"released_by,omitempty"`
	ReleasedAt    *time.Time      `json:"released_at,omitempty"`
	ReleaseReason string          `json:"release_reason,omitempty"`
	// Reason says why it was made (required for an expedite).
	Reason string `json:"reason,omitempty"`
	// CustomerVisible commitments are shown to the customer and, when they
	// slip, the customer is told. SLA targets are internal.
	CustomerVisible bool `json:"customer_visible"`
	// Policy names the SLA policy that set it; Business means its due time
	// counts the tenant's business hours, so a pause shifts it in them.
	Policy   string `json:"policy,omitempty"`
	Business bool   `json:"business,omitempty"`
	// The timer: the next moment it acts (reminder, miss, next rung), how
	// many steps it has taken, how far up the ladder it has gone.
	NextAt   *time.Time `json:"next_at,omitempty"`
	Stage    int        `json:"stage"`
	Level    int        `json:"level"`
	MissedAt *time.Time `json:"missed_at,omitempty"`
	PausedAt *time.Time `json:"paused_at,omitempty"`
}

// SLAKind reports whether a commitment kind is a service-level target that
// kefu sets itself from the tenant's SLA policy.
func SLAKind(k CommitmentKind) bool {
	return k == CommitFirstResponse || k == CommitNextResponse || k == CommitResolution
}

// Event is one entry of the append-only history: who did what to which
// entity, with the state before and after. Reports and audits read it.
type Event struct {
	ID         string          `json:"id"`
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    string          `json:"actor_id,omitempty"`
	ActorKind  string          `json:"actor_kind"` // user, customer, system, token
	Type       string          `json:"type"`       // e.g. ticket.created, ticket.updated, customer.merged
	EntityKind string          `json:"entity_kind"`
	EntityID   string          `json:"entity_id"`
	TicketID   string          `json:"ticket_id,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	TenantID   string          `json:"-"`
}

// Contact is one interaction with a customer on a channel (接觸管理): every
// inbound or outbound message, call or form becomes one.
type Contact struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	TicketID   string    `json:"ticket_id,omitempty"`
	MessageID  string    `json:"message_id,omitempty"`
	Channel    Channel   `json:"channel"`
	Direction  string    `json:"direction"` // in, out
	UserID     string    `json:"user_id,omitempty"`
	At         time.Time `json:"at"`
}
