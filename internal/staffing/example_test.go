package staffing

import (
	"math"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/erlang"
)

// The Double 11 week end to end, on a synthetic year of history for a
// center of about 80,000 contacts a day: forecast the week, plan it per
// half-hour with Erlang A, split it with two vendors, and lay shifts over
// it. The numbers it logs are the ones quoted in docs/staffing.md.
func TestDouble11Week(t *testing.T) {
	s := newSynth(80000)
	hist := s.history(s.start, mustCivil("2025-11-02"), 11)
	from := mustCivil("2025-11-10") // Monday; Double 11 is the Tuesday
	o := forecastOpts()
	acc, err := Backtest(hist, s.calendar(), 4, o)
	if err != nil {
		t.Fatal(err)
	}
	// History ends a week before the forecast: the plan is made a week ahead.
	f, err := MakeForecast(hist, s.calendar(), from.start(shanghai), 7, o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(PlanInput{Queue: "all", Interval: 30 * time.Minute, Intervals: f.Intervals, Patience: 120, Shrinkage: 0.3,
		Target:  erlang.Target{SL: 0.8, SLSeconds: 20, MaxAbandon: 0.05},
		Vendors: []Share{{"vendor-a", 0.4}, {"vendor-b", 0.2}}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := PlanShifts(ShiftInput{Start: from.start(shanghai), Interval: 30 * time.Minute, Need: p.Need(), Templates: weekTemplates()})
	if err != nil {
		t.Fatal(err)
	}
	checkCovered(t, sp)

	t.Logf("backtest 4 weeks: interval WAPE %.1f %%, MAPE %.1f %%, day WAPE %.1f %%", 100*acc.WAPE, 100*acc.MAPE, 100*acc.DayWAPE)
	for _, u := range f.Uplifts {
		t.Logf("uplift %s day %d: ×%.2f (%s)", u.Event, u.Day, u.Factor, u.Source)
	}
	for d := 0; d < 7; d++ {
		var vol, truth float64
		peak, peakAt, peakSched := 0, time.Time{}, 0
		for i := 0; i < 48; i++ {
			r := p.Rows[d*48+i]
			vol += r.Volume
			if r.Needed > peak {
				peak, peakAt, peakSched = r.Needed, r.Start, r.Scheduled
			}
		}
		tv, _ := s.day(from + civil(d))
		for _, v := range tv {
			truth += v
		}
		t.Logf("%s %s: forecast %6.0f contacts (truth %6.0f), peak %s needs %4d on contacts, %4d scheduled",
			(from + civil(d)), (from + civil(d)).weekday().String()[:3], vol, truth, peakAt.Format("15:04"), peak, peakSched)
	}
	t.Logf("week: %.0f contacts, SL %.3f (%s), abandon %.2f %%, %.0f scheduled hours", p.Volume, p.ServiceLevel.Value, p.ServiceLevel.Formula, 100*p.Abandon, p.ScheduledHours)
	peak := p.Rows[0]
	for _, r := range p.Rows {
		if r.Scheduled > peak.Scheduled {
			peak = r
		}
	}
	t.Logf("peak half-hour %s: %.0f contacts, AHT %.0f s, %.0f erlangs, %d needed, %d scheduled = %d in-house + %d vendor-a + %d vendor-b, SL %.3f, abandon %.2f %%, ASA %.1f s",
		peak.Start.Format("01-02 15:04"), peak.Volume, peak.AHT, peak.Erlangs, peak.Needed, peak.Scheduled,
		peak.Split[0].Heads, peak.Split[1].Heads, peak.Split[2].Heads, peak.ServiceLevel, 100*peak.Abandon, peak.ASA)
	t.Logf("shifts: %d agent-shifts, worked %.0f h for %.0f h needed (over %.1f %%), lower bound %.0f h, gap %.2f %%, %v",
		sp.Heads, sp.WorkedHours, sp.NeedHours, 100*sp.OverHours/sp.NeedHours, sp.LowerBoundHours, sp.GapPercent, sp.Elapsed)

	if peak.Start.Day() != 11 || peak.Scheduled < 3000 || peak.Scheduled > 6000 {
		t.Errorf("peak %+v", peak)
	}
	if math.Abs(p.ServiceLevel.Value-0.8) > 0.15 || p.Abandon > 0.05 {
		t.Errorf("week SL %v abandon %v", p.ServiceLevel.Value, p.Abandon)
	}
	if sp.GapPercent > 3 {
		t.Errorf("shift gap %.2f %%", sp.GapPercent)
	}
}

// A day of 96 quarter-hours at up to 10,000 agents, Erlang C and Erlang A:
// the budget is 10 ms.
func BenchmarkPlanDay96(b *testing.B) {
	start := time.Date(2025, 11, 11, 0, 0, 0, 0, shanghai)
	fc := make([]ForecastInterval, 96)
	for i := range fc {
		x := float64(i) / 96
		erl := 300 + 9500*math.Pow(math.Sin(math.Pi*x), 2)*(0.75+0.25*math.Cos(4*math.Pi*x))
		fc[i] = ForecastInterval{Start: start.Add(time.Duration(i) * 15 * time.Minute), Volume: erl * 900 / 180, AHT: 180}
	}
	for _, c := range []struct {
		name     string
		patience float64
		tg       erlang.Target
	}{
		{"ErlangC", 0, erlang.Target{SL: 0.8, SLSeconds: 20, MaxOccupancy: 0.95}},
		{"ErlangA", 120, erlang.Target{SL: 0.8, SLSeconds: 20, MaxAbandon: 0.03}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := MakePlan(PlanInput{Queue: "q", Interval: 15 * time.Minute, Intervals: fc, Target: c.tg, Patience: c.patience, Shrinkage: 0.3,
					Vendors: []Share{{"v", 0.4}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkForecastWeek(b *testing.B) {
	s := newSynth(80000)
	hist := s.history(s.start, mustCivil("2025-11-02"), 11)
	from := mustCivil("2025-11-10").start(shanghai)
	for b.Loop() {
		if _, err := MakeForecast(hist, s.calendar(), from, 7, forecastOpts()); err != nil {
			b.Fatal(err)
		}
	}
}
