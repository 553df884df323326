package kefu

import "time"

// UserKind is what a person does in the center.
type UserKind string

const (
	UserAgent       UserKind = "agent"
	UserTeamLead    UserKind = "team_lead"
	UserSupervisor  UserKind = "supervisor"
	UserManager     UserKind = "manager"
	UserAdmin       UserKind = "admin"
	UserDepartment  UserKind = "department_staff"
	UserVendorAgent UserKind = "vendor_agent"
	UserSafety      UserKind = "safety" // in-house safety team
)

var userKinds = map[UserKind]bool{UserAgent: true, UserTeamLead: true, UserSupervisor: true, UserManager: true,
	UserAdmin: true, UserDepartment: true, UserVendorAgent: true, UserSafety: true}

func ValidUserKind(k UserKind) bool { return userKinds[k] }

// Tier is an agent's seniority; routing and escalation use it.
type Tier string

const (
	TierJunior       Tier = "junior"
	TierIntermediate Tier = "intermediate"
	TierSenior       Tier = "senior"
	TierExpert       Tier = "expert"
)

func ValidTier(t Tier) bool {
	switch t {
	case "", TierJunior, TierIntermediate, TierSenior, TierExpert:
		return true
	}
	return false
}

// User is a person who signs in: agent, lead, admin, department or vendor staff.
type User struct {
	ID           string   `json:"id"`
	TenantID     string   `json:"-"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Kind         UserKind `json:"kind"`
	Tier         Tier     `json:"tier,omitempty"`
	VendorID     string   `json:"vendor_id,omitempty"`
	DepartmentID string   `json:"department_id,omitempty"`
	Locale       string   `json:"locale,omitempty"`
	// Phone is where SMS alerts reach the user (digits, optional leading +).
	Phone         string    `json:"phone,omitempty"`
	Active        bool      `json:"active"`
	PlatformAdmin bool      `json:"platform_admin,omitempty"`
	Grants        []Grant   `json:"grants"`
	CreatedAt     time.Time `json:"created_at"`
	PasswordHash  string    `json:"-"`
}

// Permission is one thing a role lets its holder do.
type Permission string

const (
	PermTicketsRead      Permission = "tickets.read"
	PermTicketsWrite     Permission = "tickets.write"
	PermTicketsAssign    Permission = "tickets.assign"
	PermTicketsForward   Permission = "tickets.forward"
	PermCustomersRead    Permission = "customers.read"
	PermCustomersWrite   Permission = "customers.write"
	PermCustomersMerge   Permission = "customers.merge"
	PermCommitmentsWrite Permission = "commitments.write"
	PermActionsRequest   Permission = "actions.request"
	PermApprovalsDecide  Permission = "approvals.decide"
	PermUsersManage      Permission = "users.manage"
	PermOrgManage        Permission = "org.manage" // orgs, departments, vendors, queues, tiers
	PermWebhooksManage   Permission = "webhooks.manage"
	PermAuditRead        Permission = "audit.read"
	// Staffing: forecasts, plans and shifts (workforce managers,
	// supervisors). Read sees them; write makes, edits and imports.
	PermStaffingRead  Permission = "staffing.read"
	PermStaffingWrite Permission = "staffing.write"
)

// AllPermissions lists every permission, for validation and the admin role.
var AllPermissions = []Permission{PermTicketsRead, PermTicketsWrite, PermTicketsAssign, PermTicketsForward,
	PermCustomersRead, PermCustomersWrite, PermCustomersMerge, PermCommitmentsWrite, PermActionsRequest,
	PermApprovalsDecide, PermUsersManage, PermOrgManage, PermWebhooksManage, PermAuditRead,
	PermStaffingRead, PermStaffingWrite}

func ValidPermission(p Permission) bool {
	for _, q := range AllPermissions {
		if p == q {
			return true
		}
	}
	return false
}

// Action names something with consequences outside kefu that needs
// authority: refund, compensate, suspend an account… Limits are per action.
type Action string

const (
	ActionRefund         Action = "refund"
	ActionCompensate     Action = "compensate"
	ActionSplitOrder     Action = "split_order"
	ActionSuspendAccount Action = "suspend_account"
	ActionRestrictDriver Action = "restrict_account"
	// ActionExpedite is the authority to own an expedite (加急): to make a
	// faster promise real. An agent without it can ask, and the expedite
	// goes to someone who has it.
	ActionExpedite Action = "expedite"
	// ActionShareLocation shares a trip's live location with the police
	// (a safety playbook action).
	ActionShareLocation Action = "share_location"
	// ActionRestrictParty is the authority to restrict (and lift the
	// restriction of) a third party's account (a driver, a courier, a
	// merchant) from a ticket: safety, supervisors and admins by default.
	ActionRestrictParty Action = "restrict_party"
)

// Limit is how far a role may go with one action without approval. An
// action with a limit of MaxAmount 0 is allowed only when Amount is 0 (a
// yes/no action such as suspend_account); an absent limit means the role
// cannot take the action alone at all.
type Limit struct {
	MaxAmount int64 `json:"max_amount"` // minor units (fen, cents)
}

// Role is data: permissions and authority limits, granted to users at an
// organization node.
type Role struct {
	ID          string           `json:"id"`
	TenantID    string           `json:"-"`
	Name        string           `json:"name"`
	Permissions []Permission     `json:"permissions"`
	Limits      map[Action]Limit `json:"limits"`
	// Capacity is how many items at once, per channel, routing gives the
	// holders of this role, unless their own routing profile says otherwise.
	Capacity  map[string]int `json:"capacity,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

// Grant gives a user a role over an organization subtree (OrgID "" = the whole tenant).
type Grant struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	RoleID string `json:"role_id"`
	OrgID  string `json:"org_id,omitempty"`
}

// ApprovalState follows a request that exceeded a limit.
type ApprovalState string

const (
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalRefused  ApprovalState = "refused"
)

// ActionRequest is an authority-bearing action on a ticket. Within the
// requester's limit it is executed at once; above it, it waits for approval.
type ActionRequest struct {
	ID          string            `json:"id"`
	TicketID    string            `json:"ticket_id"`
	Action      Action            `json:"action"`
	Amount      int64             `json:"amount"` // minor units
	Currency    string            `json:"currency,omitempty"`
	Reason      string            `json:"reason"`
	Params      map[string]string `json:"params"`
	State       ApprovalState     `json:"state"`
	RequestedBy string            `json:"requested_by"`
	RequestedAt time.Time         `json:"requested_at"`
	DecidedBy   string            `json:"decided_by,omitempty"`
	DecidedAt   *time.Time        `json:"decided_at,omitempty"`
	Decision    string            `json:"decision_note,omitempty"`
}

// Token is an API token; the secret is shown once and only its hash is kept.
type Token struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"-"`
	UserID     string     `json:"user_id"`
	GrantID    string     `json:"grant_id,omitempty"` // narrows the token to one of the user's grants
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	SecretHash []byte     `json:"-"`
}

// Webhook is an outbound subscription to events, signed with Secret (HMAC-SHA256).
type Webhook struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"` // event types or prefixes like "ticket.*"
	Secret    string    `json:"secret,omitempty"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// Delivery is one webhook delivery with its attempts.
type Delivery struct {
	ID          string     `json:"id"`
	WebhookID   string     `json:"webhook_id"`
	EventID     string     `json:"event_id"`
	EventType   string     `json:"event_type"`
	State       string     `json:"state"` // pending, delivered, dead
	Attempts    int        `json:"attempts"`
	NextAt      *time.Time `json:"next_attempt_at,omitempty"`
	LastStatus  int        `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	Payload     []byte     `json:"-"`
	TenantID    string     `json:"-"`
}
