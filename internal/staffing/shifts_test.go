package staffing

import (
	"math"
	"testing"
	"time"
)

var monday = time.Date(2025, 11, 10, 0, 0, 0, 0, shanghai)

func checkCovered(t *testing.T, p ShiftPlan) {
	t.Helper()
	for i := range p.Need {
		if p.Coverage[i] < p.Need[i] {
			t.Fatalf("interval %d: %d on contacts, %d needed", i, p.Coverage[i], p.Need[i])
		}
	}
	if p.WorkedHours+1e-9 < p.LowerBoundHours {
		t.Fatalf("worked %.1f h below the lower bound %.1f h", p.WorkedHours, p.LowerBoundHours)
	}
}

func TestShiftsHandCases(t *testing.T) {
	// Two agents all day with a 4-hour shift at 00:00 and 04:00 only:
	// four shifts, nothing wasted.
	need := make([]int, 16) // 8 hours of half-hours
	for i := range need {
		need[i] = 2
	}
	in := ShiftInput{Start: monday, Interval: 30 * time.Minute, Need: need[:16],
		Templates: []ShiftTemplate{{Name: "4h", Length: 4 * time.Hour, EarliestStart: 0, LatestStart: 4 * time.Hour, StartStep: 4 * time.Hour}}}
	p, err := PlanShifts(in)
	if err != nil {
		t.Fatal(err)
	}
	checkCovered(t, p)
	if p.Heads != 4 || p.OverHours != 0 || p.GapPercent != 0 {
		t.Errorf("%+v", p)
	}

	// One agent for one half-hour, shifts of 4 hours: the bound knows that
	// any cover costs 4 hours (the total-need bound says ½ hour).
	spike := make([]int, 48)
	spike[20] = 1
	in = ShiftInput{Start: monday, Interval: 30 * time.Minute, Need: spike,
		Templates: []ShiftTemplate{{Name: "4h", Length: 4 * time.Hour, EarliestStart: 0, LatestStart: 20 * time.Hour}}}
	p, err = PlanShifts(in)
	if err != nil {
		t.Fatal(err)
	}
	checkCovered(t, p)
	if p.WorkedHours != 4 || p.LowerBoundHours != 4 || p.GapPercent != 0 || !p.LPOptimal {
		t.Errorf("%+v", p)
	}

	// A break is not work: an 8-hour shift with a 1-hour break covers 7.
	in = ShiftInput{Start: monday, Interval: 30 * time.Minute, Need: spike,
		Templates: []ShiftTemplate{{Name: "8h", Length: 8 * time.Hour, EarliestStart: 8 * time.Hour, LatestStart: 8 * time.Hour,
			Breaks: []Break{{After: 4 * time.Hour, Length: time.Hour}}}}}
	p, err = PlanShifts(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.WorkedHours != 7 || p.Heads != 1 {
		t.Errorf("%+v", p)
	}

	// Nothing covers 03:00.
	early := make([]int, 48)
	early[6] = 1
	if _, err := PlanShifts(in.withNeed(early)); err == nil {
		t.Error("an uncoverable interval must be reported")
	}
}

func (in ShiftInput) withNeed(n []int) ShiftInput { in.Need = n; return in }

// weekTemplates are a 24/7 center's shifts: full days with a lunch break,
// long peak-day shifts, and part-timers for the evening.
func weekTemplates() []ShiftTemplate {
	return []ShiftTemplate{
		{Name: "8h", Length: 8 * time.Hour, EarliestStart: 0, LatestStart: 23*time.Hour + 30*time.Minute,
			Breaks: []Break{{After: 4 * time.Hour, Length: 30 * time.Minute}}},
		{Name: "10h", Length: 10 * time.Hour, EarliestStart: 6 * time.Hour, LatestStart: 14 * time.Hour,
			Breaks: []Break{{After: 4 * time.Hour, Length: time.Hour}}},
		{Name: "4h", Length: 4 * time.Hour, EarliestStart: 8 * time.Hour, LatestStart: 20 * time.Hour},
	}
}

// weekNeed is a week of half-hourly scheduled heads peaking at peak on the
// Tuesday (Double 11), a third of that on ordinary days.
func weekNeed(peak float64) []int {
	need := make([]int, 7*48)
	for d := 0; d < 7; d++ {
		scale := peak / 3
		midnight := false
		switch d {
		case 0:
			scale = peak * 0.55
		case 1:
			scale, midnight = peak, true
		case 2:
			scale = peak * 0.6
		}
		sh := shares(d >= 5, midnight)
		top := 0.0
		for _, v := range sh {
			top = math.Max(top, v)
		}
		for i := range sh {
			need[d*48+i] = int(math.Ceil(scale * sh[i] / top))
		}
	}
	return need
}

func TestShiftsWeek(t *testing.T) {
	in := ShiftInput{Start: monday, Interval: 30 * time.Minute, Need: weekNeed(400), Templates: weekTemplates()}
	p, err := PlanShifts(in)
	if err != nil {
		t.Fatal(err)
	}
	checkCovered(t, p)
	t.Logf("week for 400 at the peak: %d shifts, worked %.0f h, need %.0f h, over %.0f h, bound %.0f h, gap %.2f %%, LP optimal %v, %v",
		p.Heads, p.WorkedHours, p.NeedHours, p.OverHours, p.LowerBoundHours, p.GapPercent, p.LPOptimal, p.Elapsed)
	if p.GapPercent > 5 {
		t.Errorf("gap to the lower bound %.2f %%", p.GapPercent)
	}
	var sum int
	for _, s := range p.Shifts {
		sum += s.Count
	}
	if sum != p.Heads {
		t.Errorf("heads %d, shifts add to %d", p.Heads, sum)
	}
}

// The budget: a week's shift plan for 4,000 agents in under 5 s.
func BenchmarkShiftsWeek4000(b *testing.B) {
	in := ShiftInput{Start: monday, Interval: 30 * time.Minute, Need: weekNeed(4000), Templates: weekTemplates()}
	for b.Loop() {
		p, err := PlanShifts(in)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(p.GapPercent, "gap%")
		b.ReportMetric(float64(p.Heads), "shifts")
	}
}
