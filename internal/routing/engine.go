package routing

import (
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/timeq"
)

// maxChannels bounds the channels one engine knows (chat, phone, email…).
const maxChannels = 8

// Options configure an engine.
type Options struct {
	// ExclusiveChannels are channels an agent works alone: while on one,
	// nothing else is offered, and it is offered only to an agent with
	// nothing else. Default: phone.
	ExclusiveChannels []string
}

// Engine is one tenant's routing state. See the package comment.
type Engine struct {
	skills    map[string]int
	chans     map[string]int
	chanNames []string
	exclusive [maxChannels]bool

	queues map[string]*queue
	agents map[string]*agent
	alist  []*agent
	items  map[string]*item

	timers timeq.Queue[timer]
	seq    uint64
	now    int64
	out    []Event

	decisions uint64
}

type queue struct {
	id      string
	spec    QueueSpec
	ch      int
	req     []skillReq
	steps   []cstep
	pools   []pool
	weights int // sum of pool weights
	offers  int64
	waiting [][2]itemHeap // [step][0: open to vendors, 1: in-house only]
	nwait   int
	rings   [][]agentHeap // [pool][ring]
	members []*member
	active  int // items waiting, offered or held in this queue

	emergency, slaWindow, slaCredit, offerTimeout, slThreshold, shortAbandon int64
	tierCredit, prioCredit                                                   map[string]int64

	stats counters
}

type skillReq struct {
	skill, level int
}

type cstep struct {
	name     string
	after    int64
	tiers    uint8  // bit per tier rank
	relaxed  uint64 // bit per index into queue.req
	lower    int
	pools    uint64 // bit per index into queue.pools
	callback bool
}

type pool struct {
	id     string
	weight int
	offers int64
}

type agent struct {
	idx    int
	id     string
	tier   int
	vendor string
	skills map[int]int
	cap    [maxChannels]int32
	load   [maxChannels]int32
	since  [maxChannels]int64
	wrap   [maxChannels]int64
	free   [maxChannels]bool

	state   State
	reason  string
	stateAt int64
	wrapGen uint32

	members []*member
	byCh    [maxChannels][]*member
	direct  itemHeap // transfers addressed to this agent, waiting for them
	pending []*item  // offers not yet answered
	held    int      // items offered to or held by this agent
}

type itemState uint8

const (
	waiting itemState = iota
	offered
	assigned
)

type item struct {
	id       string
	q        *queue
	seq      uint64
	arrived  int64 // the customer's wait counts from here
	queuedAt int64 // overflow steps count from here
	key      int64
	emerg    int64
	tierC    int64
	prioC    int64
	slaC     int64
	slaDue   int64
	emergent bool
	tierCode string
	priority string
	inHouse  bool
	step     int
	st       itemState
	answered bool

	heap *itemHeap
	pos  int

	agent    *agent // holder once accepted
	offer    *agent // pending offer
	declined []*agent
	xfer     *transfer

	gStep, gOffer, gSLA, gXfer uint32
}

type transfer struct {
	from       *agent
	origin     *queue
	originStep int
	target     *agent // direct transfer to one agent
	reason     string
}

// New returns an empty engine.
func New(opts Options) *Engine {
	e := &Engine{
		skills: map[string]int{},
		chans:  map[string]int{},
		queues: map[string]*queue{},
		agents: map[string]*agent{},
		items:  map[string]*item{},
	}
	ex := opts.ExclusiveChannels
	if ex == nil {
		ex = []string{"phone"}
	}
	for _, c := range ex {
		if i, err := e.channel(c); err == nil {
			e.exclusive[i] = true
		}
	}
	return e
}

func (e *Engine) channel(name string) (int, error) {
	if i, ok := e.chans[name]; ok {
		return i, nil
	}
	if name == "" {
		return 0, kefu.FieldError("channel", "required")
	}
	if len(e.chanNames) == maxChannels {
		return 0, kefu.FieldError("channel", "too many channels")
	}
	i := len(e.chanNames)
	e.chans[name] = i
	e.chanNames = append(e.chanNames, name)
	return i, nil
}

func (e *Engine) skill(name string) int {
	if i, ok := e.skills[name]; ok {
		return i
	}
	i := len(e.skills)
	e.skills[name] = i
	return i
}

func (e *Engine) emit(ev Event) {
	ev.At = time.Unix(0, e.now).UTC()
	e.out = append(e.out, ev)
}

func (e *Engine) begin(now time.Time) {
	e.out = e.out[:0]
	if n := now.UnixNano(); n > e.now {
		e.now = n
	}
}

func (e *Engine) timer(at int64, t timer) { e.timers.Push(at, t) }

// Decisions counts offers made since the engine started.
func (e *Engine) Decisions() uint64 { return e.decisions }

// ---- queues ----

// SetQueue adds a queue or replaces its definition. Items waiting in it
// keep their place and wait; agents' rings are recomputed.
func (e *Engine) SetQueue(now time.Time, spec QueueSpec) ([]Event, error) {
	e.begin(now)
	if spec.ID == "" {
		return nil, kefu.FieldError("id", "required")
	}
	old := e.queues[spec.ID]
	if old != nil && old.spec.Channel != spec.Channel && old.active > 0 {
		return nil, kefu.Conflict("queue_busy", "a queue's channel cannot change while it has items")
	}
	q, err := e.compileQueue(spec)
	if err != nil {
		return nil, err
	}
	var moving []*item
	if old != nil {
		q.stats = old.stats
		q.active = old.active
		for _, byStep := range old.waiting {
			for k := range byStep {
				for _, it := range byStep[k].xs {
					moving = append(moving, it)
				}
			}
		}
		for _, it := range moving {
			it.heap.remove(it)
		}
		for len(old.members) > 0 {
			m := old.members[len(old.members)-1]
			m.a.dropMember(m)
		}
		for _, it := range e.items {
			if it.xfer != nil && it.xfer.origin == old {
				it.xfer.origin = q
				it.xfer.originStep = min(it.xfer.originStep, len(q.steps)-1)
			}
			if it.q != old {
				continue
			}
			it.q = q
			it.step = min(it.step, len(q.steps)-1)
			if it.agent == nil || it.xfer != nil {
				e.credit(it)
				e.arm(it)
				e.rekey(it)
			}
		}
	}
	e.queues[spec.ID] = q
	for _, a := range e.alist {
		e.join(a, q)
	}
	for _, it := range moving {
		e.park(it)
	}
	for _, it := range moving {
		if it.st == waiting && it.heap != nil {
			e.matchItem(it, OnArrival)
		}
	}
	for _, a := range e.alist {
		e.agentTake(a)
	}
	return e.out, nil
}

// tierKey is how a customer tier code is matched against a policy's tier
// credits: without regard to case, since a tenant's codes are ka and vip
// while people (and the default policy) write KA and VIP.
func tierKey(code string) string { return strings.ToLower(code) }

// credit sets the item's priority credits from its queue's policy.
func (e *Engine) credit(it *item) {
	q := it.q
	it.emerg = 0
	if it.emergent {
		it.emerg = q.emergency
	}
	it.tierC = q.tierCredit[it.tierCode]
	it.prioC = q.prioCredit[it.priority]
}

func (e *Engine) compileQueue(spec QueueSpec) (*queue, error) {
	ch, err := e.channel(spec.Channel)
	if err != nil {
		return nil, err
	}
	p := spec.Policy
	q := &queue{id: spec.ID, spec: spec, ch: ch,
		emergency: int64(p.EmergencyCredit), slaWindow: int64(p.SLARiskWindow), slaCredit: int64(p.SLARiskCredit),
		offerTimeout: int64(p.OfferTimeout), slThreshold: int64(p.ServiceLevel), shortAbandon: int64(p.ShortAbandon),
		tierCredit: map[string]int64{}, prioCredit: map[string]int64{}}
	if q.emergency == 0 {
		q.emergency = int64(24 * time.Hour)
	}
	if q.slThreshold == 0 {
		q.slThreshold = int64(20 * time.Second)
	}
	if q.shortAbandon == 0 {
		q.shortAbandon = int64(5 * time.Second)
	}
	if p.OfferTimeout < 0 || p.SLARiskWindow < 0 {
		return nil, kefu.FieldError("policy", "durations cannot be negative")
	}
	for k, v := range p.TierCredit {
		q.tierCredit[tierKey(k)] = int64(v)
	}
	for k, v := range p.PriorityCredit {
		q.prioCredit[k] = int64(v)
	}
	seen := map[int]bool{}
	for i, r := range spec.Skills {
		if r.Skill == "" {
			return nil, kefu.FieldError("skills", "a skill needs a name")
		}
		if r.MinLevel < 0 || r.MinLevel > 10 {
			return nil, kefu.FieldError("skills", "levels run from 1 to 10")
		}
		lvl := max(r.MinLevel, 1)
		s := e.skill(r.Skill)
		if seen[s] {
			return nil, kefu.FieldError("skills", "skill "+r.Skill+" is listed twice")
		}
		seen[s] = true
		if i >= 64 {
			return nil, kefu.FieldError("skills", "at most 64 skills per queue")
		}
		q.req = append(q.req, skillReq{skill: s, level: lvl})
	}
	q.pools = []pool{{id: InHouse}}
	poolIdx := func(id string) int {
		for i := range q.pools {
			if q.pools[i].id == id {
				return i
			}
		}
		q.pools = append(q.pools, pool{id: id})
		return len(q.pools) - 1
	}
	var base cstep
	base.name = "base"
	if len(spec.Tiers) == 0 {
		base.tiers = 0xff
	}
	for _, t := range spec.Tiers {
		r := tierRank(t)
		if r < 0 {
			return nil, kefu.FieldError("tiers", "unknown tier "+t)
		}
		base.tiers |= 1 << r
	}
	if len(spec.Split) == 0 {
		base.pools = 1
	}
	for _, s := range spec.Split {
		if s.Weight < 0 {
			return nil, kefu.FieldError("split", "a share cannot be negative")
		}
		if spec.InHouseOnly && s.Pool != InHouse {
			return nil, kefu.FieldError("split", "an in-house-only queue cannot give work to a vendor")
		}
		i := poolIdx(s.Pool)
		if q.pools[i].weight != 0 {
			return nil, kefu.FieldError("split", "pool "+s.Pool+" is listed twice")
		}
		q.pools[i].weight = s.Weight
		q.weights += s.Weight
		base.pools |= 1 << i
	}
	if len(spec.Split) > 0 && q.weights == 0 {
		return nil, kefu.FieldError("split", "at least one share must be above zero")
	}
	q.steps = []cstep{base}
	prev := int64(0)
	for _, st := range spec.Steps {
		c := q.steps[len(q.steps)-1]
		c.name = st.Name
		c.callback = st.OfferCallback
		c.after = int64(st.After)
		if c.name == "" {
			c.name = "step"
		}
		if c.after <= prev {
			return nil, kefu.FieldError("steps", "each step must come later than the one before")
		}
		prev = c.after
		for _, t := range st.AddTiers {
			r := tierRank(t)
			if r < 0 {
				return nil, kefu.FieldError("steps", "unknown tier "+t)
			}
			c.tiers |= 1 << r
		}
		for _, name := range st.RelaxSkills {
			found := false
			for i, r := range q.req {
				if s, ok := e.skills[name]; ok && r.skill == s {
					c.relaxed |= 1 << i
					found = true
				}
			}
			if !found {
				return nil, kefu.FieldError("steps", "relaxes skill "+name+" the queue does not require")
			}
		}
		if st.LowerLevels < 0 {
			return nil, kefu.FieldError("steps", "lower_levels cannot be negative")
		}
		c.lower += st.LowerLevels
		for _, pid := range st.AddPools {
			if spec.InHouseOnly && pid != InHouse {
				return nil, kefu.FieldError("steps", "an in-house-only queue cannot overflow to a vendor")
			}
			c.pools |= 1 << poolIdx(pid)
		}
		q.steps = append(q.steps, c)
	}
	if len(q.pools) > 64 || len(q.steps) > 16 {
		return nil, kefu.FieldError("steps", "too many steps or pools")
	}
	q.waiting = make([][2]itemHeap, len(q.steps))
	q.rings = make([][]agentHeap, len(q.pools))
	for i := range q.rings {
		q.rings[i] = make([]agentHeap, len(q.steps))
		for j := range q.rings[i] {
			q.rings[i][j] = agentHeap{mode: p.Selection, ch: ch}
		}
	}
	return q, nil
}

// SetSplit changes a queue's shares at run time (a gradual handover to or
// from a vendor); the share counters start again from zero.
func (e *Engine) SetSplit(now time.Time, queueID string, split []Share) ([]Event, error) {
	q := e.queues[queueID]
	if q == nil {
		return nil, kefu.NotFound("queue")
	}
	spec := q.spec
	spec.Split = split
	return e.SetQueue(now, spec)
}

// RemoveQueue drops an empty queue.
func (e *Engine) RemoveQueue(id string) error {
	q := e.queues[id]
	if q == nil {
		return kefu.NotFound("queue")
	}
	if q.active > 0 {
		return kefu.Conflict("queue_busy", "the queue still has items")
	}
	for len(q.members) > 0 {
		m := q.members[len(q.members)-1]
		m.a.dropMember(m)
	}
	delete(e.queues, id)
	return nil
}

// ---- agents ----

// SetAgent adds an agent (offline) or replaces their tier, vendor, skills,
// capacity and wrap-up; presence and work in hand are kept.
func (e *Engine) SetAgent(now time.Time, spec AgentSpec) ([]Event, error) {
	e.begin(now)
	if spec.ID == "" {
		return nil, kefu.FieldError("id", "required")
	}
	tier := tierRank(spec.Tier)
	if spec.Tier == "" {
		tier = 0
	}
	if tier < 0 {
		return nil, kefu.FieldError("tier", "unknown tier "+spec.Tier)
	}
	skills := make(map[int]int, len(spec.Skills))
	for name, lvl := range spec.Skills {
		if name == "" || lvl < 0 || lvl > 10 {
			return nil, kefu.FieldError("skills", "a skill has a name and a level from 0 to 10")
		}
		if lvl > 0 {
			skills[e.skill(name)] = lvl
		}
	}
	var capacity [maxChannels]int32
	for name, n := range spec.Capacity {
		if n < 0 || n > 1000 {
			return nil, kefu.FieldError("capacity", "capacity runs from 0 to 1000")
		}
		c, err := e.channel(name)
		if err != nil {
			return nil, err
		}
		capacity[c] = int32(n)
	}
	var wrap [maxChannels]int64
	for name, d := range spec.WrapUp {
		if d < 0 {
			return nil, kefu.FieldError("wrap_up", "cannot be negative")
		}
		c, err := e.channel(name)
		if err != nil {
			return nil, err
		}
		wrap[c] = int64(d)
	}
	a := e.agents[spec.ID]
	if a == nil {
		a = &agent{idx: len(e.alist), id: spec.ID}
		e.alist = append(e.alist, a)
		e.agents[spec.ID] = a
	}
	for len(a.members) > 0 {
		a.dropMember(a.members[len(a.members)-1])
	}
	for c := range a.free {
		a.free[c] = false
	}
	a.tier, a.vendor, a.skills, a.cap, a.wrap = tier, spec.Vendor, skills, capacity, wrap
	for _, q := range e.queues {
		e.join(a, q)
	}
	e.refresh(a, -1)
	e.agentTake(a)
	return e.out, nil
}

// RemoveAgent drops an agent who holds nothing.
func (e *Engine) RemoveAgent(id string) error {
	a := e.agents[id]
	if a == nil {
		return kefu.NotFound("agent")
	}
	if a.held > 0 || a.direct.len() > 0 {
		return kefu.Conflict("agent_busy", "the agent still holds items")
	}
	for len(a.members) > 0 {
		a.dropMember(a.members[len(a.members)-1])
	}
	last := e.alist[len(e.alist)-1]
	e.alist[a.idx] = last
	last.idx = a.idx
	e.alist = e.alist[:len(e.alist)-1]
	delete(e.agents, id)
	return nil
}

// join computes the agent's ring in q, if any, and files the membership.
func (e *Engine) join(a *agent, q *queue) {
	if a.cap[q.ch] == 0 {
		return
	}
	if a.vendor != InHouse && q.spec.InHouseOnly {
		return
	}
	p := -1
	for i := range q.pools {
		if q.pools[i].id == a.vendor {
			p = i
		}
	}
	if p < 0 {
		return
	}
	ring := -1
	for k, st := range q.steps {
		if st.pools&(1<<p) == 0 || st.tiers&(1<<a.tier) == 0 {
			continue
		}
		ok := true
		for i, r := range q.req {
			if st.relaxed&(1<<i) != 0 {
				continue
			}
			if a.skills[r.skill] < max(r.level-st.lower, 1) {
				ok = false
				break
			}
		}
		if ok {
			ring = k
			break
		}
	}
	if ring < 0 {
		return
	}
	score := int32(0)
	for _, r := range q.req {
		score += int32(a.skills[r.skill])
	}
	m := &member{a: a, q: q, ring: ring, pool: p, score: score, pos: -1}
	a.members = append(a.members, m)
	a.byCh[q.ch] = append(a.byCh[q.ch], m)
	q.members = append(q.members, m)
	if a.free[q.ch] {
		q.rings[p][ring].push(m)
	}
}

func (a *agent) dropMember(m *member) {
	if m.pos >= 0 {
		m.q.rings[m.pool][m.ring].remove(m)
	}
	a.members = removeMember(a.members, m)
	a.byCh[m.q.ch] = removeMember(a.byCh[m.q.ch], m)
	m.q.members = removeMember(m.q.members, m)
}

func removeMember(ms []*member, m *member) []*member {
	for i, x := range ms {
		if x == m {
			ms[i] = ms[len(ms)-1]
			ms[len(ms)-1] = nil
			return ms[:len(ms)-1]
		}
	}
	return ms
}

// canTake says whether a may be offered one more item on channel c.
func (e *Engine) canTake(a *agent, c int) bool {
	if a.state != Available || a.load[c] >= a.cap[c] {
		return false
	}
	for x := range a.load {
		if x != c && a.load[x] > 0 && (e.exclusive[c] || e.exclusive[x]) {
			return false
		}
	}
	return true
}

// refresh puts a into or out of its queues' heaps after its state or load
// changed; changed is the channel whose ranking key moved, or -1.
func (e *Engine) refresh(a *agent, changed int) {
	for c := range e.chanNames {
		want := e.canTake(a, c)
		switch {
		case want && !a.free[c]:
			for _, m := range a.byCh[c] {
				m.q.rings[m.pool][m.ring].push(m)
			}
		case !want && a.free[c]:
			for _, m := range a.byCh[c] {
				m.q.rings[m.pool][m.ring].remove(m)
			}
		case want && c == changed:
			for _, m := range a.byCh[c] {
				m.q.rings[m.pool][m.ring].fix(m.pos)
			}
		}
		a.free[c] = want
	}
}

// SetState changes an agent's presence. Offers not yet answered go back to
// their queues when the agent stops being available.
func (e *Engine) SetState(now time.Time, agentID string, s State, reason string) ([]Event, error) {
	e.begin(now)
	a := e.agents[agentID]
	if a == nil {
		return nil, kefu.NotFound("agent")
	}
	if int(s) >= len(stateNames) {
		return nil, kefu.FieldError("state", "unknown state")
	}
	e.setState(a, s, reason)
	return e.out, nil
}

func (e *Engine) setState(a *agent, s State, reason string) {
	a.wrapGen++
	if a.state == s && a.reason == reason {
		return
	}
	if s == Available && a.state != Available {
		// Idle is time available without work: an agent back from lunch,
		// or online for the first time, starts idle now, not at the last
		// release before the break (or at the epoch).
		for c := range a.since {
			a.since[c] = e.now
		}
	}
	a.state, a.reason, a.stateAt = s, reason, e.now
	e.emit(Event{Kind: EvAgentState, Agent: a.id, State: s, Reason: reason})
	if s != Available {
		for len(a.pending) > 0 {
			it := a.pending[0]
			e.emit(Event{Kind: EvWithdrawn, Item: it.id, Queue: it.q.id, Agent: a.id, Reason: s.String()})
			e.returnOffer(it, false)
		}
	}
	e.refresh(a, -1)
	if s == Available {
		e.agentTake(a)
	}
}

// ---- items ----

// Enqueue adds an item and offers it at once if an eligible agent is free.
func (e *Engine) Enqueue(now time.Time, spec ItemSpec) ([]Event, error) {
	e.begin(now)
	if spec.ID == "" {
		return nil, kefu.FieldError("id", "required")
	}
	if _, dup := e.items[spec.ID]; dup {
		return nil, kefu.Conflict("item_exists", "the item is already routed")
	}
	q := e.queues[spec.Queue]
	if q == nil {
		return nil, kefu.NotFound("queue")
	}
	e.seq++
	it := &item{id: spec.ID, q: q, seq: e.seq, arrived: e.now, queuedAt: e.now, pos: -1,
		inHouse: spec.InHouseOnly || spec.Emergency || q.spec.InHouseOnly}
	if !spec.Arrived.IsZero() && spec.Arrived.UnixNano() < e.now {
		it.arrived = spec.Arrived.UnixNano()
	}
	it.emergent, it.tierCode, it.priority = spec.Emergency, tierKey(spec.CustomerTier), spec.Priority
	e.credit(it)
	if !spec.SLADue.IsZero() {
		it.slaDue = spec.SLADue.UnixNano()
	}
	e.items[it.id] = it
	q.active++
	q.stats.offered++
	e.arm(it)
	e.rekey(it)
	e.park(it)
	if !e.matchItem(it, OnArrival) {
		e.emit(Event{Kind: EvQueued, Item: it.id, Queue: q.id})
	}
	return e.out, nil
}

// arm schedules the item's next overflow step and its SLA-risk credit.
func (e *Engine) arm(it *item) {
	it.gStep++
	if it.step+1 < len(it.q.steps) {
		e.timer(it.queuedAt+it.q.steps[it.step+1].after, timer{kind: tStep, gen: it.gStep, it: it})
	}
	it.gSLA++
	it.slaC = 0
	if it.slaDue != 0 && it.q.slaWindow > 0 {
		at := it.slaDue - it.q.slaWindow
		if at <= e.now {
			it.slaC = it.q.slaCredit
		} else {
			e.timer(at, timer{kind: tSLA, gen: it.gSLA, it: it})
		}
	}
}

func (e *Engine) rekey(it *item) {
	it.key = it.arrived - it.emerg - it.tierC - it.prioC - it.slaC
}

// park puts a waiting item where agents will look for it.
func (e *Engine) park(it *item) {
	it.st = waiting
	if it.xfer != nil && it.xfer.target != nil {
		it.xfer.target.direct.push(it)
		return
	}
	k := 0
	if it.inHouse {
		k = 1
	}
	it.q.waiting[it.step][k].push(it)
	it.q.nwait++
}

func (e *Engine) unpark(it *item) {
	if it.heap == nil {
		return
	}
	if it.xfer == nil || it.xfer.target == nil {
		it.q.nwait--
	}
	it.heap.remove(it)
}

func (it *item) refuses(a *agent) bool {
	if it.agent == a {
		return true // the holder of a transfer
	}
	for _, d := range it.declined {
		if d == a {
			return true
		}
	}
	return false
}

// matchItem offers a waiting item to the best free eligible agent, if any.
func (e *Engine) matchItem(it *item, why Trigger) bool {
	if it.xfer != nil && it.xfer.target != nil {
		a := it.xfer.target
		if e.canTake(a, it.q.ch) && !it.refuses(a) {
			e.offer(it, a, nil, why)
			return true
		}
		return false
	}
	q := it.q
	var best *member
	bestDeficit := 0.0
	for p := range q.pools {
		if it.inHouse && q.pools[p].id != InHouse {
			continue
		}
		var m *member
		for r := 0; r <= it.step; r++ {
			if m = e.topAgent(&q.rings[p][r], it); m != nil {
				break
			}
		}
		if m == nil {
			continue
		}
		w := q.pools[p].weight
		d := -1.0 // pools without a share take work only when no shared pool can
		if w > 0 {
			d = float64(w)/float64(q.weights)*float64(q.offers+1) - float64(q.pools[p].offers)
		}
		if best == nil || d > bestDeficit {
			best, bestDeficit = m, d
		}
	}
	if best == nil {
		return false
	}
	e.offer(it, best.a, best, why)
	return true
}

// topAgent is the best agent of h that it may go to.
func (e *Engine) topAgent(h *agentHeap, it *item) *member {
	m := h.top()
	if m == nil || !it.refuses(m.a) {
		return m
	}
	var best *member // rare: the top declined this item before; look further
	for _, x := range h.ms {
		if !it.refuses(x.a) && (best == nil || h.less(x, best)) {
			best = x
		}
	}
	return best
}

// topItem is the best item of h that a may take.
func topItem(h *itemHeap, a *agent) *item {
	t := h.top()
	if t == nil || !t.refuses(a) {
		return t
	}
	var best *item
	for _, x := range h.xs {
		if !x.refuses(a) && (best == nil || itemLess(x, best)) {
			best = x
		}
	}
	return best
}

// agentTake offers a freed agent the best items it may take, until it is
// full or nothing waits for it.
func (e *Engine) agentTake(a *agent) {
	for a.state == Available {
		// A transfer addressed to this agent comes first.
		if t := topItem(&a.direct, a); t != nil && a.free[t.q.ch] {
			e.offer(t, a, nil, OnTransfer)
			continue
		}
		var best *item
		var via *member
		for c := range e.chanNames {
			if !a.free[c] {
				continue
			}
			for _, m := range a.byCh[c] {
				q := m.q
				if q.nwait == 0 {
					continue
				}
				for s := m.ring; s < len(q.steps); s++ {
					if t := topItem(&q.waiting[s][0], a); t != nil && (best == nil || itemLess(t, best)) {
						best, via = t, m
					}
					if a.vendor == InHouse {
						if t := topItem(&q.waiting[s][1], a); t != nil && (best == nil || itemLess(t, best)) {
							best, via = t, m
						}
					}
				}
			}
		}
		if best == nil {
			return
		}
		e.offer(best, a, via, OnAgentFree)
	}
}

// offer reserves a's capacity for it and tells the caller.
func (e *Engine) offer(it *item, a *agent, via *member, why Trigger) {
	q := it.q
	c := q.ch
	d := Decision{Trigger: why, Queue: q.id, Step: it.step, StepName: q.steps[it.step].name,
		Selection: q.spec.Policy.Selection, Waited: time.Duration(e.now - it.arrived),
		Emergency: time.Duration(it.emerg), Tier: time.Duration(it.tierC), Priority: time.Duration(it.prioC),
		SLARisk: time.Duration(it.slaC), Idle: time.Duration(e.now - a.since[c]),
		Load: int(a.load[c]), Capacity: int(a.cap[c]), Pool: a.vendor}
	if via != nil {
		p := &q.pools[via.pool]
		d.Ring, d.SkillScore = via.ring, int(via.score)
		if q.weights > 0 && p.weight > 0 {
			d.PoolTarget = float64(p.weight) / float64(q.weights)
			if q.offers > 0 {
				d.PoolActual = float64(p.offers) / float64(q.offers)
			}
		}
		p.offers++
		q.offers++
	}
	e.unpark(it)
	it.st = offered
	it.offer = a
	it.gOffer++
	a.pending = append(a.pending, it)
	a.held++
	a.load[c]++
	a.since[c] = e.now
	e.refresh(a, c)
	if q.offerTimeout > 0 {
		e.timer(e.now+q.offerTimeout, timer{kind: tOffer, gen: it.gOffer, it: it})
	}
	e.decisions++
	e.emit(Event{Kind: EvOffered, Item: it.id, Queue: q.id, Agent: a.id, Step: it.step, Decision: d})
}

func (a *agent) dropPending(it *item) {
	for i, x := range a.pending {
		if x == it {
			copy(a.pending[i:], a.pending[i+1:])
			a.pending[len(a.pending)-1] = nil
			a.pending = a.pending[:len(a.pending)-1]
			return
		}
	}
}

// release gives back one unit of a's capacity on channel c.
func (e *Engine) release(a *agent, c int) {
	a.held--
	a.load[c]--
	a.since[c] = e.now
	e.refresh(a, c)
}

// returnOffer takes an unanswered offer back and finds the item someone
// else; declined marks the agent so the item is not offered to them again.
func (e *Engine) returnOffer(it *item, declined bool) {
	a := it.offer
	it.offer = nil
	it.gOffer++
	a.dropPending(it)
	if declined {
		it.declined = append(it.declined, a)
	}
	e.release(a, it.q.ch)
	e.park(it)
	e.matchItem(it, OnArrival)
}

func (e *Engine) find(id string) (*item, error) {
	it := e.items[id]
	if it == nil {
		return nil, kefu.NotFound("item")
	}
	return it, nil
}

// offeredTo finds an item with a pending offer to the agent.
func (e *Engine) offeredTo(itemID, agentID string) (*item, error) {
	it, err := e.find(itemID)
	if err != nil {
		return nil, err
	}
	if it.st != offered || it.offer == nil || it.offer.id != agentID {
		return nil, kefu.Conflict("not_offered", "the item is not offered to this agent")
	}
	return it, nil
}

// Accept records that the agent took the offered item.
func (e *Engine) Accept(now time.Time, itemID, agentID string) ([]Event, error) {
	e.begin(now)
	it, err := e.offeredTo(itemID, agentID)
	if err != nil {
		return nil, err
	}
	a := it.offer
	a.dropPending(it)
	it.offer = nil
	it.gOffer++
	it.gStep++ // no overflow or SLA credit once someone has it
	it.gSLA++
	it.st = assigned
	it.declined = nil
	if x := it.xfer; x != nil {
		it.xfer = nil
		it.gXfer++
		it.agent = a
		e.emit(Event{Kind: EvTransferred, Item: it.id, Queue: it.q.id, Agent: a.id, FromAgent: x.from.id, Reason: x.reason})
		e.release(x.from, it.q.ch)
		e.agentTake(x.from)
		return e.out, nil
	}
	it.agent = a
	if !it.answered {
		it.answered = true
		w := e.now - it.arrived
		s := &it.q.stats
		s.answered++
		s.waitSum += w
		if w <= it.q.slThreshold {
			s.answeredInSL++
		}
	}
	e.emit(Event{Kind: EvAccepted, Item: it.id, Queue: it.q.id, Agent: a.id})
	return e.out, nil
}

// Decline returns an offer; the item is offered elsewhere, never again to
// this agent while it waits.
func (e *Engine) Decline(now time.Time, itemID, agentID, reason string) ([]Event, error) {
	e.begin(now)
	it, err := e.offeredTo(itemID, agentID)
	if err != nil {
		return nil, err
	}
	a := it.offer
	e.emit(Event{Kind: EvDeclined, Item: it.id, Queue: it.q.id, Agent: a.id, Reason: reason})
	e.returnOffer(it, true)
	e.agentTake(a)
	return e.out, nil
}

// Complete ends an item its holder has finished; wrap-up follows when the
// agent's channel asks for it.
func (e *Engine) Complete(now time.Time, itemID string) ([]Event, error) {
	e.begin(now)
	it, err := e.find(itemID)
	if err != nil {
		return nil, err
	}
	if it.agent == nil {
		return nil, kefu.Conflict("not_assigned", "only an item an agent holds can be completed")
	}
	if it.xfer != nil {
		e.cancelTransfer(it)
	}
	a := it.agent
	c := it.q.ch
	e.forget(it)
	e.emit(Event{Kind: EvCompleted, Item: it.id, Queue: it.q.id, Agent: a.id})
	e.release(a, c)
	if a.wrap[c] > 0 && a.state == Available {
		e.setState(a, WrapUp, "after "+e.chanNames[c])
		e.timer(e.now+a.wrap[c], timer{kind: tWrapUp, gen: a.wrapGen, ag: a})
		return e.out, nil
	}
	e.agentTake(a)
	return e.out, nil
}

// Abandon removes an item the customer left before an agent took it.
func (e *Engine) Abandon(now time.Time, itemID string) ([]Event, error) {
	e.begin(now)
	it, err := e.find(itemID)
	if err != nil {
		return nil, err
	}
	if it.agent != nil {
		return nil, kefu.Conflict("assigned", "an agent holds this item; complete it instead")
	}
	var freed *agent
	if it.st == offered {
		freed = it.offer
		freed.dropPending(it)
		e.release(freed, it.q.ch)
	}
	e.unpark(it)
	if !it.answered {
		s := &it.q.stats
		w := e.now - it.arrived
		switch {
		case w < it.q.shortAbandon:
			s.abandonedShort++
		case w <= it.q.slThreshold:
			s.abandonedInSL++
		default:
			s.abandonedLate++
		}
	}
	e.forget(it)
	e.emit(Event{Kind: EvAbandoned, Item: it.id, Queue: it.q.id})
	if freed != nil {
		e.agentTake(freed)
	}
	return e.out, nil
}

func (e *Engine) forget(it *item) {
	delete(e.items, it.id)
	it.q.active--
	it.gStep++
	it.gSLA++
	it.gOffer++
	it.gXfer++
}

// Transfer sends an item its agent holds to a queue or to one agent, with
// a reason. The agent keeps it (and its history stays on the ticket) until
// the target takes it; if nobody does within timeout, it is pulled back.
func (e *Engine) Transfer(now time.Time, itemID string, to Target, reason string, timeout time.Duration) ([]Event, error) {
	e.begin(now)
	it, err := e.find(itemID)
	if err != nil {
		return nil, err
	}
	if it.st != assigned || it.agent == nil {
		return nil, kefu.Conflict("not_assigned", "only an item an agent holds can be transferred")
	}
	if it.xfer != nil {
		return nil, kefu.Conflict("transfer_pending", "the item is already being transferred")
	}
	if reason == "" {
		return nil, kefu.FieldError("reason", "a transfer needs a reason")
	}
	if (to.Queue == "") == (to.Agent == "") {
		return nil, kefu.FieldError("target", "give a queue or an agent")
	}
	x := &transfer{from: it.agent, origin: it.q, originStep: it.step, reason: reason}
	if to.Agent != "" {
		b := e.agents[to.Agent]
		if b == nil {
			return nil, kefu.NotFound("agent")
		}
		if b == it.agent {
			return nil, kefu.FieldError("target", "the agent already holds the item")
		}
		if b.cap[it.q.ch] == 0 {
			return nil, kefu.FieldError("target", "the agent does not work this channel")
		}
		if b.vendor != InHouse && it.inHouse {
			return nil, kefu.Forbidden("in_house_only", "this item never goes to a vendor agent")
		}
		x.target = b
	} else {
		tq := e.queues[to.Queue]
		if tq == nil {
			return nil, kefu.NotFound("queue")
		}
		if tq.ch != it.q.ch {
			return nil, kefu.FieldError("target", "the queue works another channel")
		}
		it.q.active--
		tq.active++
		it.q = tq
		it.step = 0
		it.inHouse = it.inHouse || tq.spec.InHouseOnly
	}
	it.xfer = x
	it.gXfer++
	it.queuedAt = e.now
	it.declined = nil
	if x.target == nil {
		e.credit(it)
		e.arm(it)
		e.rekey(it)
	}
	if timeout > 0 {
		e.timer(e.now+int64(timeout), timer{kind: tPullBack, gen: it.gXfer, it: it})
	}
	e.emit(Event{Kind: EvTransferStarted, Item: it.id, Queue: it.q.id, Agent: to.Agent, FromAgent: x.from.id, Reason: reason})
	e.park(it)
	e.matchItem(it, OnTransfer)
	return e.out, nil
}

// cancelTransfer undoes a pending transfer: the holder keeps the item.
func (e *Engine) cancelTransfer(it *item) {
	x := it.xfer
	if it.st == offered {
		b := it.offer
		it.offer = nil
		it.gOffer++
		b.dropPending(it)
		e.release(b, it.q.ch)
		defer e.agentTake(b)
	} else {
		e.unpark(it)
	}
	if it.q != x.origin {
		it.q.active--
		x.origin.active++
	}
	it.q, it.step = x.origin, x.originStep
	it.xfer = nil
	it.gXfer++
	it.gStep++
	it.gSLA++
	it.st = assigned
}

// ---- time ----

// NextTimer is when Advance next has something to do.
func (e *Engine) NextTimer() (time.Time, bool) {
	for {
		at, t, ok := e.timers.Peek()
		if !ok {
			return time.Time{}, false
		}
		if !e.stale(&t) {
			return time.Unix(0, at).UTC(), true
		}
		e.timers.Pop()
	}
}

func (e *Engine) stale(t *timer) bool {
	switch t.kind {
	case tStep:
		return t.gen != t.it.gStep
	case tOffer:
		return t.gen != t.it.gOffer
	case tSLA:
		return t.gen != t.it.gSLA
	case tPullBack:
		return t.gen != t.it.gXfer
	case tWrapUp:
		return t.gen != t.ag.wrapGen
	}
	return true
}

// Advance fires every timer due by now: overflow steps, offer timeouts,
// SLA-risk credits, transfer pull-backs and the end of wrap-up.
func (e *Engine) Advance(now time.Time) []Event {
	e.begin(now)
	for {
		at, _, ok := e.timers.Peek()
		if !ok || at > e.now {
			break
		}
		_, t := e.timers.Pop()
		if e.stale(&t) {
			continue
		}
		switch t.kind {
		case tStep:
			e.stepUp(t.it)
		case tOffer:
			it := t.it
			a := it.offer
			e.emit(Event{Kind: EvOfferTimedOut, Item: it.id, Queue: it.q.id, Agent: a.id})
			// Away first, so the offer (and any other the agent left
			// unanswered) goes to someone else; it may come back to them later.
			e.setState(a, Away, "no_answer")
		case tSLA:
			it := t.it
			it.slaC = it.q.slaCredit
			if h := it.heap; h != nil {
				h.remove(it)
				e.rekey(it)
				h.push(it)
			} else {
				e.rekey(it)
			}
		case tPullBack:
			it := t.it
			from := it.xfer.from
			e.cancelTransfer(it)
			e.emit(Event{Kind: EvPulledBack, Item: it.id, Queue: it.q.id, Agent: from.id})
		case tWrapUp:
			e.setState(t.ag, Available, "")
		}
	}
	return e.out
}

func (e *Engine) stepUp(it *item) {
	inHeap := it.heap != nil
	if inHeap {
		e.unpark(it)
	}
	it.step++
	st := it.q.steps[it.step]
	it.gStep++
	if it.step+1 < len(it.q.steps) {
		e.timer(it.queuedAt+it.q.steps[it.step+1].after, timer{kind: tStep, gen: it.gStep, it: it})
	}
	if !inHeap {
		return // offered: it comes back at this step if returned
	}
	e.emit(Event{Kind: EvStep, Item: it.id, Queue: it.q.id, Step: it.step, StepName: st.name})
	if st.callback {
		e.emit(Event{Kind: EvCallbackOffer, Item: it.id, Queue: it.q.id, Step: it.step, StepName: st.name})
	}
	e.park(it)
	e.matchItem(it, OnStep)
}

// ItemInfo is where an item stands.
type ItemInfo struct {
	Queue    string
	State    string // waiting, offered, assigned
	Agent    string // holder (assigned, or transferring from)
	Offered  string // agent with a pending offer
	Transfer bool
	Declined []string // agents who declined it while it waits
}

// Item reports an item's place, if the engine has it.
func (e *Engine) Item(id string) (ItemInfo, bool) {
	it := e.items[id]
	if it == nil {
		return ItemInfo{}, false
	}
	info := ItemInfo{Queue: it.q.id, State: [...]string{"waiting", "offered", "assigned"}[it.st], Transfer: it.xfer != nil}
	if it.agent != nil {
		info.Agent = it.agent.id
	}
	if it.offer != nil {
		info.Offered = it.offer.id
	}
	for _, a := range it.declined {
		info.Declined = append(info.Declined, a.id)
	}
	return info, true
}

// Hold restores an item an agent already holds (after a restart, or a
// manual assignment): it counts against their capacity, even above it.
func (e *Engine) Hold(now time.Time, spec ItemSpec, agentID string) ([]Event, error) {
	e.begin(now)
	a := e.agents[agentID]
	if a == nil {
		return nil, kefu.NotFound("agent")
	}
	q := e.queues[spec.Queue]
	if q == nil {
		return nil, kefu.NotFound("queue")
	}
	if _, dup := e.items[spec.ID]; dup {
		return nil, kefu.Conflict("item_exists", "the item is already routed")
	}
	e.seq++
	it := &item{id: spec.ID, q: q, seq: e.seq, arrived: e.now, queuedAt: e.now, pos: -1, st: assigned, agent: a, answered: true,
		emergent: spec.Emergency, tierCode: tierKey(spec.CustomerTier), priority: spec.Priority,
		inHouse: spec.InHouseOnly || spec.Emergency || q.spec.InHouseOnly}
	e.items[it.id] = it
	q.active++
	a.held++
	a.load[q.ch]++
	e.refresh(a, q.ch)
	return e.out, nil
}

// Remove drops an item routing no longer handles (solved, closed, moved
// out of the queue, assigned by hand): no abandonment is counted, and an
// agent it held or was offered to is freed.
func (e *Engine) Remove(now time.Time, itemID string) ([]Event, error) {
	e.begin(now)
	it, err := e.find(itemID)
	if err != nil {
		return nil, err
	}
	if it.xfer != nil {
		e.cancelTransfer(it)
	}
	var freed []*agent
	if it.st == offered {
		a := it.offer
		a.dropPending(it)
		e.release(a, it.q.ch)
		freed = append(freed, a)
	}
	e.unpark(it)
	if it.agent != nil {
		e.release(it.agent, it.q.ch)
		freed = append(freed, it.agent)
	}
	e.forget(it)
	for _, a := range freed {
		e.agentTake(a)
	}
	return e.out, nil
}
