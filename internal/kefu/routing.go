package kefu

import "time"

// SkillLevel is a skill a queue requires, with the lowest level that
// qualifies (1–10).
type SkillLevel struct {
	Skill    string `json:"skill"`
	MinLevel int    `json:"min_level"`
}

// PoolShare is one pool's share of a queue's work: "in_house" or a vendor id.
type PoolShare struct {
	Pool   string `json:"pool"`
	Weight int    `json:"weight"`
}

// PoolInHouse names the tenant's own agents in a split.
const PoolInHouse = "in_house"

// OverflowStep widens who may take an item once it has waited AfterSeconds.
type OverflowStep struct {
	Name          string   `json:"name"`
	AfterSeconds  int      `json:"after_seconds"`
	AddTiers      []Tier   `json:"add_tiers,omitempty"`
	RelaxSkills   []string `json:"relax_skills,omitempty"`
	LowerLevels   int      `json:"lower_levels,omitempty"`
	AddPools      []string `json:"add_pools,omitempty"`
	OfferCallback bool     `json:"offer_callback,omitempty"`
}

// QueueRouting is how a queue routes: the data behind its decisions.
// Credits are seconds of waiting an item is given at arrival.
type QueueRouting struct {
	QueueID              string         `json:"queue_id"`
	Skills               []SkillLevel   `json:"skills"`
	Tiers                []Tier         `json:"tiers,omitempty"`
	Split                []PoolShare    `json:"split,omitempty"`
	Steps                []OverflowStep `json:"steps,omitempty"`
	Selection            string         `json:"selection"` // longest_idle or least_loaded
	TierCredit           map[string]int `json:"tier_credit_seconds,omitempty"`
	PriorityCredit       map[string]int `json:"priority_credit_seconds,omitempty"`
	OfferTimeoutSeconds  int            `json:"offer_timeout_seconds"`
	ServiceLevelSeconds  int            `json:"service_level_seconds"`
	SLARiskWindowSeconds int            `json:"sla_risk_window_seconds"`
	SLARiskCreditSeconds int            `json:"sla_risk_credit_seconds"`
	UpdatedAt            time.Time      `json:"updated_at"`
}

// AgentProfile is what routing knows of an agent: skills with levels,
// capacity and wrap-up per channel, and their presence. Tier and vendor
// come from the user.
type AgentProfile struct {
	UserID   string         `json:"user_id"`
	Tier     Tier           `json:"tier,omitempty"`
	VendorID string         `json:"vendor_id,omitempty"`
	Skills   map[string]int `json:"skills"`
	Capacity map[string]int `json:"capacity"`
	// RoleCapacity is what the agent's roles give (the highest per channel);
	// Capacity, the agent's own, wins where it names a channel.
	RoleCapacity  map[string]int `json:"role_capacity,omitempty"`
	WrapUpSeconds map[string]int `json:"wrap_up_seconds"`
	Presence      Presence       `json:"presence"`
}

// Presence is an agent's state: available, busy, away, wrap_up, offline.
type Presence struct {
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}

// PresenceChange is one entry of the presence history.
type PresenceChange struct {
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// EffectiveCapacity is what routing uses: the agent's own capacity per
// channel, else the highest their roles give.
func (p AgentProfile) EffectiveCapacity() map[string]int {
	out := map[string]int{}
	for ch, n := range p.RoleCapacity {
		out[ch] = n
	}
	for ch, n := range p.Capacity {
		out[ch] = n
	}
	return out
}

// Emergency is a threat to life or safety that screening found in a
// message. It stays pinned for supervisors until a person acknowledges it.
type Emergency struct {
	ID        string     `json:"id"`
	TicketID  string     `json:"ticket_id"`
	MessageID string     `json:"message_id,omitempty"`
	Kind      string     `json:"kind"`
	Score     float64    `json:"score"`
	Reason    string     `json:"reason"`
	RaisedAt  time.Time  `json:"raised_at"`
	AckedBy   string     `json:"acked_by,omitempty"`
	AckedAt   *time.Time `json:"acked_at,omitempty"`
	// Level is how far up the ladder it has gone unacknowledged (0: the
	// safety team only); EscalatedTo names that rung.
	Level       int        `json:"level"`
	EscalatedTo string     `json:"escalated_to,omitempty"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
}

// IntakeSettings are a tenant's intake choices: where emergencies go.
type IntakeSettings struct {
	SafetyQueueID string `json:"safety_queue_id,omitempty"`
	// AckTargetSeconds: an emergency nobody acknowledged within this long
	// goes one rung up the Ladder, and again after each further target.
	AckTargetSeconds int `json:"ack_target_seconds"`
	// Ladder names who is alerted at each rung, in order (role names, e.g.
	// team_lead, supervisor, manager); empty means DefaultLadder.
	Ladder    []string  `json:"ladder"`
	UpdatedAt time.Time `json:"updated_at"`
}

// IntakeStep is one decision intake took about an inbound message (who the
// customer is, emergency screening, the external classifier, repeat,
// category and language), kept on the ticket's history with why.
type IntakeStep struct {
	Step     string   `json:"step"`
	Decision string   `json:"decision"`
	Why      string   `json:"why,omitempty"`
	Score    *float64 `json:"score,omitempty"`
}

// IntakeRecord is what intake decided about one message: the
// "intake.decided" event of the ticket's history.
type IntakeRecord struct {
	MessageID string       `json:"message_id,omitempty"`
	Steps     []IntakeStep `json:"steps"`
}

// DefaultLadder is the escalation ladder above the safety team.
var DefaultLadder = []string{"team_lead", "supervisor", "admin"}

// EffectiveLadder is the ladder in force.
func (s IntakeSettings) EffectiveLadder() []string {
	if len(s.Ladder) == 0 {
		return DefaultLadder
	}
	return s.Ladder
}

// AckTarget is the acknowledgement target in force (default 60 s).
func (s IntakeSettings) AckTarget() time.Duration {
	if s.AckTargetSeconds <= 0 {
		return 60 * time.Second
	}
	return time.Duration(s.AckTargetSeconds) * time.Second
}
