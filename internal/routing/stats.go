package routing

import (
	"sort"
	"time"
)

// counters are a queue's running totals since the engine started or the
// caller last reset them (at midnight, for "today").
type counters struct {
	offered        int64 // items that entered the queue
	answered       int64
	answeredInSL   int64
	waitSum        int64 // nanoseconds, over answered items
	abandonedShort int64 // left sooner than ShortAbandon
	abandonedInSL  int64 // left within the service-level threshold
	abandonedLate  int64
}

// QueueStats is a queue's live picture for supervisors.
type QueueStats struct {
	Queue       string         `json:"queue"`
	Channel     string         `json:"channel"`
	Waiting     int            `json:"waiting"`
	LongestWait time.Duration  `json:"longest_wait_ns"`
	Agents      map[string]int `json:"agents"` // eligible agents by shown state
	Offered     int64          `json:"offered"`
	Answered    int64          `json:"answered"`
	InSL        int64          `json:"answered_within_threshold"`
	Abandoned   int64          `json:"abandoned"`
	ShortAband  int64          `json:"abandoned_short"`
	// ServiceLevel = answered within the threshold ÷ (answered + abandoned
	// after the short-abandon limit); the variant is named in SLFormula.
	ServiceLevel float64       `json:"service_level"`
	SLFormula    string        `json:"service_level_formula"`
	Threshold    time.Duration `json:"threshold_ns"`
	ASA          time.Duration `json:"asa_ns"` // mean wait of answered items
}

// AgentStats is one agent's live picture.
type AgentStats struct {
	Agent    string         `json:"agent"`
	State    string         `json:"state"` // "busy" when available but full
	Reason   string         `json:"reason,omitempty"`
	InState  time.Duration  `json:"in_state_ns"`
	Load     map[string]int `json:"load"`
	Capacity map[string]int `json:"capacity"`
	Vendor   string         `json:"vendor,omitempty"`
	Tier     string         `json:"tier"`
}

// shown is the state a supervisor sees: an available agent with no room
// on any channel is busy.
func (e *Engine) shown(a *agent) State {
	if a.state != Available {
		return a.state
	}
	for c := range e.chanNames {
		if a.free[c] {
			return Available
		}
	}
	return Busy
}

// QueueStats returns every queue's picture, sorted by queue id.
func (e *Engine) QueueStats(now time.Time) []QueueStats {
	n := now.UnixNano()
	out := make([]QueueStats, 0, len(e.queues))
	for _, q := range e.queues {
		out = append(out, e.queueStats(q, n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Queue < out[j].Queue })
	return out
}

// OneQueueStats returns one queue's picture.
func (e *Engine) OneQueueStats(now time.Time, id string) (QueueStats, bool) {
	q := e.queues[id]
	if q == nil {
		return QueueStats{}, false
	}
	return e.queueStats(q, now.UnixNano()), true
}

func (e *Engine) queueStats(q *queue, now int64) QueueStats {
	s := q.stats
	st := QueueStats{Queue: q.id, Channel: q.spec.Channel, Waiting: q.nwait, Agents: map[string]int{},
		Offered: s.offered, Answered: s.answered, InSL: s.answeredInSL,
		Abandoned: s.abandonedShort + s.abandonedInSL + s.abandonedLate, ShortAband: s.abandonedShort,
		Threshold: time.Duration(q.slThreshold), SLFormula: "answered_within / (answered + abandoned_after_short)"}
	oldest := int64(0)
	for _, byStep := range q.waiting {
		for k := range byStep {
			for _, it := range byStep[k].xs {
				if oldest == 0 || it.arrived < oldest {
					oldest = it.arrived
				}
			}
		}
	}
	if oldest != 0 && now > oldest {
		st.LongestWait = time.Duration(now - oldest)
	}
	for _, m := range q.members {
		st.Agents[e.shown(m.a).String()]++
	}
	if d := s.answered + s.abandonedInSL + s.abandonedLate; d > 0 {
		st.ServiceLevel = float64(s.answeredInSL) / float64(d)
	}
	if s.answered > 0 {
		st.ASA = time.Duration(s.waitSum / s.answered)
	}
	return st
}

// ResetStats starts every queue's counters again (at the start of a day).
func (e *Engine) ResetStats() {
	for _, q := range e.queues {
		q.stats = counters{}
	}
}

// AgentStats returns one agent's picture.
func (e *Engine) AgentStats(now time.Time, id string) (AgentStats, bool) {
	a := e.agents[id]
	if a == nil {
		return AgentStats{}, false
	}
	st := AgentStats{Agent: a.id, State: e.shown(a).String(), Reason: a.reason, Load: map[string]int{},
		Capacity: map[string]int{}, Vendor: a.vendor, Tier: Tiers[a.tier]}
	if n := now.UnixNano(); n > a.stateAt {
		st.InState = time.Duration(n - a.stateAt)
	}
	for c, name := range e.chanNames {
		if a.cap[c] > 0 {
			st.Capacity[name] = int(a.cap[c])
			st.Load[name] = int(a.load[c])
		}
	}
	return st, true
}

// AllAgentStats returns every agent's picture, sorted by id.
func (e *Engine) AllAgentStats(now time.Time) []AgentStats {
	out := make([]AgentStats, 0, len(e.alist))
	for _, a := range e.alist {
		st, _ := e.AgentStats(now, a.id)
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agent < out[j].Agent })
	return out
}
