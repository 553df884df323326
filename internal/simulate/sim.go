package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/kefu-project/kefu/internal/routing"
	"github.com/kefu-project/kefu/internal/timeq"
)

// Metrics are the service figures of a set of contacts. ServiceLevel is
// answered within the threshold ÷ (answered + abandoned after the
// short-abandon limit), the same variant the live queue view shows.
type Metrics struct {
	Offered        int     `json:"offered"`
	Answered       int     `json:"answered"`
	AnsweredWithin int     `json:"answered_within"`
	Abandoned      int     `json:"abandoned"`
	AbandonedShort int     `json:"abandoned_short"`
	ServiceLevel   float64 `json:"service_level"`
	ASASeconds     float64 `json:"asa_seconds"`
	AbandonRate    float64 `json:"abandon_rate"`
	waitSum        float64
}

func (m *Metrics) add(c *contact, threshold, short int64) {
	m.Offered++
	w := c.end - c.arrived
	if c.answered {
		m.Answered++
		m.waitSum += float64(w) / 1e9
		if w <= threshold {
			m.AnsweredWithin++
		}
		return
	}
	m.Abandoned++
	if w < short {
		m.AbandonedShort++
	}
}

func (m *Metrics) finish() {
	if d := m.Answered + m.Abandoned - m.AbandonedShort; d > 0 {
		m.ServiceLevel = float64(m.AnsweredWithin) / float64(d)
	}
	if m.Answered > 0 {
		m.ASASeconds = m.waitSum / float64(m.Answered)
	}
	if m.Offered > 0 {
		m.AbandonRate = float64(m.Abandoned) / float64(m.Offered)
	}
}

// Named is the metrics of one queue or customer tier.
type Named struct {
	Name string `json:"name"`
	Metrics
}

// Occupancy is the share of an agent group's slot time spent on contacts
// (a chat agent with capacity 5 has five slots) within the scenario's
// duration.
type Occupancy struct {
	Name      string  `json:"name"`
	Agents    int     `json:"agents"`
	Slots     int     `json:"slots"`
	Occupancy float64 `json:"occupancy"`
}

// Row is one line of the interval CSV.
type Row struct {
	Start     time.Time
	Scope     string // total, queue, tier, group
	Name      string
	Metrics   Metrics
	Occupancy float64
}

// Result is what a run reports.
type Result struct {
	Scenario      string      `json:"scenario"`
	Contacts      int         `json:"contacts"`
	Agents        int         `json:"agents"`
	SimulatedTime string      `json:"simulated_time"`
	WallSeconds   float64     `json:"wall_seconds"`
	Decisions     uint64      `json:"routing_decisions"`
	Callbacks     int         `json:"callback_offers"`
	SLFormula     string      `json:"service_level_formula"`
	Total         Metrics     `json:"total"`
	Queues        []Named     `json:"queues"`
	Tiers         []Named     `json:"customer_tiers"`
	Groups        []Occupancy `json:"occupancy"`
	Intervals     []Row       `json:"-"`
}

type contact struct {
	q        int32
	tier     int8
	answered bool
	done     bool
	arrived  int64
	start    int64 // answer time
	end      int64 // answer time for the queue figures; abandon time when not answered
	handle   int64
	group    int32
}

const (
	evArrive uint8 = iota
	evAbandon
	evComplete
)

// simEvent is what happens next: a queue's arrival, or a contact giving
// up or being done.
type simEvent struct {
	kind uint8
	ref  int32
}

type sim struct {
	sc       *Scenario
	e        *routing.Engine
	rng      *rand.Rand
	start    time.Time
	now      int64 // since start
	events   timeq.Queue[simEvent]
	contacts []contact
	buf      []routing.Event
	groupOf  map[string]int32
	busy     [][]float64 // [group][interval] slot-seconds
	nIntv    int
	intv     int64
	dur      int64
	rates    [][]float64 // [queue][interval] contacts per second
	qIndex   map[string]int32
	callback int
	last     int64 // when the last contact ended
}

// Run plays the scenario to the end (arrivals stop at Duration; the run
// goes on until every contact is answered and handled, or has given up).
func Run(sc Scenario) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	wall := time.Now()
	s := &sim{sc: &sc, e: routing.New(routing.Options{}), rng: rand.New(rand.NewPCG(sc.Seed, 0x6b656675)),
		start: sc.Start, groupOf: map[string]int32{}, qIndex: map[string]int32{},
		intv: int64(sc.Interval), dur: int64(sc.Duration)}
	if s.start.IsZero() {
		s.start = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	}
	s.nIntv = int(sc.Duration / sc.Interval)
	expected := 0
	for i, q := range sc.Queues {
		if _, err := s.e.SetQueue(s.start, q.spec()); err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.Queue.ID, err)
		}
		s.qIndex[q.Queue.ID] = int32(i)
		curve := q.Curve
		if len(curve) == 0 {
			curve = make([]float64, s.nIntv)
			for k := range curve {
				curve[k] = 1
			}
		}
		sum := 0.0
		for _, v := range curve {
			sum += v
		}
		rates := make([]float64, s.nIntv)
		for k, v := range curve {
			if sum > 0 {
				rates[k] = float64(q.Contacts) * v / sum / time.Duration(sc.Interval).Seconds()
			}
		}
		s.rates = append(s.rates, rates)
		expected += q.Contacts
	}
	s.contacts = make([]contact, 0, expected+expected/50+16)
	s.busy = make([][]float64, len(sc.Agents))
	agents := 0
	for g, grp := range sc.Agents {
		s.busy[g] = make([]float64, s.nIntv)
		for i := range grp.Count {
			id := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
			s.groupOf[id] = int32(g)
			if _, err := s.e.SetAgent(s.start, routing.AgentFrom(grp.profile(id))); err != nil {
				return nil, fmt.Errorf("agent group %s: %w", grp.Name, err)
			}
			if _, err := s.e.SetState(s.start, id, routing.Available, ""); err != nil {
				return nil, err
			}
			agents++
		}
	}
	for i := range sc.Queues {
		s.nextArrival(int32(i), 0)
	}
	s.loop()
	res := s.report()
	res.Agents = agents
	res.WallSeconds = time.Since(wall).Seconds()
	return res, nil
}

func (s *sim) at(t int64) time.Time { return s.start.Add(time.Duration(t)) }

func (s *sim) schedule(at int64, kind uint8, ref int32) {
	s.events.Push(at, simEvent{kind: kind, ref: ref})
}

// nextArrival draws the queue's next arrival after t from a Poisson process
// whose rate is constant within each interval (exact, by memorylessness:
// a draw that crosses an interval boundary restarts there).
func (s *sim) nextArrival(q int32, t int64) {
	for {
		k := int(t / s.intv)
		if k >= s.nIntv {
			return
		}
		end := int64(k+1) * s.intv
		rate := s.rates[q][k]
		if rate <= 0 {
			t = end
			continue
		}
		next := t + int64(s.rng.ExpFloat64()/rate*1e9)
		if next < end {
			s.schedule(next, evArrive, q)
			return
		}
		t = end
	}
}

func (s *sim) loop() {
	for {
		nt, hasTimer := s.e.NextTimer()
		next, _, hasEvent := s.events.Peek()
		if !hasEvent && !hasTimer {
			return
		}
		if hasTimer && (!hasEvent || nt.Sub(s.start) < time.Duration(next)) {
			s.now = int64(nt.Sub(s.start))
			s.handle(s.e.Advance(nt))
			continue
		}
		at, ev := s.events.Pop()
		s.now = at
		switch ev.kind {
		case evArrive:
			s.arrive(ev.ref)
			s.nextArrival(ev.ref, at)
		case evAbandon:
			c := &s.contacts[ev.ref]
			if c.answered || c.done {
				continue
			}
			c.done = true
			c.end = s.now
			s.last = s.now
			evs, err := s.e.Abandon(s.at(s.now), strconv.Itoa(int(ev.ref)))
			s.must(evs, err)
		case evComplete:
			c := &s.contacts[ev.ref]
			c.done = true
			s.last = s.now
			s.addBusy(c.group, c.start, s.now)
			evs, err := s.e.Complete(s.at(s.now), strconv.Itoa(int(ev.ref)))
			s.must(evs, err)
		}
	}
}

func (s *sim) must(evs []routing.Event, err error) {
	if err != nil {
		panic(fmt.Sprintf("simulate: the engine refused a valid step: %v", err))
	}
	s.handle(evs)
}

func (s *sim) arrive(q int32) {
	qs := &s.sc.Queues[q]
	idx := int32(len(s.contacts))
	c := contact{q: q, arrived: s.now, group: -1}
	if qs.Tier != "" {
		for i, t := range s.sc.Tiers {
			if t.Tier == qs.Tier {
				c.tier = int8(i)
			}
		}
	} else if len(s.sc.Tiers) > 0 {
		u := s.rng.Float64()
		c.tier = int8(len(s.sc.Tiers) - 1)
		for i, t := range s.sc.Tiers {
			if u < t.Share {
				c.tier = int8(i)
				break
			}
			u -= t.Share
		}
	}
	c.handle = s.handleTime(qs)
	s.contacts = append(s.contacts, c)
	spec := routing.ItemSpec{ID: strconv.Itoa(int(idx)), Queue: qs.Queue.ID,
		Emergency: qs.Emergency > 0 && s.rng.Float64() < qs.Emergency}
	if len(s.sc.Tiers) > 0 {
		spec.CustomerTier = s.sc.Tiers[c.tier].Tier
	}
	if qs.Tier != "" {
		spec.CustomerTier = qs.Tier
	}
	if qs.Patience > 0 {
		s.schedule(s.now+int64(s.rng.ExpFloat64()*float64(qs.Patience)), evAbandon, idx)
	}
	evs, err := s.e.Enqueue(s.at(s.now), spec)
	s.must(evs, err)
}

func (s *sim) handleTime(q *Queue) int64 {
	mean := float64(q.AHT)
	if q.HandleCV == 0 || q.HandleCV == 1 {
		return max(int64(s.rng.ExpFloat64()*mean), 1)
	}
	sigma2 := math.Log(1 + q.HandleCV*q.HandleCV)
	mu := math.Log(mean) - sigma2/2
	return max(int64(math.Exp(mu+math.Sqrt(sigma2)*s.rng.NormFloat64())), 1)
}

// handle answers every offer at once (simulated agents do not hesitate)
// and schedules the end of the work.
func (s *sim) handle(evs []routing.Event) {
	if len(evs) == 0 {
		return
	}
	// The engine reuses its slice on the next call: keep a copy.
	base := len(s.buf)
	s.buf = append(s.buf, evs...)
	for i := base; i < len(s.buf); i++ {
		ev := s.buf[i]
		switch ev.Kind {
		case routing.EvOffered:
			idx, _ := strconv.Atoi(ev.Item)
			c := &s.contacts[idx]
			c.answered = true
			c.start = s.now
			c.end = s.now
			c.group = s.groupOf[ev.Agent]
			s.schedule(s.now+c.handle, evComplete, int32(idx))
			more, err := s.e.Accept(s.at(s.now), ev.Item, ev.Agent)
			if err != nil {
				panic(fmt.Sprintf("simulate: accept: %v", err))
			}
			s.buf = append(s.buf, more...)
		case routing.EvCallbackOffer:
			s.callback++
		}
	}
	s.buf = s.buf[:base]
}

// addBusy spreads a contact's handling over the intervals it spans.
func (s *sim) addBusy(g int32, from, to int64) {
	for from < to && from < s.dur {
		k := from / s.intv
		end := min((k+1)*s.intv, to)
		s.busy[g][k] += float64(end-from) / 1e9
		from = end
	}
}

func (s *sim) report() *Result {
	sc := s.sc
	res := &Result{Scenario: sc.Name, Contacts: len(s.contacts), Decisions: s.e.Decisions(), Callbacks: s.callback,
		SLFormula: "answered within the queue's threshold / (answered + abandoned after 5 s)"}
	queues := make([]Metrics, len(sc.Queues))
	tiers := make([]Metrics, max(len(sc.Tiers), 1))
	type key struct{ k, q int }
	perQ := map[key]*Metrics{}
	perT := map[key]*Metrics{}
	total := make([]Metrics, s.nIntv+1)
	short := int64(5 * time.Second)
	thresholds := make([]int64, len(sc.Queues))
	for i, q := range sc.Queues {
		thresholds[i] = int64(q.threshold())
	}
	for i := range s.contacts {
		c := &s.contacts[i]
		th := thresholds[c.q]
		res.Total.add(c, th, short)
		queues[c.q].add(c, th, short)
		tiers[c.tier].add(c, th, short)
		k := min(int(c.arrived/s.intv), s.nIntv-1)
		total[k].add(c, th, short)
		for _, m := range []struct {
			mp map[key]*Metrics
			q  int
		}{{perQ, int(c.q)}, {perT, int(c.tier)}} {
			x := m.mp[key{k, m.q}]
			if x == nil {
				x = &Metrics{}
				m.mp[key{k, m.q}] = x
			}
			x.add(c, th, short)
		}
	}
	res.Total.finish()
	for i, q := range sc.Queues {
		queues[i].finish()
		res.Queues = append(res.Queues, Named{Name: q.Queue.ID, Metrics: queues[i]})
	}
	for i := range tiers {
		tiers[i].finish()
		name := "all"
		if len(sc.Tiers) > 0 {
			name = sc.Tiers[i].Tier
		}
		res.Tiers = append(res.Tiers, Named{Name: name, Metrics: tiers[i]})
	}
	secs := time.Duration(sc.Interval).Seconds()
	for g, grp := range sc.Agents {
		slots := 0
		for _, n := range grp.Capacity {
			slots += n
		}
		busy := 0.0
		for _, b := range s.busy[g] {
			busy += b
		}
		o := Occupancy{Name: grp.Name, Agents: grp.Count, Slots: slots * grp.Count}
		if o.Slots > 0 {
			o.Occupancy = busy / (float64(o.Slots) * secs * float64(s.nIntv))
		}
		res.Groups = append(res.Groups, o)
	}
	for k := range s.nIntv {
		start := s.start.Add(time.Duration(int64(k) * s.intv))
		total[k].finish()
		res.Intervals = append(res.Intervals, Row{Start: start, Scope: "total", Name: "all", Metrics: total[k]})
		for i, q := range sc.Queues {
			if m := perQ[key{k, i}]; m != nil {
				m.finish()
				res.Intervals = append(res.Intervals, Row{Start: start, Scope: "queue", Name: q.Queue.ID, Metrics: *m})
			}
		}
		for i := range tiers {
			if m := perT[key{k, i}]; m != nil {
				m.finish()
				res.Intervals = append(res.Intervals, Row{Start: start, Scope: "tier", Name: res.Tiers[i].Name, Metrics: *m})
			}
		}
		for g, grp := range sc.Agents {
			o := 0.0
			if slots := res.Groups[g].Slots; slots > 0 {
				o = s.busy[g][k] / (float64(slots) * secs)
			}
			res.Intervals = append(res.Intervals, Row{Start: start, Scope: "group", Name: grp.Name, Occupancy: o})
		}
	}
	res.SimulatedTime = time.Duration(s.last).Round(time.Second).String()
	return res
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
