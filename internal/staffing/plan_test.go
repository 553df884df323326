package staffing

import (
	"bytes"
	"encoding/csv"
	"math"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/erlang"
)

func TestSplitLargestRemainder(t *testing.T) {
	names := []string{InHouse, "vendor-a", "vendor-b"}
	for _, c := range []struct {
		heads int
		want  []int
	}{{20, []int{6, 10, 4}}, {7, []int{2, 4, 1}}, {1, []int{0, 1, 0}}, {0, []int{0, 0, 0}}, {3, []int{1, 1, 1}}} {
		got := split(c.heads, names, []float64{0.3, 0.5, 0.2})
		sum := 0
		for i, g := range got {
			sum += g.Heads
			if g.Heads != c.want[i] || g.Name != names[i] {
				t.Errorf("%d heads: %+v, want %v", c.heads, got, c.want)
				break
			}
		}
		if sum != c.heads {
			t.Errorf("%d heads split into %d", c.heads, sum)
		}
	}
	if _, _, err := providerShares([]Share{{"a", 0.7}, {"b", 0.4}}); err == nil {
		t.Error("shares above 1 must be refused")
	}
}

func TestPlanErlangC(t *testing.T) {
	start := time.Date(2025, 11, 11, 9, 0, 0, 0, shanghai)
	fc := []ForecastInterval{
		{Start: start, Volume: 100, AHT: 180},
		{Start: start.Add(30 * time.Minute), Volume: 380, AHT: 200},
		{Start: start.Add(time.Hour), Volume: 0, AHT: 180},
	}
	in := PlanInput{Queue: "orders", Interval: 30 * time.Minute, Intervals: fc, Shrinkage: 0.3,
		Target: erlang.Target{SL: 0.8, SLSeconds: 20, MaxOccupancy: 0.85}, Vendors: []Share{{"vendor-a", 0.5}, {"vendor-b", 0.2}},
		Roster: []int{18, 70, 2}}
	p, err := MakePlan(in)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rows[0]
	// The worked example: 10 erlangs, 80/20, occupancy ≤ 85 % → 14 agents,
	// 20 scheduled at 30 % shrinkage; the roster of 18 leaves 12 on
	// contacts (floor(18 × 0.7)).
	if r.Needed != 14 || r.Scheduled != 20 || *r.Gap != -2 {
		t.Errorf("row 0 %+v", r)
	}
	want := erlang.Queue{Agents: 12, Erlangs: 10, AHT: 180}.Eval(20, 0).AnsweredWithin
	if math.Abs(*r.RosterSL-want) > 1e-12 {
		t.Errorf("roster SL %v, want %v", *r.RosterSL, want)
	}
	if r.Split[0].Heads+r.Split[1].Heads+r.Split[2].Heads != 20 || r.Split[1].Heads != 10 {
		t.Errorf("split %+v", r.Split)
	}
	if p.Rows[2].Needed != 0 || p.Rows[2].Scheduled != 0 || p.Rows[2].ServiceLevel != 1 {
		t.Errorf("an empty interval needs nobody: %+v", p.Rows[2])
	}
	// The day figure is the volume-weighted one.
	m0 := erlang.Queue{Agents: r.Needed, Erlangs: 10, AHT: 180}.Eval(20, 0)
	m1 := erlang.Queue{Agents: p.Rows[1].Needed, Erlangs: 380 * 200 / 1800.0, AHT: 200}.Eval(20, 0)
	day := (100*m0.AnsweredWithin + 380*m1.AnsweredWithin) / 480
	if math.Abs(p.ServiceLevel.Value-day) > 1e-12 || p.ServiceLevel.Formula == "" {
		t.Errorf("day SL %+v, want %v", p.ServiceLevel, day)
	}
	if p.Volume != 480 || p.ScheduledHours != float64(20+p.Rows[1].Scheduled)/2 {
		t.Errorf("totals %v %v", p.Volume, p.ScheduledHours)
	}

	var buf bytes.Buffer
	if err := p.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][7] != "scheduled_in-house" || recs[1][5] != "14" || recs[1][6] != "20" || recs[1][len(recs[1])-1] != SLOffered.Formula {
		t.Errorf("CSV %v", recs)
	}

	// Another plan without vendors differs where shrinkage changes.
	in2 := in
	in2.Shrinkage = 0.35
	p2, err := MakePlan(in2)
	if err != nil {
		t.Fatal(err)
	}
	diffs, hours := Compare(p, p2)
	if len(diffs) != 2 || hours <= 0 || diffs[0].Delta != erlang.Scheduled(14, 0.35)-20 {
		t.Errorf("compare %+v %v", diffs, hours)
	}
}

// With impatient callers the plan uses Erlang A, staffs to the variant the
// center reports, and respects the abandonment cap.
func TestPlanErlangAVariant(t *testing.T) {
	start := time.Date(2025, 11, 11, 0, 0, 0, 0, shanghai)
	fc := []ForecastInterval{{Start: start, Volume: 2000, AHT: 210}, {Start: start.Add(30 * time.Minute), Volume: 900, AHT: 210}}
	tg := erlang.Target{SL: 0.8, SLSeconds: 20, MaxAbandon: 0.03, ShortAbandonSeconds: 5}
	for _, variant := range []string{"offered", "answered", "exclude_short_abandons"} {
		p, err := MakePlan(PlanInput{Queue: "presale", Interval: 30 * time.Minute, Intervals: fc, Target: tg, Patience: 90, Variant: variant, Shrinkage: 0.25})
		if err != nil {
			t.Fatal(err)
		}
		if p.Model != "erlang_a" {
			t.Fatal(p.Model)
		}
		for _, r := range p.Rows {
			if r.ServiceLevel < 0.8 || r.Abandon > 0.03 {
				t.Errorf("%s: %+v", variant, r)
			}
			below := erlang.Queue{Agents: r.Needed - 1, Erlangs: r.Erlangs, AHT: r.AHT, Patience: 90}.Eval(20, 5)
			v, _ := VariantByName(variant)
			if sl, _ := v.Value(Expected(below, 1)); sl >= 0.8 && below.PAbandon <= 0.03 {
				t.Errorf("%s: %d agents would do", variant, r.Needed-1)
			}
		}
	}
}
