package staffing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
)

// ShiftTemplate is a kind of shift: how long it is, when it may start each
// day, and its breaks (at fixed offsets from the start).
type ShiftTemplate struct {
	Name string `json:"name"`
	// Length is the paid length, breaks included.
	Length time.Duration `json:"length"`
	// EarliestStart and LatestStart bound the start, as offsets from
	// midnight; shifts may run past midnight.
	EarliestStart time.Duration `json:"earliest_start"`
	LatestStart   time.Duration `json:"latest_start"`
	// StartStep is the spacing of allowed starts (default: the interval).
	StartStep time.Duration `json:"start_step,omitempty"`
	Breaks    []Break       `json:"breaks,omitempty"`
}

// Break is an unpaid or paid break during which the agent takes no
// contacts.
type Break struct {
	After  time.Duration `json:"after"` // from the shift start
	Length time.Duration `json:"length"`
}

// ShiftInput asks for a shift schedule covering Need.
type ShiftInput struct {
	// Start is the beginning of the horizon, a midnight; Need has one entry
	// per interval from there (a week of half-hours is 336).
	Start     time.Time       `json:"start"`
	Interval  time.Duration   `json:"interval"`
	Need      []int           `json:"need"`
	Templates []ShiftTemplate `json:"templates"`
	// TimeLimit bounds the whole computation (default 4 s); the bound
	// stays valid and the schedule feasible whenever it stops.
	TimeLimit time.Duration `json:"time_limit,omitempty"`
}

// ShiftCount is how many agents work one shift.
type ShiftCount struct {
	Template string    `json:"template"`
	Start    time.Time `json:"start"`
	Count    int       `json:"count"`
}

// ShiftPlan is a schedule and how good it is.
type ShiftPlan struct {
	Shifts   []ShiftCount `json:"shifts"`
	Coverage []int        `json:"coverage"` // agents on contacts per interval
	Need     []int        `json:"need"`
	Heads    int          `json:"heads"` // shifts worked (an agent-day each)
	// WorkedHours is the on-contact time scheduled within the horizon,
	// NeedHours the time needed; OverHours = WorkedHours − NeedHours is
	// the over-staffing the schedule minimises.
	WorkedHours float64 `json:"worked_hours"`
	NeedHours   float64 `json:"need_hours"`
	OverHours   float64 `json:"over_hours"`
	// LowerBoundHours is a proven lower bound on WorkedHours for any
	// schedule from these templates: the value of a feasible solution of
	// the dual of the LP relaxation, rounded up. GapPercent is how far
	// the schedule is above it.
	LowerBoundHours float64 `json:"lower_bound_hours"`
	GapPercent      float64 `json:"gap_percent"`
	// LPOptimal says the LP relaxation was solved to optimality within the
	// time limit (otherwise the bound is from the last dual iterate).
	LPOptimal bool          `json:"lp_optimal"`
	Elapsed   time.Duration `json:"elapsed"`
}

// column is one shift start: the intervals it covers within the horizon.
type column struct {
	tmpl  int
	start int // interval index of the start (may be negative)
	cover []int
}

func buildColumns(in ShiftInput) ([]column, error) {
	slots := len(in.Need)
	per := int(24 * time.Hour / in.Interval)
	days := (slots + per - 1) / per
	var cols []column
	for ti, t := range in.Templates {
		if t.Length <= 0 || t.Length%in.Interval != 0 {
			return nil, fmt.Errorf("staffing: shift %q length %v is not a whole number of intervals", t.Name, t.Length)
		}
		step := t.StartStep
		if step == 0 {
			step = in.Interval
		}
		if step%in.Interval != 0 || t.EarliestStart%in.Interval != 0 || t.LatestStart < t.EarliestStart {
			return nil, fmt.Errorf("staffing: shift %q start window %v–%v by %v does not fit the interval", t.Name, t.EarliestStart, t.LatestStart, step)
		}
		length := int(t.Length / in.Interval)
		off := make([]bool, length)
		for _, b := range t.Breaks {
			if b.After%in.Interval != 0 || b.Length%in.Interval != 0 || b.After < 0 || b.After+b.Length > t.Length {
				return nil, fmt.Errorf("staffing: shift %q break %+v does not fit", t.Name, b)
			}
			for k := int(b.After / in.Interval); k < int((b.After+b.Length)/in.Interval); k++ {
				off[k] = true
			}
		}
		// Day −1 too: a night shift from the evening before covers the
		// first hours of the horizon.
		for d := -1; d < days; d++ {
			for s := t.EarliestStart; s <= t.LatestStart; s += step {
				start := d*per + int(s/in.Interval)
				var cover []int
				for k := 0; k < length; k++ {
					if i := start + k; !off[k] && i >= 0 && i < slots {
						cover = append(cover, i)
					}
				}
				if len(cover) > 0 {
					cols = append(cols, column{tmpl: ti, start: start, cover: cover})
				}
			}
		}
	}
	return cols, nil
}

// PlanShifts chooses how many agents work each shift start so that every
// interval's need is covered with the least on-contact time in total —
// the least over-staffing. It is an integer covering problem; we solve its
// LP relaxation with the dual simplex method (whose every iterate is a
// dual-feasible point, so the bound is valid even if time runs out), round
// the LP solution down and repair it greedily, also build a greedy
// schedule from scratch, keep the better, and improve it by
// remove-and-repair moves until no move helps or time runs out.
func PlanShifts(in ShiftInput) (ShiftPlan, error) {
	t0 := time.Now()
	if in.Interval <= 0 || (24*time.Hour)%in.Interval != 0 {
		return ShiftPlan{}, fmt.Errorf("staffing: interval %v does not divide a day", in.Interval)
	}
	if len(in.Templates) == 0 {
		return ShiftPlan{}, errors.New("staffing: no shift templates")
	}
	limit := in.TimeLimit
	if limit <= 0 {
		limit = 4 * time.Second
	}
	deadline := t0.Add(limit)
	cols, err := buildColumns(in)
	if err != nil {
		return ShiftPlan{}, err
	}
	need := in.Need
	bySlot := make([][]int, len(need))
	for j, c := range cols {
		for _, i := range c.cover {
			bySlot[i] = append(bySlot[i], j)
		}
	}
	for i, n := range need {
		if n < 0 {
			return ShiftPlan{}, fmt.Errorf("staffing: negative need at interval %d", i)
		}
		if n > 0 && len(bySlot[i]) == 0 {
			return ShiftPlan{}, fmt.Errorf("staffing: no shift covers interval %d (%v)", i, in.Start.Add(time.Duration(i)*in.Interval))
		}
	}

	lpDeadline := t0.Add(limit * 6 / 10)
	xLP, bound, optimal := solveLP(cols, need, lpDeadline)

	s := newSched(cols, need, bySlot)
	// From the LP: round down, repair.
	for j, v := range xLP {
		if f := int(math.Floor(v + 1e-7)); f > 0 {
			s.add(j, f)
		}
	}
	s.repair(0)
	s.prune()
	best := s.clone()
	// From scratch.
	g := newSched(cols, need, bySlot)
	g.repair(0)
	g.prune()
	if g.cost < best.cost {
		best = g
	}
	best.improve(deadline)

	p := ShiftPlan{Need: append([]int(nil), need...), Coverage: best.cov, LPOptimal: optimal}
	h := in.Interval.Hours()
	var needSlots int
	for _, n := range need {
		needSlots += n
	}
	p.WorkedHours = float64(best.cost) * h
	p.NeedHours = float64(needSlots) * h
	p.OverHours = p.WorkedHours - p.NeedHours
	lb := math.Max(math.Ceil(bound-1e-6), float64(needSlots))
	p.LowerBoundHours = lb * h
	if lb > 0 {
		p.GapPercent = 100 * (float64(best.cost) - lb) / lb
	}
	for j, x := range best.x {
		if x == 0 {
			continue
		}
		p.Heads += x
		p.Shifts = append(p.Shifts, ShiftCount{Template: in.Templates[cols[j].tmpl].Name,
			Start: in.Start.Add(time.Duration(cols[j].start) * in.Interval), Count: x})
	}
	sort.Slice(p.Shifts, func(a, b int) bool {
		if !p.Shifts[a].Start.Equal(p.Shifts[b].Start) {
			return p.Shifts[a].Start.Before(p.Shifts[b].Start)
		}
		return p.Shifts[a].Template < p.Shifts[b].Template
	})
	p.Elapsed = time.Since(t0)
	return p, nil
}

// sched is an integer schedule under construction.
type sched struct {
	cols   []column
	need   []int
	bySlot [][]int
	x      []int
	cov    []int
	cost   int
}

func newSched(cols []column, need []int, bySlot [][]int) *sched {
	return &sched{cols: cols, need: need, bySlot: bySlot, x: make([]int, len(cols)), cov: make([]int, len(need))}
}

func (s *sched) clone() *sched {
	c := *s
	c.x = append([]int(nil), s.x...)
	c.cov = append([]int(nil), s.cov...)
	return &c
}

func (s *sched) add(j, u int) {
	s.x[j] += u
	for _, i := range s.cols[j].cover {
		s.cov[i] += u
	}
	s.cost += u * len(s.cols[j].cover)
}

// repair covers every deficit from interval from onward, left to right:
// at the first short interval it adds, as many times as it is short, the
// shift covering it whose work lands best on the remaining deficits.
func (s *sched) repair(from int) {
	for i := from; i < len(s.need); i++ {
		for s.cov[i] < s.need[i] {
			d := s.need[i] - s.cov[i]
			bestJ, bestScore := -1, -1.0
			for _, j := range s.bySlot[i] {
				useful := 0
				for _, k := range s.cols[j].cover {
					if def := s.need[k] - s.cov[k]; def > 0 {
						useful += min(def, d)
					}
				}
				score := float64(useful) / float64(len(s.cols[j].cover))
				if score > bestScore {
					bestJ, bestScore = j, score
				}
			}
			s.add(bestJ, d)
		}
	}
}

// prune drops shifts that every interval they cover can do without,
// longest first.
func (s *sched) prune() {
	order := make([]int, 0, len(s.x))
	for j, x := range s.x {
		if x > 0 {
			order = append(order, j)
		}
	}
	sort.Slice(order, func(a, b int) bool { return len(s.cols[order[a]].cover) > len(s.cols[order[b]].cover) })
	for _, j := range order {
		spare := s.x[j]
		for _, i := range s.cols[j].cover {
			spare = min(spare, s.cov[i]-s.need[i])
		}
		if spare > 0 {
			s.add(j, -spare)
		}
	}
}

// improve tries, for each shift in use, to take one agent off it and cover
// what that leaves short with other shifts; a move is kept only if the
// total gets smaller. Passes repeat until one changes nothing.
func (s *sched) improve(deadline time.Time) {
	for pass := 0; pass < 50; pass++ {
		changed := false
		for j := range s.x {
			if s.x[j] == 0 {
				continue
			}
			if time.Now().After(deadline) {
				return
			}
			trial := s.clone()
			trial.add(j, -1)
			first := len(s.need)
			for _, i := range s.cols[j].cover {
				if trial.cov[i] < trial.need[i] && i < first {
					first = i
				}
			}
			if first < len(s.need) {
				// Do not let the repair put the same agent straight back.
				trial.repairExcept(first, j)
			}
			trial.prune()
			if trial.cost < s.cost {
				*s = *trial
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// repairExcept is repair that may not use column skip.
func (s *sched) repairExcept(from, skip int) {
	for i := from; i < len(s.need); i++ {
		for s.cov[i] < s.need[i] {
			d := s.need[i] - s.cov[i]
			bestJ, bestScore := -1, -1.0
			for _, j := range s.bySlot[i] {
				if j == skip {
					continue
				}
				useful := 0
				for _, k := range s.cols[j].cover {
					if def := s.need[k] - s.cov[k]; def > 0 {
						useful += min(def, d)
					}
				}
				score := float64(useful) / float64(len(s.cols[j].cover))
				if score > bestScore {
					bestJ, bestScore = j, score
				}
			}
			if bestJ < 0 {
				bestJ = skip
			}
			s.add(bestJ, d)
		}
	}
}

// solveLP solves min Σ c_j x_j, A x ≥ need, x ≥ 0 (c_j the intervals
// column j covers) by the dual simplex method on a dense tableau, starting
// from the all-surplus basis, which is dual feasible because c ≥ 0. It
// returns the primal solution, a lower bound valid for the integer problem
// (from the dual iterate, checked against A and scaled to feasibility),
// and whether the LP was solved to optimality before the deadline.
func solveLP(cols []column, need []int, deadline time.Time) (x []float64, bound float64, optimal bool) {
	// Rows: intervals with a need (the others are satisfied by x ≥ 0).
	var rows []int
	rowOf := make([]int, len(need))
	for i, n := range need {
		rowOf[i] = -1
		if n > 0 {
			rowOf[i] = len(rows)
			rows = append(rows, i)
		}
	}
	m, n := len(rows), len(cols)
	x = make([]float64, n)
	if m == 0 {
		return x, 0, true
	}
	w := n + m
	T := make([][]float64, m)
	beta := make([]float64, m)
	for r := range T {
		T[r] = make([]float64, w)
		T[r][n+r] = 1
		beta[r] = -float64(need[rows[r]])
	}
	rc := make([]float64, w)
	for j, c := range cols {
		rc[j] = float64(len(c.cover))
		for _, i := range c.cover {
			if r := rowOf[i]; r >= 0 {
				T[r][j] = -1
			}
		}
	}
	basis := make([]int, m)
	for r := range basis {
		basis[r] = n + r
	}
	const eps = 1e-9
	nz := make([]int, 0, w)
	optimal = true
	for iter := 0; ; iter++ {
		if iter%32 == 0 && time.Now().After(deadline) {
			optimal = false
			break
		}
		p := -1
		worst := -eps
		for r, b := range beta {
			if b < worst {
				worst, p = b, r
			}
		}
		if p < 0 {
			break
		}
		q := -1
		bestRatio := math.Inf(1)
		row := T[p]
		for j := 0; j < w; j++ {
			if a := row[j]; a < -eps {
				ratio := math.Max(rc[j], 0) / -a
				if ratio < bestRatio-1e-12 || (ratio < bestRatio+1e-12 && q >= 0 && -a > -row[q]) {
					bestRatio, q = ratio, j
				}
			}
		}
		if q < 0 {
			optimal = false // infeasible row: cannot happen when every need is coverable
			break
		}
		piv := row[q]
		nz = nz[:0]
		for j := 0; j < w; j++ {
			if row[j] != 0 {
				row[j] /= piv
				nz = append(nz, j)
			}
		}
		beta[p] /= piv
		for r := 0; r < m; r++ {
			if r == p {
				continue
			}
			f := T[r][q]
			if f == 0 {
				continue
			}
			tr := T[r]
			for _, j := range nz {
				tr[j] -= f * row[j]
			}
			tr[q] = 0
			beta[r] -= f * beta[p]
		}
		if f := rc[q]; f != 0 {
			for _, j := range nz {
				rc[j] -= f * row[j]
			}
			rc[q] = 0
		}
		basis[p] = q
	}
	for r, j := range basis {
		if j < n {
			x[j] = math.Max(beta[r], 0)
		}
	}
	// Dual values are the reduced costs of the surplus columns. Check them
	// against the original constraints and scale into feasibility, so the
	// bound does not rest on the tableau's rounding.
	y := make([]float64, m)
	for r := range y {
		y[r] = math.Max(rc[n+r], 0)
	}
	viol := 1.0
	for _, c := range cols {
		s := 0.0
		for _, i := range c.cover {
			if r := rowOf[i]; r >= 0 {
				s += y[r]
			}
		}
		viol = math.Max(viol, s/float64(len(c.cover)))
	}
	for r := range y {
		bound += float64(need[rows[r]]) * y[r]
	}
	return x, bound / viol, optimal
}

// WriteCSV writes the schedule, one shift start per line.
func (p ShiftPlan) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"template", "start", "count"}); err != nil {
		return err
	}
	for _, s := range p.Shifts {
		if err := cw.Write([]string{s.Template, s.Start.Format(time.RFC3339), strconv.Itoa(s.Count)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
