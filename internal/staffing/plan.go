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

	"github.com/kefu-project/kefu/internal/erlang"
)

// Share is the part of a queue's scheduled staff that one provider covers.
type Share struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"`
}

// InHouse is the provider name of the center's own staff.
const InHouse = "in-house"

// PlanInput asks for a staffing plan of one queue.
type PlanInput struct {
	Queue     string             `json:"queue"`
	Interval  time.Duration      `json:"interval"`
	Intervals []ForecastInterval `json:"intervals"`
	// Target is the service target per interval; Patience > 0 switches
	// from Erlang C to Erlang A (then set Target.MaxAbandon too).
	Target   erlang.Target `json:"-"`
	Patience float64       `json:"patience_seconds,omitempty"`
	// Variant is the service-level definition reported and, when
	// Target.SL is set, staffed to (default: over offered).
	Variant string `json:"variant,omitempty"`
	// Shrinkage is the share of paid time not available for contacts.
	Shrinkage float64 `json:"shrinkage"`
	// Vendors are the outsourcers' shares of the scheduled staff; the rest
	// is in-house.
	Vendors []Share `json:"vendors,omitempty"`
	// Roster, if given, is the staff already scheduled per interval
	// (heads, before shrinkage), to compare against.
	Roster []int `json:"roster,omitempty"`
}

// PlanRow is the plan of one interval.
type PlanRow struct {
	Start   time.Time `json:"start"`
	Volume  float64   `json:"volume"`
	AHT     float64   `json:"aht_seconds"`
	Erlangs float64   `json:"erlangs"`
	// Needed agents on contacts; Scheduled heads after shrinkage, split
	// by provider (in-house first).
	Needed    int             `json:"needed"`
	Scheduled int             `json:"scheduled"`
	Split     []ProviderHeads `json:"split"`
	// Expected figures with Needed agents.
	ServiceLevel float64 `json:"service_level"`
	Abandon      float64 `json:"abandon"`
	ASA          float64 `json:"asa_seconds"`
	Occupancy    float64 `json:"occupancy"`
	// With a roster: its heads, the gap (roster − scheduled; negative is
	// short) and what the roster gives.
	Roster      *int     `json:"roster,omitempty"`
	Gap         *int     `json:"gap,omitempty"`
	RosterSL    *float64 `json:"roster_service_level,omitempty"`
	RosterAband *float64 `json:"roster_abandon,omitempty"`

	expected, rosterExpected Counts
}

// ProviderHeads is one provider's part of an interval's scheduled staff.
type ProviderHeads struct {
	Name  string `json:"name"`
	Heads int    `json:"heads"`
}

// Plan is the staffing plan of one queue.
type Plan struct {
	Queue     string        `json:"queue"`
	Interval  time.Duration `json:"interval"`
	Model     string        `json:"model"`
	Variant   string        `json:"variant"`
	Formula   string        `json:"formula"`
	Shrinkage float64       `json:"shrinkage"`
	Providers []string      `json:"providers"`
	Rows      []PlanRow     `json:"rows"`
	// Day-level figures, volume-weighted (counts summed, then divided).
	Volume         float64  `json:"volume"`
	ScheduledHours float64  `json:"scheduled_hours"`
	ServiceLevel   Figure   `json:"service_level"`
	Abandon        float64  `json:"abandon"`
	RosterSL       *Figure  `json:"roster_service_level,omitempty"`
	RosterAbandon  *float64 `json:"roster_abandon,omitempty"`
}

// MakePlan computes the plan of one queue, interval by interval.
func MakePlan(in PlanInput) (Plan, error) {
	if in.Interval <= 0 {
		return Plan{}, errors.New("staffing: plan needs an interval length")
	}
	if in.Shrinkage < 0 || in.Shrinkage >= 1 {
		return Plan{}, fmt.Errorf("staffing: shrinkage %g outside [0, 1)", in.Shrinkage)
	}
	if in.Roster != nil && len(in.Roster) != len(in.Intervals) {
		return Plan{}, fmt.Errorf("staffing: roster has %d intervals, forecast %d", len(in.Roster), len(in.Intervals))
	}
	v, err := VariantByName(in.Variant)
	if err != nil {
		return Plan{}, err
	}
	providers, shares, err := providerShares(in.Vendors)
	if err != nil {
		return Plan{}, err
	}
	tg := in.Target
	if tg.SL > 0 && tg.SLOf == nil && v.Name != SLOffered.Name {
		tg.SLOf = v.ModelSL()
	}
	model := "erlang_c"
	if in.Patience > 0 {
		model = "erlang_a"
	}
	p := Plan{Queue: in.Queue, Interval: in.Interval, Model: model, Variant: v.Name, Formula: v.Formula,
		Shrinkage: in.Shrinkage, Providers: providers}
	sec := in.Interval.Seconds()
	var exp, rexp []Counts
	var abandoned, rabandoned float64
	for i, f := range in.Intervals {
		a := erlang.Erlangs(f.Volume, f.AHT, sec)
		m, err := erlang.Agents(a, f.AHT, in.Patience, tg)
		if err != nil {
			return Plan{}, fmt.Errorf("staffing: %s %v: %w", in.Queue, f.Start, err)
		}
		row := PlanRow{Start: f.Start, Volume: f.Volume, AHT: f.AHT, Erlangs: a, Needed: m.Agents,
			Scheduled: erlang.Scheduled(m.Agents, in.Shrinkage), ASA: m.ASA, Occupancy: m.Occupancy, Abandon: m.PAbandon}
		row.expected = Expected(m, f.Volume)
		row.ServiceLevel, _ = v.Value(row.expected)
		if f.Volume == 0 {
			row.ServiceLevel = 1
		}
		row.Split = split(row.Scheduled, providers, shares)
		if in.Roster != nil {
			r := in.Roster[i]
			gap := r - row.Scheduled
			// The roster's heads lose the same shrinkage before they can
			// take contacts.
			avail := int(math.Floor(float64(r)*(1-in.Shrinkage) + 1e-9))
			rm := erlang.Queue{Agents: avail, Erlangs: a, AHT: f.AHT, Patience: in.Patience}.Eval(tg.SLSeconds, tg.ShortAbandonSeconds)
			row.rosterExpected = Expected(rm, f.Volume)
			rsl, _ := v.Value(row.rosterExpected)
			if f.Volume == 0 {
				rsl = 1
			}
			rab := rm.PAbandon
			row.Roster, row.Gap, row.RosterSL, row.RosterAband = &r, &gap, &rsl, &rab
			rexp = append(rexp, row.rosterExpected)
			rabandoned += row.rosterExpected.Abandoned
		}
		exp = append(exp, row.expected)
		abandoned += row.expected.Abandoned
		p.Volume += f.Volume
		p.ScheduledHours += float64(row.Scheduled) * in.Interval.Hours()
		p.Rows = append(p.Rows, row)
	}
	p.ServiceLevel = v.Aggregate(exp)
	if p.Volume > 0 {
		p.Abandon = abandoned / p.Volume
	}
	if in.Roster != nil {
		f := v.Aggregate(rexp)
		p.RosterSL = &f
		ra := 0.0
		if p.Volume > 0 {
			ra = rabandoned / p.Volume
		}
		p.RosterAbandon = &ra
	}
	return p, nil
}

// providerShares puts in-house first with the share vendors leave.
func providerShares(vendors []Share) ([]string, []float64, error) {
	names := []string{InHouse}
	shares := []float64{1}
	seen := map[string]bool{InHouse: true}
	for _, v := range vendors {
		if v.Name == "" || seen[v.Name] {
			return nil, nil, fmt.Errorf("staffing: vendor name %q missing or repeated", v.Name)
		}
		if v.Share < 0 || v.Share > 1 {
			return nil, nil, fmt.Errorf("staffing: vendor %s share %g outside [0, 1]", v.Name, v.Share)
		}
		seen[v.Name] = true
		names = append(names, v.Name)
		shares = append(shares, v.Share)
		shares[0] -= v.Share
	}
	if shares[0] < -1e-9 {
		return nil, nil, fmt.Errorf("staffing: vendor shares add up to more than 1")
	}
	shares[0] = math.Max(shares[0], 0)
	return names, shares, nil
}

// split divides heads by shares with the largest-remainder method, so the
// parts are whole people and add up exactly; ties go to the first listed
// (in-house), which keeps sensitive work at home when it is a coin toss.
func split(heads int, names []string, shares []float64) []ProviderHeads {
	out := make([]ProviderHeads, len(names))
	type rem struct {
		i int
		r float64
	}
	rs := make([]rem, len(names))
	given := 0
	for i, s := range shares {
		exact := float64(heads) * s
		n := int(math.Floor(exact + 1e-9))
		out[i] = ProviderHeads{Name: names[i], Heads: n}
		given += n
		rs[i] = rem{i, exact - float64(n)}
	}
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].r > rs[b].r+1e-12 })
	for k := 0; given < heads && k < len(rs); k++ {
		out[rs[k].i].Heads++
		given++
	}
	return out
}

// WriteCSV writes the plan one interval per line, with a header.
func (p Plan) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"queue", "start", "volume", "aht_seconds", "erlangs", "needed", "scheduled"}
	for _, n := range p.Providers {
		head = append(head, "scheduled_"+n)
	}
	head = append(head, "service_level", "abandon", "asa_seconds", "occupancy", "roster", "gap", "roster_service_level", "roster_abandon", "sl_formula")
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(v float64, prec int) string {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	for _, r := range p.Rows {
		rec := []string{p.Queue, r.Start.Format(time.RFC3339), f(r.Volume, 2), f(r.AHT, 1), f(r.Erlangs, 3),
			strconv.Itoa(r.Needed), strconv.Itoa(r.Scheduled)}
		for _, s := range r.Split {
			rec = append(rec, strconv.Itoa(s.Heads))
		}
		rec = append(rec, f(r.ServiceLevel, 4), f(r.Abandon, 4), f(r.ASA, 1), f(r.Occupancy, 4))
		if r.Roster != nil {
			rec = append(rec, strconv.Itoa(*r.Roster), strconv.Itoa(*r.Gap), f(*r.RosterSL, 4), f(*r.RosterAband, 4))
		} else {
			rec = append(rec, "", "", "", "")
		}
		rec = append(rec, p.Formula)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Need is the scheduled heads per interval, the input of shift planning.
func (p Plan) Need() []int {
	out := make([]int, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = r.Scheduled
	}
	return out
}

// RowDiff is how two plans differ in one interval.
type RowDiff struct {
	Start        time.Time `json:"start"`
	ScheduledA   int       `json:"scheduled_a"`
	ScheduledB   int       `json:"scheduled_b"`
	Delta        int       `json:"delta"` // B − A
	ServiceLevel float64   `json:"service_level_delta"`
}

// Compare lines up two plans of the same queue by interval start and
// returns the intervals where the scheduled staff differs, and the change
// in scheduled hours (B − A).
func Compare(a, b Plan) (diffs []RowDiff, hours float64) {
	byStart := map[int64]PlanRow{}
	for _, r := range a.Rows {
		byStart[r.Start.Unix()] = r
	}
	for _, r := range b.Rows {
		ra, ok := byStart[r.Start.Unix()]
		if !ok || ra.Scheduled != r.Scheduled {
			diffs = append(diffs, RowDiff{Start: r.Start, ScheduledA: ra.Scheduled, ScheduledB: r.Scheduled,
				Delta: r.Scheduled - ra.Scheduled, ServiceLevel: r.ServiceLevel - ra.ServiceLevel})
		}
	}
	return diffs, b.ScheduledHours - a.ScheduledHours
}
