// Package routing is kefu's ACD engine: it decides which waiting item each
// agent works on next, and why.
//
// The engine is a plain in-memory structure, deterministic and driven from
// outside: every call takes "now", and timers (overflow steps, offer
// timeouts, wrap-up, transfer pull-back, SLA risk) fire only when the caller
// runs Advance. So the server drives it with the real clock, tests and the
// simulator with a virtual one, and a decision never waits for a poll.
//
// Priority is expressed as waiting-time credit ("priority and delay"): an
// item's rank is the time it has waited plus credits for emergency, customer
// tier, ticket priority and SLA risk. Since every item ages at the same
// rate, the order of two waiting items never changes by itself, so queues
// are plain heaps; credits are bounded, so nothing starves.
//
// Overflow steps only ever widen who may take an item (more tiers, relaxed
// skills, more pools). An agent's "ring" in a queue is the first step at
// which it qualifies; an item at step s may go to agents of rings 0..s,
// inner rings first, as in a bullseye.
//
// The engine is not safe for concurrent use; the caller serializes calls.
package routing

import (
	"time"
)

// State is an agent's presence.
type State uint8

const (
	Offline   State = iota // signed out
	Available              // takes offers up to capacity
	Away                   // break, lunch, training, meeting, missed offer…; no offers
	Busy                   // set by the agent or the system; no offers
	WrapUp                 // after-contact work; ends by itself
)

var stateNames = [...]string{"offline", "available", "away", "busy", "wrap_up"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// ParseState reads a state name as String writes it.
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}

// Tiers, junior to expert, in the order routing widens through them.
var Tiers = []string{"junior", "intermediate", "senior", "expert"}

func tierRank(t string) int {
	for i, n := range Tiers {
		if n == t {
			return i
		}
	}
	return -1
}

// InHouse names the pool of a tenant's own agents; every other pool is a
// vendor id.
const InHouse = ""

// Selection is how a queue chooses among equally skilled free agents.
type Selection uint8

const (
	LongestIdle Selection = iota // the agent whose load on the channel changed longest ago
	LeastLoaded                  // the agent with the fewest items on the channel, then longest idle
)

func (s Selection) String() string {
	if s == LeastLoaded {
		return "least_loaded"
	}
	return "longest_idle"
}

// ParseSelection reads "longest_idle" or "least_loaded" ("" is longest idle).
func ParseSelection(s string) (Selection, bool) {
	switch s {
	case "", "longest_idle":
		return LongestIdle, true
	case "least_loaded":
		return LeastLoaded, true
	}
	return 0, false
}

// Policy is a queue's priority and offer rules. Credits are waiting time
// given at arrival: a KA customer with TierCredit 2m ranks as if they had
// waited two minutes longer.
type Policy struct {
	Selection       Selection
	EmergencyCredit time.Duration            // default 24h: emergencies first, always
	TierCredit      map[string]time.Duration // customer tier code → credit (e.g. KA 2m, VIP 1m)
	PriorityCredit  map[string]time.Duration // ticket priority → credit (urgent 5m, high 2m, low -1m)
	SLARiskWindow   time.Duration            // credit SLARiskCredit when the SLA is this close
	SLARiskCredit   time.Duration
	OfferTimeout    time.Duration // an unanswered offer returns to the queue; 0 waits forever
	ServiceLevel    time.Duration // "answered within" threshold for the live service level; default 20s
	ShortAbandon    time.Duration // abandons sooner than this are left out of the service level; default 5s
}

// DefaultPolicy is what a queue gets when it says nothing.
func DefaultPolicy() Policy {
	return Policy{
		EmergencyCredit: 24 * time.Hour,
		TierCredit:      map[string]time.Duration{"KA": 2 * time.Minute, "VIP": time.Minute},
		PriorityCredit: map[string]time.Duration{"urgent": 5 * time.Minute, "high": 2 * time.Minute,
			"low": -time.Minute, "emergency": 24 * time.Hour},
		SLARiskWindow: 5 * time.Minute,
		SLARiskCredit: 10 * time.Minute,
		OfferTimeout:  30 * time.Second,
		ServiceLevel:  20 * time.Second,
		ShortAbandon:  5 * time.Second,
	}
}

// SkillReq is a skill a queue needs, with the lowest level that qualifies.
type SkillReq struct {
	Skill    string
	MinLevel int // 1 when zero
}

// Step is one overflow step, taken After an item has waited that long. Each
// step widens the one before: it adds tiers and pools, relaxes skills and
// may offer the customer a callback.
type Step struct {
	Name          string
	After         time.Duration
	AddTiers      []string // tiers that become eligible (e.g. "expert" for the next tier up)
	RelaxSkills   []string // required skills no longer required
	LowerLevels   int      // required levels drop by this much (never below 1)
	AddPools      []string // vendor ids (or InHouse) that join
	OfferCallback bool     // tell the caller to offer the customer a callback
}

// Share is a pool's part of a queue's work: in-house 70, vendor 30.
type Share struct {
	Pool   string // InHouse or a vendor id
	Weight int
}

// QueueSpec defines a queue. Step 0 is the base: Tiers (all when empty)
// and the pools of Split (in-house only when Split is empty).
type QueueSpec struct {
	ID          string
	Channel     string
	Skills      []SkillReq
	Tiers       []string
	InHouseOnly bool // safety, legal: never offered to a vendor agent, whatever the steps say
	Split       []Share
	Steps       []Step // overflow, in order of After
	Policy      Policy
}

// AgentSpec defines an agent: who they are and what they can take.
type AgentSpec struct {
	ID       string
	Tier     string
	Vendor   string         // "" for in-house
	Skills   map[string]int // skill → level (1–10)
	Capacity map[string]int // channel → items at once (chat 5, phone 1, email 10)
	WrapUp   map[string]time.Duration
}

// ItemSpec is work to route: usually a ticket waiting for an agent.
type ItemSpec struct {
	ID           string
	Queue        string
	Priority     string // kefu ticket priority
	CustomerTier string // tier code
	Emergency    bool   // top of the queue, in-house only
	InHouseOnly  bool
	SLADue       time.Time // zero when none
	Arrived      time.Time // zero means now; a re-queued item keeps its wait
}

// Target of a transfer: a queue (higher tier, experts, problem resolution)
// or one agent.
type Target struct {
	Queue string
	Agent string
}

// EventKind says what happened.
type EventKind uint8

const (
	EvOffered         EventKind = iota + 1 // Item offered to Agent; Decision says why
	EvAccepted                             // Agent took Item
	EvDeclined                             // Agent declined; Item is back in its queue
	EvOfferTimedOut                        // nobody answered; Item back in queue, Agent set away
	EvCompleted                            // Agent finished Item
	EvAbandoned                            // the customer left while waiting
	EvStep                                 // Item moved to overflow Step
	EvCallbackOffer                        // the step says: offer the customer a callback
	EvAgentState                           // Agent's presence changed
	EvTransferStarted                      // Item is on its way to Target; Agent still holds it
	EvTransferred                          // the target took Item from FromAgent
	EvPulledBack                           // nobody took the transfer in time; Agent keeps Item
	EvQueued                               // Item waits: no eligible agent is free
	EvWithdrawn                            // Agent stopped being available; their unanswered offer of Item went back
)

var eventNames = [...]string{"", "offered", "accepted", "declined", "offer_timed_out", "completed",
	"abandoned", "step", "callback_offer", "agent_state", "transfer_started", "transferred",
	"pulled_back", "queued", "withdrawn"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one thing the engine did. Slices of events returned by the
// engine are reused by the next call: copy what must be kept.
type Event struct {
	Kind      EventKind
	At        time.Time
	Item      string
	Queue     string
	Agent     string
	FromAgent string // EvTransferred: who held it before
	Step      int
	StepName  string
	State     State  // EvAgentState
	Reason    string // state reason, decline or transfer reason
	Decision  Decision
}

// Trigger is what set a decision off.
type Trigger uint8

const (
	OnArrival   Trigger = iota // the item arrived (or came back) and an agent was free
	OnAgentFree                // an agent freed capacity and this item was the best waiting
	OnStep                     // the item reached an overflow step and the wider ring had someone
	OnTransfer                 // a transfer went to its target
)

var triggerNames = [...]string{"arrival", "agent_free", "overflow_step", "transfer"}

func (t Trigger) String() string { return triggerNames[t] }

// Decision explains an offer: why this item now, why this agent.
type Decision struct {
	Trigger    Trigger
	Queue      string
	Step       int
	StepName   string
	Ring       int // the step at which the chosen agent qualifies (0 = full match)
	Pool       string
	PoolTarget float64 // the pool's share of the queue (0 when no split)
	PoolActual float64 // its share of offers so far, before this one
	Waited     time.Duration
	Emergency  time.Duration // credits that ranked the item
	Tier       time.Duration
	Priority   time.Duration
	SLARisk    time.Duration
	Selection  Selection
	SkillScore int
	Idle       time.Duration // how long the agent's load on the channel had not changed
	Load       int           // items on the channel before this offer
	Capacity   int
}
