// Package simulate replays a peak against the real routing engine on a
// virtual clock: Poisson arrivals from a volume curve, handle times from a
// distribution, customers who give up, in-house and vendor agents.
package simulate

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/routing"
)

// Scenario is everything a run needs; it reads from JSON.
type Scenario struct {
	Name     string       `json:"name"`
	Start    time.Time    `json:"start"`
	Duration Duration     `json:"duration"` // arrivals stop here; the queues then drain
	Interval Duration     `json:"interval"` // the CSV's interval
	Seed     uint64       `json:"seed"`
	Tiers    []TierShare  `json:"customer_tiers"`
	Queues   []Queue      `json:"queues"`
	Agents   []AgentGroup `json:"agents"`
}

// TierShare is the share of contacts from a customer tier.
type TierShare struct {
	Tier  string  `json:"tier"`
	Share float64 `json:"share"`
}

// Queue is a routing queue with its traffic. The queue and its routing
// data are what a tenant configures (kefu.Queue, kefu.QueueRouting), turned
// into the engine's terms by the same code as live routing.
type Queue struct {
	Queue     kefu.Queue        `json:"queue"`
	Routing   kefu.QueueRouting `json:"routing"`
	Contacts  int               `json:"contacts"`  // over the whole duration
	Curve     []float64         `json:"curve"`     // relative volume per interval; flat when empty
	AHT       Duration          `json:"aht"`       // mean handle time
	HandleCV  float64           `json:"handle_cv"` // 1 = exponential; otherwise lognormal with this coefficient of variation
	Patience  Duration          `json:"patience"`  // mean (exponential); 0 = nobody gives up
	Emergency float64           `json:"emergency"` // share of contacts that are emergencies
	Tier      string            `json:"tier"`      // every contact is of this customer tier (else drawn from the shares)
}

// AgentGroup is Count agents alike.
type AgentGroup struct {
	Name     string         `json:"name"`
	Count    int            `json:"count"`
	Tier     string         `json:"tier"`
	Vendor   string         `json:"vendor,omitempty"`
	Skills   map[string]int `json:"skills"`
	Capacity map[string]int `json:"capacity"`
	WrapUp   map[string]int `json:"wrap_up_seconds,omitempty"`
}

// profile is the group's routing profile, as an agent's would be stored.
func (g AgentGroup) profile(id string) kefu.AgentProfile {
	return kefu.AgentProfile{UserID: id, Tier: kefu.Tier(g.Tier), VendorID: g.Vendor, Skills: g.Skills, Capacity: g.Capacity, WrapUpSeconds: g.WrapUp}
}

// Duration reads "90s" or a number of seconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("a duration is \"90s\" or a number of seconds")
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// spec is the queue in the engine's terms.
func (q Queue) spec() routing.QueueSpec {
	spec := routing.QueueFrom(q.Queue, q.Routing)
	spec.Policy.OfferTimeout = 0 // simulated agents answer every offer
	return spec
}

// threshold is the queue's service-level threshold.
func (q Queue) threshold() time.Duration { return q.spec().Policy.ServiceLevel }

// levels lists skills with their minimum levels, in a stable order.
func levels(m map[string]int) []kefu.SkillLevel {
	var out []kefu.SkillLevel
	for _, name := range sortedKeys(m) {
		out = append(out, kefu.SkillLevel{Skill: name, MinLevel: m[name]})
	}
	return out
}

// shares lists pool weights ("in_house" or a vendor), in a stable order.
func shares(m map[string]int) []kefu.PoolShare {
	var out []kefu.PoolShare
	for _, name := range sortedKeys(m) {
		out = append(out, kefu.PoolShare{Pool: name, Weight: m[name]})
	}
	return out
}

func tiers(ts ...string) []kefu.Tier {
	out := make([]kefu.Tier, len(ts))
	for i, t := range ts {
		out[i] = kefu.Tier(t)
	}
	return out
}

// Validate names the first thing wrong with the scenario.
func (s *Scenario) Validate() error {
	if s.Duration <= 0 || s.Interval <= 0 || s.Duration%s.Interval != 0 {
		return fmt.Errorf("duration must be a positive multiple of interval")
	}
	n := int(s.Duration / s.Interval)
	if len(s.Queues) == 0 || len(s.Agents) == 0 {
		return fmt.Errorf("a scenario needs queues and agents")
	}
	sum := 0.0
	for _, t := range s.Tiers {
		if t.Share < 0 {
			return fmt.Errorf("tier %s: negative share", t.Tier)
		}
		sum += t.Share
	}
	if len(s.Tiers) > 0 && math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("customer tier shares add up to %g, not 1", sum)
	}
	for _, q := range s.Queues {
		if q.Contacts < 0 || q.AHT <= 0 {
			return fmt.Errorf("queue %s: contacts ≥ 0 and aht > 0", q.Queue.ID)
		}
		if len(q.Curve) != 0 && len(q.Curve) != n {
			return fmt.Errorf("queue %s: curve has %d values for %d intervals", q.Queue.ID, len(q.Curve), n)
		}
		for _, v := range q.Curve {
			if v < 0 {
				return fmt.Errorf("queue %s: negative volume in curve", q.Queue.ID)
			}
		}
		if q.Tier != "" && !slices.ContainsFunc(s.Tiers, func(t TierShare) bool { return t.Tier == q.Tier }) {
			return fmt.Errorf("queue %s: tier %s is not among customer_tiers", q.Queue.ID, q.Tier)
		}
		if q.HandleCV < 0 || q.Emergency < 0 || q.Emergency > 1 {
			return fmt.Errorf("queue %s: handle_cv ≥ 0 and emergency in [0, 1]", q.Queue.ID)
		}
	}
	for _, g := range s.Agents {
		if g.Count < 0 {
			return fmt.Errorf("agent group %s: negative count", g.Name)
		}
	}
	return nil
}

// Double11 is the default scenario: the first hour of Double 11 at an
// outsourced center serving a marketplace, its payments arm and its
// logistics, with 4,000 agents (in-house and two vendors) and about a
// million contacts, mostly chats handled five at a time.
func Double11() Scenario {
	m := func(d time.Duration) Duration { return Duration(d) }
	curve := []float64{1.3, 1.05, 0.9, 0.75} // the midnight rush, then a slow decay
	chatSteps := []kefu.OverflowStep{
		{Name: "relax levels", AfterSeconds: 10, LowerLevels: 2},
		{Name: "experts", AfterSeconds: 20, AddTiers: tiers("expert")},
		{Name: "overflow vendor", AfterSeconds: 30, AddPools: []string{"apex"}},
		{Name: "callback", AfterSeconds: 90, OfferCallback: true},
	}
	chat := func(id string, contacts int, aht time.Duration, skills map[string]int, split map[string]int) Queue {
		return Queue{Queue: kefu.Queue{ID: id, Channel: "chat"},
			Routing: kefu.QueueRouting{Skills: levels(skills), Split: shares(split), Steps: chatSteps,
				Tiers: tiers("junior", "intermediate", "senior"), ServiceLevelSeconds: 30,
				TierCredit: map[string]int{"KA": 90, "VIP": 30}},
			Contacts: contacts, Curve: curve, AHT: m(aht), HandleCV: 0.8, Patience: m(150 * time.Second)}
	}
	return Scenario{
		Name:     "double11-first-hour",
		Start:    time.Date(2026, 11, 11, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		Duration: m(time.Hour),
		Interval: m(15 * time.Minute),
		Seed:     1111,
		Tiers:    []TierShare{{"KA", 0.03}, {"VIP", 0.12}, {"standard", 0.85}},
		Queues: []Queue{
			chat("mall-presale", 380000, 46*time.Second, map[string]int{"mall": 2, "zh": 3},
				map[string]int{"in_house": 55, "vista": 45}),
			chat("mall-aftersale", 300000, 60*time.Second, map[string]int{"mall": 3, "zh": 3},
				map[string]int{"in_house": 65, "vista": 35}),
			chat("mall-refund", 115000, 76*time.Second, map[string]int{"refunds": 3, "zh": 3}, nil),
			chat("mall-en", 20000, 68*time.Second, map[string]int{"mall": 2, "en": 3}, nil),
			chat("pay", 60000, 52*time.Second, map[string]int{"pay": 3, "zh": 3}, nil),
			chat("logistics", 95000, 48*time.Second, map[string]int{"logistics": 2, "zh": 3},
				map[string]int{"in_house": 50, "vista": 50}),
			{Queue: kefu.Queue{ID: "complaint-desk", Channel: "chat", InHouseOnly: true},
				Routing:  kefu.QueueRouting{Skills: levels(map[string]int{"complaint": 3, "zh": 3}), Tiers: tiers("senior", "expert"), ServiceLevelSeconds: 60},
				Contacts: 4000, Curve: curve, AHT: m(3 * time.Minute), HandleCV: 0.6, Patience: m(10 * time.Minute)},
			{Queue: kefu.Queue{ID: "safety", Channel: "chat", InHouseOnly: true},
				Routing:  kefu.QueueRouting{Skills: levels(map[string]int{"safety": 3}), ServiceLevelSeconds: 10},
				Contacts: 200, Curve: curve, AHT: m(5 * time.Minute), HandleCV: 0.5, Emergency: 1},
			{Queue: kefu.Queue{ID: "hotline", Channel: "phone"},
				Routing: kefu.QueueRouting{Skills: levels(map[string]int{"zh": 3, "voice": 2}),
					Split: shares(map[string]int{"in_house": 75, "vista": 25}), ServiceLevelSeconds: 20,
					Steps: []kefu.OverflowStep{{Name: "any voice agent", AfterSeconds: 45, LowerLevels: 1},
						{Name: "callback", AfterSeconds: 120, OfferCallback: true}}},
				Contacts: 4500, Curve: curve, AHT: m(170 * time.Second), HandleCV: 1, Patience: m(100 * time.Second)},
			{Queue: kefu.Queue{ID: "ka-line", Channel: "phone", InHouseOnly: true},
				Routing: kefu.QueueRouting{Skills: levels(map[string]int{"zh": 3, "voice": 3, "ka": 1}), Tiers: tiers("senior", "expert"), ServiceLevelSeconds: 10},
				Tier:    "KA", Contacts: 900, Curve: curve, AHT: m(4 * time.Minute), HandleCV: 1, Patience: m(3 * time.Minute)},
		},
		Agents: []AgentGroup{
			{Name: "mall generalists", Count: 921, Tier: "intermediate", Skills: map[string]int{"mall": 4, "zh": 5, "logistics": 3},
				Capacity: map[string]int{"chat": 5}},
			{Name: "mall juniors", Count: 450, Tier: "junior", Skills: map[string]int{"mall": 2, "zh": 5, "logistics": 2},
				Capacity: map[string]int{"chat": 4}},
			{Name: "refund and pay", Count: 760, Tier: "senior", Skills: map[string]int{"refunds": 4, "pay": 4, "zh": 5, "mall": 3},
				Capacity: map[string]int{"chat": 5}},
			{Name: "english desk", Count: 85, Tier: "intermediate", Skills: map[string]int{"en": 5, "mall": 3, "zh": 3},
				Capacity: map[string]int{"chat": 5}},
			{Name: "complaint desk", Count: 75, Tier: "senior", Skills: map[string]int{"complaint": 4, "zh": 5, "mall": 3},
				Capacity: map[string]int{"chat": 3}},
			{Name: "experts", Count: 40, Tier: "expert", Skills: map[string]int{"mall": 5, "refunds": 5, "pay": 5, "zh": 5, "complaint": 5, "en": 3},
				Capacity: map[string]int{"chat": 4}},
			{Name: "safety team", Count: 24, Tier: "expert", Skills: map[string]int{"safety": 5, "zh": 5, "en": 3},
				Capacity: map[string]int{"chat": 2}},
			{Name: "vista chat", Count: 1000, Tier: "intermediate", Vendor: "vista", Skills: map[string]int{"mall": 3, "zh": 5, "logistics": 3},
				Capacity: map[string]int{"chat": 5}},
			{Name: "apex overflow", Count: 320, Tier: "junior", Vendor: "apex", Skills: map[string]int{"mall": 2, "zh": 4, "logistics": 2, "refunds": 2},
				Capacity: map[string]int{"chat": 4}},
			{Name: "in-house voice", Count: 70, Tier: "intermediate", Skills: map[string]int{"zh": 5, "voice": 3},
				Capacity: map[string]int{"phone": 1}, WrapUp: map[string]int{"phone": 15}},
			{Name: "ka voice", Count: 105, Tier: "senior", Skills: map[string]int{"zh": 5, "voice": 4, "ka": 3},
				Capacity: map[string]int{"phone": 1}, WrapUp: map[string]int{"phone": 20}},
			{Name: "vista voice", Count: 150, Tier: "intermediate", Vendor: "vista", Skills: map[string]int{"zh": 5, "voice": 2},
				Capacity: map[string]int{"phone": 1}, WrapUp: map[string]int{"phone": 15}},
		},
	}
}
