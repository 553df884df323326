package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/kefu-project/kefu/internal/api"
	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/server"
	"github.com/kefu-project/kefu/internal/staffing"
	"github.com/kefu-project/kefu/internal/store"
)

// `kefu staffing demo` plays a workforce manager's Double 11: it gives a
// demo tenant (d11-demo) fourteen months of half-hourly contact history of
// a center that peaks at about 4,000 agents (imported actuals, as from an
// ACD), forecasts the Double 11 week of 2026 from it through the same code
// as POST /api/v1/staffing/forecasts, raises the midnight rush by hand,
// plans two versions (in-house and two vendors, with shifts), compares
// them and writes the CSVs. The numbers it prints are in docs/staffing.md.

type d11World struct {
	base   float64 // contacts a day at the start
	trend  float64 // growth per day
	start  time.Time
	events map[string]d11Event // date → factor
	makeup map[string]time.Weekday
	loc    *time.Location
}

type d11Event struct {
	factor   float64
	midnight bool
}

func newD11World(loc *time.Location) d11World {
	w := d11World{base: 62000, trend: 0.0004, start: time.Date(2025, 9, 1, 0, 0, 0, 0, loc), loc: loc,
		events: map[string]d11Event{}, makeup: map[string]time.Weekday{}}
	for _, y := range []int{2025, 2026} {
		w.events[fmt.Sprintf("%d-11-10", y)] = d11Event{factor: 1.8}
		w.events[fmt.Sprintf("%d-11-11", y)] = d11Event{factor: 4.0, midnight: true}
		w.events[fmt.Sprintf("%d-11-12", y)] = d11Event{factor: 2.2}
	}
	w.events["2026-06-18"] = d11Event{factor: 2.5}
	for d := 0; d < 8; d++ { // 春节 2026: New Year's Eve 02-16 and the week after
		w.events[time.Date(2026, 2, 16+d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")] = d11Event{factor: 0.5}
	}
	for _, y := range []int{2025, 2026} {
		for d := 1; d <= 7; d++ {
			w.events[fmt.Sprintf("%d-10-%02d", y, d)] = d11Event{factor: 0.7}
		}
	}
	for _, m := range d11Makeup() {
		as, _ := map[string]time.Weekday{"周一": time.Monday, "周五": time.Friday}[m.As]
		w.makeup[m.Date] = as
	}
	return w
}

// d11Makeup are the 调休 working weekends of the synthetic calendar.
func d11Makeup() []api.MakeupIn {
	return []api.MakeupIn{{Date: "2025-09-28", As: "周一"}, {Date: "2025-10-11", As: "周五"}, {Date: "2026-02-14", As: "周一"},
		{Date: "2026-02-28", As: "周一"}, {Date: "2026-09-20", As: "周一"}, {Date: "2026-10-10", As: "周五"}}
}

var d11Weekday = [7]float64{0.80, 1.15, 1.05, 1.00, 1.00, 1.05, 0.85} // Sunday first

func d11Shape(i int, weekend, midnight bool) float64 {
	h := (float64(i) + 0.5) / 2
	g := func(mu, sd float64) float64 { return math.Exp(-(h - mu) * (h - mu) / (2 * sd * sd)) }
	if midnight { // the sale opens at midnight: order questions flood in
		return 0.05 + 3*g(0.6, 0.8) + 0.8*g(10.5, 2) + 1.2*g(20.5, 2) + 1.5*g(23.6, 0.6)
	}
	if weekend {
		return 0.03 + g(11.5, 2.5) + 1.1*g(20.5, 2)
	}
	return 0.03 + 1.2*g(10.5, 2) + 0.8*g(15, 2) + g(20.5, 1.8)
}

// day is the true expected volume and AHT of each half-hour of a day.
func (w d11World) day(d time.Time) (vol, aht []float64) {
	key := d.Format("2006-01-02")
	wd := d.Weekday()
	if as, ok := w.makeup[key]; ok {
		wd = as
	}
	days := math.Round(d.Sub(w.start).Hours() / 24)
	total := w.base * (1 + w.trend*days) * d11Weekday[wd]
	ev, isEvent := w.events[key]
	if isEvent {
		total *= ev.factor
	}
	weekend := wd == time.Saturday || wd == time.Sunday
	var sum float64
	shape := make([]float64, 48)
	for i := range shape {
		shape[i] = d11Shape(i, weekend, isEvent && ev.midnight)
		sum += shape[i]
	}
	vol, aht = make([]float64, 48), make([]float64, 48)
	for i := range shape {
		vol[i] = total * shape[i] / sum
		aht[i] = 240
		if i < 14 || i >= 44 {
			aht[i] = 300 // night contacts are harder cases
		}
		if isEvent && ev.midnight {
			aht[i] = 210 // order-status questions are quick
		}
	}
	return vol, aht
}

func (w d11World) actuals(queueID string, to time.Time, seed uint64) []store.StaffingActual {
	r := rand.New(rand.NewPCG(seed, 11))
	var out []store.StaffingActual
	for d := w.start; d.Before(to); d = d.AddDate(0, 0, 1) {
		vol, aht := w.day(d)
		for i := range vol {
			v := math.Max(0, math.Round(vol[i]+math.Sqrt(vol[i])*r.NormFloat64()))
			// Handled contacts' handle time varies around the truth; about
			// 4 % abandon before an answer.
			handled := math.Round(v * 0.96)
			a := aht[i] * (1 + 0.05*r.NormFloat64()/math.Sqrt(math.Max(handled, 1)))
			out = append(out, store.StaffingActual{QueueID: queueID, Start: d.Add(time.Duration(i) * 30 * time.Minute), Seconds: 1800,
				Offered: int64(v), Handled: int64(handled), HandleSS: handled * a, Source: "demo-acd"})
		}
	}
	return out
}

func d11Shifts() []api.ShiftIn {
	return []api.ShiftIn{
		{Name: "8h", LengthMinutes: 480, EarliestStart: "00:00", LatestStart: "23:30", Breaks: []api.BreakIn{{AfterMinutes: 240, LengthMinutes: 30}}},
		{Name: "10h", LengthMinutes: 600, EarliestStart: "06:00", LatestStart: "14:00", Breaks: []api.BreakIn{{AfterMinutes: 240, LengthMinutes: 60}}},
		{Name: "4h", LengthMinutes: 240, EarliestStart: "08:00", LatestStart: "20:00"},
		{Name: "夜班 6h", LengthMinutes: 360, EarliestStart: "22:00", LatestStart: "23:30"},
	}
}

func cmdStaffingDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, d := dbFlagSet("staffing demo", stderr)
	out := fs.String("out", "", "directory to write the plans' CSVs and the forecast JSON into (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := server.OpenStore(ctx, server.Config{DataDir: d.data, DSN: d.db, Logger: newLogger(io.Discard)})
	if err != nil {
		return err
	}
	defer s.Close()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	tenant, queue, err := d11Tenant(ctx, s)
	if err != nil {
		return err
	}
	mgr := store.Actor{ID: "d11-manager", Kind: "user"}
	w := newD11World(loc)
	historyTo := time.Date(2026, 11, 2, 0, 0, 0, 0, loc) // a week ahead of the week planned
	t0 := time.Now()
	rows := w.actuals(queue, historyTo, 2026)
	if _, err := s.PutStaffingActuals(ctx, tenant, mgr, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "history: %d half-hours imported (%s to %s) in %s\n", len(rows), w.start.Format("2006-01-02"),
		historyTo.AddDate(0, 0, -1).Format("2006-01-02"), time.Since(t0).Round(time.Millisecond))

	weeks := 4
	fin := api.ForecastIn{Name: "双十一 2026 周", QueueID: queue, IntervalMinutes: 30, Start: "2026-11-09", Days: 7,
		HistoryFrom: "2025-09-01", HistoryTo: "2026-11-02", BacktestWeeks: &weeks,
		Events: []api.EventIn{{Name: "双十一"}, {Name: "618"}, {Name: "春节"}, {Name: "国庆"}}, Makeup: d11Makeup()}
	t0 = time.Now()
	sf, err := api.BuildForecast(ctx, s, tenant, loc, fin)
	if err != nil {
		return err
	}
	f, err := s.CreateForecast(ctx, tenant, mgr, sf)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forecast %s in %s: Holt–Winters α %.2f β %.2f γ %.2f φ %.2f\n", f.ID, time.Since(t0).Round(time.Millisecond),
		f.Body.Alpha, f.Body.Beta, f.Body.Gamma, f.Body.Phi)
	if acc := f.Body.Accuracy; acc != nil {
		fmt.Fprintf(stdout, "held-back weeks (%d): interval WAPE %.1f %%, MAPE %.1f %%, day WAPE %.1f %%, AHT error %.1f %%\n",
			len(acc.Weeks), 100*acc.WAPE, 100*acc.MAPE, 100*acc.DayWAPE, 100*acc.AHTWAPE)
		for _, wk := range acc.Weeks {
			fmt.Fprintf(stdout, "  week of %s: WAPE %.1f %%, day WAPE %.1f %%\n", wk.Start.In(loc).Format("2006-01-02"), 100*wk.WAPE, 100*wk.DayWAPE)
		}
	}
	for _, u := range f.Body.Uplifts {
		fmt.Fprintf(stdout, "uplift %s day %d: ×%.2f (%s)\n", u.Event, u.Day, u.Factor, u.Source)
	}

	base := api.PlanIn{Name: "A: 80/20, 放弃率 ≤ 5 %", ForecastID: f.ID, SL: 0.8, SLSeconds: 20, PatienceSeconds: 120, MaxAbandon: 0.05, Shrinkage: 0.3,
		Vendors: []staffing.Share{{Name: "远景外包", Share: 0.35}, {Name: "星河外包", Share: 0.25}}, Shifts: d11Shifts(), ShiftTimeSeconds: 2}
	t0 = time.Now()
	pa, err := planAndSave(ctx, s, tenant, mgr, f, base)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	report(stdout, w, pa, loc)
	fmt.Fprintf(stdout, "plan A computed and saved in %s\n", elapsed.Round(time.Millisecond))

	// The manager expects the presale to open hotter: +15 % from 11-11
	// 00:00 to 02:00, kept with who and why; plan B from the edited forecast.
	mid := time.Date(2026, 11, 11, 0, 0, 0, 0, loc)
	f, err = s.EditForecast(ctx, tenant, mgr, f.ID, f.Version, []staffing.Override{{From: mid, To: mid.Add(2 * time.Hour), VolumeFactor: 1.15, Reason: "零点预售加码"}})
	if err != nil {
		return err
	}
	e := f.Edits[len(f.Edits)-1]
	fmt.Fprintf(stdout, "\nforecast edited to version %d by %s at %s: ×%.2f on %d intervals (%s)\n", f.Version, e.By, e.At.In(loc).Format(time.DateTime),
		e.Change.VolumeFactor, e.Change.Intervals, e.Reason)
	b := base
	b.Name = "B: edited forecast, occupancy ≤ 95 %"
	b.ForecastID = f.ID
	b.MaxOccupancy = 0.95
	pb, err := planAndSave(ctx, s, tenant, mgr, f, b)
	if err != nil {
		return err
	}
	cmp := api.ComparePlans(pa, pb)
	t := cmp.Totals
	fmt.Fprintf(stdout, "compare A → B: %d of %d half-hours change; scheduled hours %.0f → %.0f (%+.0f); peak %d → %d; SL %.3f → %.3f; abandonment %.2f %% → %.2f %%; agent-shifts %d → %d\n",
		t.ChangedIntervals, t.Intervals, t.ScheduledHoursA, t.ScheduledHoursB, t.ScheduledHoursDelta, t.PeakScheduledA, t.PeakScheduledB,
		t.ServiceLevelA, t.ServiceLevelB, 100*t.AbandonA, 100*t.AbandonB, t.ShiftHeadsA, t.ShiftHeadsB)
	fmt.Fprintf(stdout, "saved: forecast %s, plans %s and %s (tenant d11-demo)\n", f.ID, pa.ID, pb.ID)

	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		for name, p := range map[string]store.SavedPlan{"plan-a": pa, "plan-b": pb} {
			fh, err := os.Create(filepath.Join(*out, name+".csv"))
			if err != nil {
				return err
			}
			err = p.Body.Plan.WriteCSV(fh)
			if cerr := fh.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
		raw, _ := json.MarshalIndent(f, "", "  ")
		if err := os.WriteFile(filepath.Join(*out, "forecast.json"), raw, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s/plan-a.csv, plan-b.csv, forecast.json\n", *out)
	}
	return nil
}

func planAndSave(ctx context.Context, s *store.Store, tenant string, a store.Actor, f store.SavedForecast, in api.PlanIn) (store.SavedPlan, error) {
	p, err := api.BuildPlan(f, in)
	if err != nil {
		return p, err
	}
	saved, err := s.CreatePlan(ctx, tenant, a, p)
	if err != nil {
		return saved, err
	}
	saved.Body = p.Body
	return saved, nil
}

// d11Tenant finds or opens the demo tenant and its queue.
func d11Tenant(ctx context.Context, s *store.Store) (tenantID, queueID string, err error) {
	ts, err := s.Tenants(ctx)
	if err != nil {
		return "", "", err
	}
	for _, t := range ts {
		if t.Slug == "d11-demo" {
			tenantID = t.ID
		}
	}
	if tenantID == "" {
		tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "d11-demo", Name: "双十一 外包中心 (staffing demo)", TimeZone: "Asia/Shanghai"},
			RootOrg: "双十一 外包中心", Tiers: auth.DefaultTiers(), Roles: auth.DefaultRoles()})
		if err != nil {
			return "", "", err
		}
		tenantID = tc.Tenant.ID
	}
	qs, err := s.Queues(ctx, tenantID)
	if err != nil {
		return "", "", err
	}
	for _, q := range qs {
		if q.Name == "电商售前售后 全渠道" {
			return tenantID, q.ID, nil
		}
	}
	q, err := s.CreateQueue(ctx, tenantID, store.System, kefu.Queue{Name: "电商售前售后 全渠道", Channel: "chat"})
	if err != nil {
		return "", "", err
	}
	return tenantID, q.ID, nil
}

func report(w io.Writer, world d11World, p store.SavedPlan, loc *time.Location) {
	pl := p.Body.Plan
	fmt.Fprintf(w, "\n%s — %s, %s (%s), shrinkage %.0f %%, providers %v\n", p.Name, pl.Model, pl.Variant, pl.Formula, 100*pl.Shrinkage, pl.Providers)
	fmt.Fprintf(w, "%-10s %9s %9s %6s %8s %7s %7s %9s %s\n", "day", "forecast", "truth", "peak", "volume", "needed", "sched", "SL", "split at peak")
	for d := 0; d < 7; d++ {
		rows := pl.Rows[d*48 : (d+1)*48]
		var vol, truth float64
		peak := rows[0]
		for _, r := range rows {
			vol += r.Volume
			if r.Scheduled > peak.Scheduled {
				peak = r
			}
		}
		tv, _ := world.day(rows[0].Start.In(loc))
		for _, v := range tv {
			truth += v
		}
		split := ""
		for _, s := range peak.Split {
			split += fmt.Sprintf(" %s %d", s.Name, s.Heads)
		}
		fmt.Fprintf(w, "%s %s %9.0f %9.0f %6s %8.0f %7d %7d %9.3f%s\n", rows[0].Start.In(loc).Format("01-02"), rows[0].Start.In(loc).Weekday().String()[:3],
			vol, truth, peak.Start.In(loc).Format("15:04"), peak.Volume, peak.Needed, peak.Scheduled, peak.ServiceLevel, split)
	}
	peak := pl.Rows[0]
	for _, r := range pl.Rows {
		if r.Scheduled > peak.Scheduled {
			peak = r
		}
	}
	fmt.Fprintf(w, "peak half-hour %s: %.0f contacts, AHT %.0f s, %.0f erlangs → %d needed, %d scheduled; SL %.3f, abandonment %.2f %%, ASA %.1f s, occupancy %.3f\n",
		peak.Start.In(loc).Format("01-02 15:04"), peak.Volume, peak.AHT, peak.Erlangs, peak.Needed, peak.Scheduled, peak.ServiceLevel, 100*peak.Abandon, peak.ASA, peak.Occupancy)
	fmt.Fprintf(w, "week: %.0f contacts, SL %.3f, abandonment %.2f %%, %.0f scheduled hours\n", pl.Volume, pl.ServiceLevel.Value, 100*pl.Abandon, pl.ScheduledHours)
	var worked, need, bound float64
	for _, ps := range p.Body.Shifts {
		sp := ps.Plan
		counts := map[string]int{}
		for _, s := range sp.Shifts {
			counts[s.Template] += s.Count
		}
		fmt.Fprintf(w, "shifts %-6s %6d agent-shifts %v: worked %.0f h for %.0f h needed, lower bound %.0f h, %.2f %% above it (LP optimal %v, %s)\n",
			ps.Provider, sp.Heads, counts, sp.WorkedHours, sp.NeedHours, sp.LowerBoundHours, sp.GapPercent, sp.LPOptimal, sp.Elapsed.Round(time.Millisecond))
		worked += sp.WorkedHours
		need += sp.NeedHours
		bound += sp.LowerBoundHours
	}
	fmt.Fprintf(w, "shifts total: %d agent-shifts, worked %.0f h for %.0f h needed (over %.1f %%), lower bound %.0f h, %.2f %% above it\n",
		p.ShiftHeads, worked, need, 100*(worked-need)/need, bound, p.GapPercent)
}
