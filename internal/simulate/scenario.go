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

// Queue is a routing queue with its traffic.
type Queue struct {
	Spec      QueueSpec `json:"spec"`
	Contacts  int       `json:"contacts"`  // over the whole duration
	Curve     []float64 `json:"curve"`     // relative volume per interval; flat when empty
	AHT       Duration  `json:"aht"`       // mean handle time
	HandleCV  float64   `json:"handle_cv"` // 1 = exponential; otherwise lognormal with this coefficient of variation
	Patience  Duration  `json:"patience"`  // mean (exponential); 0 = nobody gives up
	Emergency float64   `json:"emergency"` // share of contacts that are emergencies
	Tier      string    `json:"tier"`      // every contact is of this customer tier (else drawn from the shares)
}

// QueueSpec is routing.QueueSpec in JSON.
type QueueSpec struct {
	ID          string              `json:"id"`
	Channel     string              `json:"channel"`
	Skills      map[string]int      `json:"skills"`
	Tiers       []string            `json:"tiers,omitempty"`
	InHouseOnly bool                `json:"in_house_only,omitempty"`
	Split       map[string]int      `json:"split,omitempty"` // pool ("in_house" or vendor) → weight
	Steps       []Step              `json:"steps,omitempty"`
	Selection   string              `json:"selection,omitempty"`
	SL          Duration            `json:"service_level_seconds,omitempty"`
	TierCredit  map[string]Duration `json:"tier_credit,omitempty"`
}

// Step is routing.Step in JSON.
type Step struct {
	Name          string   `json:"name"`
	After         Duration `json:"after"`
	AddTiers      []string `json:"add_tiers,omitempty"`
	RelaxSkills   []string `json:"relax_skills,omitempty"`
	LowerLevels   int      `json:"lower_levels,omitempty"`
	AddPools      []string `json:"add_pools,omitempty"`
	OfferCallback bool     `json:"offer_callback,omitempty"`
}

// AgentGroup is Count agents alike.
type AgentGroup struct {
	Name     string              `json:"name"`
	Count    int                 `json:"count"`
	Tier     string              `json:"tier"`
	Vendor   string              `json:"vendor,omitempty"`
	Skills   map[string]int      `json:"skills"`
	Capacity map[string]int      `json:"capacity"`
	WrapUp   map[string]Duration `json:"wrap_up,omitempty"`
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

func pool(name string) string {
	if name == "in_house" {
		return routing.InHouse
	}
	return name
}

func (q QueueSpec) routing() routing.QueueSpec {
	spec := routing.QueueSpec{ID: q.ID, Channel: q.Channel, Tiers: q.Tiers, InHouseOnly: q.InHouseOnly,
		Policy: routing.DefaultPolicy()}
	spec.Policy.OfferTimeout = 0 // simulated agents answer every offer
	if s, ok := routing.ParseSelection(q.Selection); ok {
		spec.Policy.Selection = s
	}
	if q.SL > 0 {
		spec.Policy.ServiceLevel = time.Duration(q.SL)
	}
	for k, v := range q.TierCredit {
		spec.Policy.TierCredit[k] = time.Duration(v)
	}
	for _, name := range sortedKeys(q.Skills) {
		spec.Skills = append(spec.Skills, routing.SkillReq{Skill: name, MinLevel: q.Skills[name]})
	}
	for _, name := range sortedKeys(q.Split) {
		spec.Split = append(spec.Split, routing.Share{Pool: pool(name), Weight: q.Split[name]})
	}
	for _, s := range q.Steps {
		st := routing.Step{Name: s.Name, After: time.Duration(s.After), AddTiers: s.AddTiers, RelaxSkills: s.RelaxSkills,
			LowerLevels: s.LowerLevels, OfferCallback: s.OfferCallback}
		for _, p := range s.AddPools {
			st.AddPools = append(st.AddPools, pool(p))
		}
		spec.Steps = append(spec.Steps, st)
	}
	return spec
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
			return fmt.Errorf("queue %s: contacts ≥ 0 and aht > 0", q.Spec.ID)
		}
		if len(q.Curve) != 0 && len(q.Curve) != n {
			return fmt.Errorf("queue %s: curve has %d values for %d intervals", q.Spec.ID, len(q.Curve), n)
		}
		for _, v := range q.Curve {
			if v < 0 {
				return fmt.Errorf("queue %s: negative volume in curve", q.Spec.ID)
			}
		}
		if q.Tier != "" && !slices.ContainsFunc(s.Tiers, func(t TierShare) bool { return t.Tier == q.Tier }) {
			return fmt.Errorf("queue %s: tier %s is not among customer_tiers", q.Spec.ID, q.Tier)
		}
		if q.HandleCV < 0 || q.Emergency < 0 || q.Emergency > 1 {
			return fmt.Errorf("queue %s: handle_cv ≥ 0 and emergency in [0, 1]", q.Spec.ID)
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
	chatSteps := []Step{
		{Name: "relax levels", After: m(10 * time.Second), LowerLevels: 2},
		{Name: "experts", After: m(20 * time.Second), AddTiers: []string{"expert"}},
		{Name: "overflow vendor", After: m(30 * time.Second), AddPools: []string{"apex"}},
		{Name: "callback", After: m(90 * time.Second), OfferCallback: true},
	}
	chat := func(id string, contacts int, aht time.Duration, skills map[string]int, split map[string]int) Queue {
		return Queue{Spec: QueueSpec{ID: id, Channel: "chat", Skills: skills, Split: split, Steps: chatSteps,
			Tiers: []string{"junior", "intermediate", "senior"}, SL: m(30 * time.Second),
			TierCredit: map[string]Duration{"KA": m(90 * time.Second), "VIP": m(30 * time.Second)}},
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
			{Spec: QueueSpec{ID: "complaint-desk", Channel: "chat", Skills: map[string]int{"complaint": 3, "zh": 3},
				Tiers: []string{"senior", "expert"}, InHouseOnly: true, SL: m(60 * time.Second)},
				Contacts: 4000, Curve: curve, AHT: m(3 * time.Minute), HandleCV: 0.6, Patience: m(10 * time.Minute)},
			{Spec: QueueSpec{ID: "safety", Channel: "chat", Skills: map[string]int{"safety": 3},
				InHouseOnly: true, SL: m(10 * time.Second)},
				Contacts: 200, Curve: curve, AHT: m(5 * time.Minute), HandleCV: 0.5, Emergency: 1},
			{Spec: QueueSpec{ID: "hotline", Channel: "phone", Skills: map[string]int{"zh": 3, "voice": 2},
				Split: map[string]int{"in_house": 75, "vista": 25}, SL: m(20 * time.Second),
				Steps: []Step{{Name: "any voice agent", After: m(45 * time.Second), LowerLevels: 1},
					{Name: "callback", After: m(120 * time.Second), OfferCallback: true}}},
				Contacts: 4500, Curve: curve, AHT: m(170 * time.Second), HandleCV: 1, Patience: m(100 * time.Second)},
			{Spec: QueueSpec{ID: "ka-line", Channel: "phone", Skills: map[string]int{"zh": 3, "voice": 3, "ka": 1},
				Tiers: []string{"senior", "expert"}, InHouseOnly: true, SL: m(10 * time.Second)},
				Tier: "KA", Contacts: 900, Curve: curve, AHT: m(4 * time.Minute), HandleCV: 1, Patience: m(3 * time.Minute)},
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
				Capacity: map[string]int{"phone": 1}, WrapUp: map[string]Duration{"phone": m(15 * time.Second)}},
			{Name: "ka voice", Count: 105, Tier: "senior", Skills: map[string]int{"zh": 5, "voice": 4, "ka": 3},
				Capacity: map[string]int{"phone": 1}, WrapUp: map[string]Duration{"phone": m(20 * time.Second)}},
			{Name: "vista voice", Count: 150, Tier: "intermediate", Vendor: "vista", Skills: map[string]int{"zh": 5, "voice": 2},
				Capacity: map[string]int{"phone": 1}, WrapUp: map[string]Duration{"phone": m(15 * time.Second)}},
		},
	}
}
