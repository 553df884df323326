package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/staffing"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// History from tickets and from imported actuals, aggregated in the
// database into the forecast's intervals; forecasts edited by hand keep
// who changed what; plans list and read back; other tenants see nothing.
func TestStaffingStore(t *testing.T) {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	clk := clock.NewManual(start)
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		ten, _ := newTenant(t, s, "acme")
		other, _ := newTenant(t, s, "other")
		q, err := s.CreateQueue(ctx, ten.ID, admin, kefu.Queue{Name: "售后", Channel: "chat"})
		if err != nil {
			t.Fatal(err)
		}
		q2, err := s.CreateQueue(ctx, ten.ID, admin, kefu.Queue{Name: "邮件", Channel: "email"})
		if err != nil {
			t.Fatal(err)
		}
		sc := store.Whole(ten.ID)
		// Tickets at 00:05, 00:20, 00:40 and 01:10 in q (chat), one at 00:10 in q2.
		for i, at := range []time.Duration{5 * time.Minute, 20 * time.Minute, 40 * time.Minute, 70 * time.Minute} {
			clk.Set(start.Add(at))
			if _, _, err := s.CreateTicket(ctx, sc, admin, store.NewTicket{Ticket: kefu.Ticket{Subject: "售后", QueueID: q.ID, Channel: kefu.Channel("chat")},
				Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "1380000000" + string(rune('1'+i))}}}}); err != nil {
				t.Fatal(err)
			}
		}
		clk.Set(start.Add(10 * time.Minute))
		if _, _, err := s.CreateTicket(ctx, sc, admin, store.NewTicket{Ticket: kefu.Ticket{Subject: "mail", QueueID: q2.ID, Channel: kefu.Channel("email")},
			Customer: store.CustomerRef{Name: "d", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000001"}}}}); err != nil {
			t.Fatal(err)
		}
		clk.Set(start.Add(48 * time.Hour))
		hq := store.HistoryQuery{QueueID: q.ID, From: start, To: start.Add(24 * time.Hour), Interval: 30 * time.Minute}
		h, err := s.ContactHistory(ctx, ten.ID, hq)
		if err != nil {
			t.Fatal(err)
		}
		if h.Source != store.HistoryTickets || len(h.Buckets) != 3 || h.Buckets[0].Offered != 2 || h.Buckets[1].Offered != 1 ||
			!h.Buckets[2].Start.Equal(start.Add(time.Hour)) || h.Buckets[2].Offered != 1 {
			t.Fatalf("history from tickets: %+v", h)
		}
		hq.QueueID, hq.Interval = "", time.Hour
		if h, _ = s.ContactHistory(ctx, ten.ID, hq); len(h.Buckets) != 2 || h.Buckets[0].Offered != 4 {
			t.Fatalf("all queues by the hour: %+v", h)
		}
		hq.Channel = "email"
		if h, _ = s.ContactHistory(ctx, ten.ID, hq); len(h.Buckets) != 1 || h.Buckets[0].Offered != 1 {
			t.Fatalf("email only: %+v", h)
		}
		if h, _ = s.ContactHistory(ctx, other.ID, hq); len(h.Buckets) != 0 {
			t.Fatalf("other tenant sees history: %+v", h)
		}
		hq.Interval = 7 * time.Minute
		_, err = s.ContactHistory(ctx, ten.ID, hq)
		wantKind(t, err, kefu.KindInvalid)

		// Imported actuals: four quarter-hours, summed into half-hours.
		var rows []store.StaffingActual
		for i := 0; i < 4; i++ {
			rows = append(rows, store.StaffingActual{QueueID: q.ID, Start: start.Add(time.Duration(i) * 15 * time.Minute), Seconds: 900,
				Offered: int64(10 + i), Handled: int64(10 + i), HandleSS: float64(10+i) * 200, Source: "acd"})
		}
		if n, err := s.PutStaffingActuals(ctx, ten.ID, admin, rows); err != nil || n != 4 {
			t.Fatal(n, err)
		}
		// Re-importing replaces, never doubles.
		if _, err := s.PutStaffingActuals(ctx, ten.ID, admin, rows); err != nil {
			t.Fatal(err)
		}
		_, err = s.PutStaffingActuals(ctx, other.ID, admin, rows)
		wantKind(t, err, kefu.KindInvalid) // q is not the other tenant's queue
		bad := rows[0]
		bad.Handled = 99
		_, err = s.PutStaffingActuals(ctx, ten.ID, admin, []store.StaffingActual{bad})
		wantKind(t, err, kefu.KindInvalid)
		// The same interval twice in one import, or counts no center has,
		// are refused naming the row, on both stores alike.
		for name, rs := range map[string][]store.StaffingActual{
			"rows[1].start":          {rows[0], rows[0]},
			"rows[0].offered":        {{QueueID: q.ID, Start: start, Seconds: 900, Offered: 9e18, Handled: 9e18}},
			"rows[0].handle_seconds": {{QueueID: q.ID, Start: start, Seconds: 900, Offered: 10, Handled: 10, HandleSS: 1e300}},
		} {
			_, err = s.PutStaffingActuals(ctx, ten.ID, admin, rs)
			var ke *kefu.Error
			if !errors.As(err, &ke) || ke.Fields[name] == "" {
				t.Fatalf("%s: %v", name, err)
			}
		}
		h, err = s.ContactHistory(ctx, ten.ID, store.HistoryQuery{QueueID: q.ID, From: start, To: start.Add(24 * time.Hour), Interval: 30 * time.Minute})
		if err != nil || h.Source != store.HistoryActuals || len(h.Buckets) != 2 || h.Buckets[0].Offered != 21 || h.Buckets[1].Offered != 25 ||
			h.Buckets[1].HandleSeconds != 25*200 {
			t.Fatalf("history from actuals: %+v %v", h, err)
		}
		h, _ = s.ContactHistory(ctx, ten.ID, store.HistoryQuery{QueueID: q.ID, From: start, To: start.Add(24 * time.Hour), Interval: 30 * time.Minute, Source: store.HistoryTickets})
		if h.Source != store.HistoryTickets || h.Buckets[0].Offered != 2 {
			t.Fatalf("tickets asked for: %+v", h)
		}

		// A forecast, edited by hand.
		var ivs []staffing.ForecastInterval
		for i := 0; i < 48; i++ {
			st := start.Add(7*24*time.Hour + time.Duration(i)*30*time.Minute)
			ivs = append(ivs, staffing.ForecastInterval{Start: st, Volume: 100, AHT: 240, ModelVolume: 100, ModelAHT: 240})
		}
		f, err := s.CreateForecast(ctx, ten.ID, admin, store.SavedForecast{Name: "双十一 周", QueueID: q.ID, IntervalMinutes: 30, Start: ivs[0].Start, Days: 1,
			Source: store.HistoryActuals, Body: store.ForecastBody{Forecast: staffing.Forecast{Interval: 30 * time.Minute, Intervals: ivs}}})
		if err != nil || f.Version != 1 || f.Summary.Volume != 4800 {
			t.Fatalf("create forecast: %+v %v", f.Summary, err)
		}
		_, err = s.CreateForecast(ctx, other.ID, admin, store.SavedForecast{Name: "x", QueueID: q.ID, Body: f.Body})
		wantKind(t, err, kefu.KindInvalid)
		clk.Advance(time.Minute)
		lead := store.Actor{ID: "lead-1", Kind: "user"}
		g, err := s.EditForecast(ctx, ten.ID, lead, f.ID, 1, []staffing.Override{{From: ivs[0].Start, To: ivs[2].Start, VolumeFactor: 1.5, Reason: "预售提前"}})
		if err != nil {
			t.Fatal(err)
		}
		if g.Version != 2 || g.UpdatedBy != "lead-1" || len(g.Edits) != 1 || g.Edits[0].By != "lead-1" || g.Edits[0].Reason != "预售提前" ||
			g.Edits[0].Change.Intervals != 2 || g.Body.Intervals[0].Volume != 150 || g.Body.Intervals[0].ModelVolume != 100 ||
			g.Body.Intervals[0].OverriddenBy != "lead-1" || g.Body.Intervals[2].Volume != 100 {
			t.Fatalf("edited: %+v", g)
		}
		_, err = s.EditForecast(ctx, ten.ID, lead, f.ID, 1, []staffing.Override{{From: ivs[0].Start, To: ivs[1].Start, AHT: 300}})
		wantKind(t, err, kefu.KindConflict)
		// Two edits of the same version at once: one wins, the other is
		// told, and nothing is lost silently (PostgreSQL runs them side by side).
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.EditForecast(ctx, ten.ID, lead, f.ID, 2, []staffing.Override{{From: ivs[10+i].Start, To: ivs[11+i].Start, VolumeFactor: 2}})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("two edits of version 2: %v / %v", errs[0], errs[1])
		}
		if g, _ = s.Forecast(ctx, ten.ID, f.ID); g.Version != 3 {
			t.Fatalf("version after the race: %d", g.Version)
		}
		_, err = s.EditForecast(ctx, ten.ID, lead, f.ID, 0, []staffing.Override{{From: ivs[0].Start, To: ivs[1].Start}})
		wantKind(t, err, kefu.KindInvalid)
		_, err = s.EditForecast(ctx, other.ID, lead, f.ID, 0, []staffing.Override{{From: ivs[0].Start, To: ivs[1].Start, AHT: 300}})
		wantKind(t, err, kefu.KindNotFound)
		if l, _ := s.Forecasts(ctx, ten.ID, 10); len(l) != 1 || l[0].Version != 3 || l[0].Body.Intervals != nil {
			t.Fatalf("list: %+v", l)
		}
		if l, _ := s.Forecasts(ctx, other.ID, 10); len(l) != 0 {
			t.Fatalf("other tenant lists %+v", l)
		}

		// A plan.
		plan, err := staffing.MakePlan(staffing.PlanInput{Queue: q.ID, Interval: 30 * time.Minute, Intervals: g.Body.Intervals, Shrinkage: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		in, _ := json.Marshal(map[string]any{"shrinkage": 0.3})
		p, err := s.CreatePlan(ctx, ten.ID, admin, store.SavedPlan{Name: "方案 A", ForecastID: f.ID, ForecastVersion: 2, QueueID: q.ID, IntervalMinutes: 30,
			Start: ivs[0].Start, Volume: plan.Volume, ScheduledHours: plan.ScheduledHours, ServiceLevel: plan.ServiceLevel.Value,
			Body: &store.PlanBody{Inputs: in, Plan: plan}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.CreatePlan(ctx, other.ID, admin, store.SavedPlan{Name: "x", ForecastID: f.ID, Body: p.Body})
		wantKind(t, err, kefu.KindInvalid)
		got, err := s.Plan(ctx, ten.ID, p.ID)
		if err != nil || len(got.Body.Plan.Rows) != 48 || got.ScheduledHours != plan.ScheduledHours || got.ForecastVersion != 2 {
			t.Fatalf("plan: %+v %v", got, err)
		}
		var buf bytes.Buffer
		if err := got.Body.Plan.WriteCSV(&buf); err != nil || bytes.Count(buf.Bytes(), []byte("\n")) != 49 {
			t.Fatalf("csv: %v\n%s", err, buf.String())
		}
		_, err = s.Plan(ctx, other.ID, p.ID)
		wantKind(t, err, kefu.KindNotFound)
		if l, _ := s.Plans(ctx, ten.ID, f.ID, 10); len(l) != 1 || l[0].Body != nil || l[0].Name != "方案 A" {
			t.Fatalf("plans: %+v", l)
		}
		if l, _ := s.Plans(ctx, other.ID, "", 10); len(l) != 0 {
			t.Fatalf("other tenant lists plans %+v", l)
		}
	})
}
