package server

import (
	"encoding/csv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// actualRows is a deterministic history of half-hours from day for days
// days: weekday pattern, a daytime shape, AHT 240 s by day and 300 s at night.
func actualRows(day time.Time, days int, base float64) []map[string]any {
	week := [7]float64{0.8, 1.15, 1.05, 1, 1, 1.05, 0.85}
	var rows []map[string]any
	for d := 0; d < days; d++ {
		t0 := day.AddDate(0, 0, d)
		for i := 0; i < 48; i++ {
			h := float64(i)/2 + 0.25
			shape := 0.05 + math.Exp(-(h-10.5)*(h-10.5)/8) + 0.8*math.Exp(-(h-20.5)*(h-20.5)/6)
			v := math.Round(base * week[t0.Weekday()] * shape / 20)
			aht := 240.0
			if i < 14 || i >= 44 {
				aht = 300
			}
			rows = append(rows, map[string]any{"start": t0.Add(time.Duration(i) * 30 * time.Minute), "offered": v, "handled": v, "aht_seconds": aht})
		}
	}
	return rows
}

// staffingWorld gives a world a forecast and a plan of its own (for the
// tenancy probes).
func (h *harness) staffingWorld(w *world) {
	h.t.Helper()
	tok := w.Token
	h.must(201, tok, "POST", "/api/v1/staffing/actuals", map[string]any{"queue_id": w.IDs["queue"], "interval_minutes": 30, "source": "acd " + w.Marker,
		"rows": actualRows(time.Date(2026, 10, 19, 0, 0, 0, 0, shanghai), 21, 2000)})
	f := h.must(201, tok, "POST", "/api/v1/staffing/forecasts", map[string]any{"name": "预测 " + w.Marker, "queue_id": w.IDs["queue"],
		"start": "2026-11-09", "days": 1, "backtest_weeks": 0})
	w.IDs["forecast"] = f.str(h.t, "id")
	p := h.must(201, tok, "POST", "/api/v1/staffing/plans", map[string]any{"name": "方案 " + w.Marker, "forecast_id": w.IDs["forecast"], "shrinkage": 0.3})
	w.IDs["plan"] = p.str(h.t, "id")
}

// A workforce manager's week: history in the store, a forecast for the
// Double 11 week, a supervisor's hand edit (kept with who and when), two
// plans with shifts for in-house and a vendor, compared, exported as CSV.
func TestStaffingStory(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b)
			w := h.world("shop")
			tok := w.Token
			q := w.IDs["queue"]

			// The agent role cannot see staffing; the admin can.
			agentTok := h.tokenFor("agent@shop.test")
			if r := h.do(agentTok, "GET", "/api/v1/staffing/forecasts", nil); r.Status != 403 {
				t.Fatalf("agent reads forecasts: %d %s", r.Status, r.Body)
			}

			// Evaluate: the classic 100 calls / 30 min, 180 s, 14 agents.
			ev := h.must(200, tok, "POST", "/api/v1/staffing/evaluate", map[string]any{"volume": 100, "aht_seconds": 180, "agents": 14}).json(t)
			if math.Abs(ev["service_level"].(float64)-0.8884) > 1e-4 || math.Abs(ev["p_wait"].(float64)-0.1741) > 1e-4 {
				t.Fatalf("evaluate: %v", ev)
			}
			ev = h.must(200, tok, "POST", "/api/v1/staffing/evaluate", map[string]any{"volume": 100, "aht_seconds": 180, "sl": 0.8, "max_occupancy": 0.85,
				"shrinkage": 0.3, "patience_seconds": 300, "max_abandon": 0.05}).json(t)
			if ev["model"] != "erlang_a" || ev["p_abandon"] == nil || ev["agents"].(float64) < 10 {
				t.Fatalf("evaluate erlang A: %v", ev)
			}
			for body, field := range map[string]map[string]any{
				"aht_seconds":      {"volume": 100},
				"shrinkage":        {"volume": 100, "aht_seconds": 180, "shrinkage": 1},
				"max_abandon":      {"volume": 100, "aht_seconds": 180, "max_abandon": 0.05},
				"sl":               {"volume": 100, "aht_seconds": 180, "sl": 1.5},
				"interval_minutes": {"volume": 100, "aht_seconds": 180, "interval_minutes": -1},
			} {
				r := h.do(tok, "POST", "/api/v1/staffing/evaluate", field)
				if r.Status != 422 || !strings.Contains(string(r.Body), body) {
					t.Errorf("evaluate %v: %d %s", field, r.Status, r.Body)
				}
			}

			// History: five weeks of half-hours imported from the ACD, read
			// back per hour.
			h.must(201, tok, "POST", "/api/v1/staffing/actuals", map[string]any{"queue_id": q, "interval_minutes": 30, "source": "acd",
				"rows": actualRows(time.Date(2026, 10, 5, 0, 0, 0, 0, shanghai), 35, 4000)})
			hist := h.must(200, tok, "GET", "/api/v1/staffing/history?queue_id="+q+"&interval_minutes=60&from=2026-10-05&to=2026-10-06", nil).json(t)
			if hist["source"] != "actuals" || len(hist["buckets"].([]any)) != 24 {
				t.Fatalf("history: %v", hist)
			}
			// The tickets the world opened are history too.
			th := h.must(200, tok, "GET", "/api/v1/staffing/history?source=tickets&from=2026-11-11&to=2026-11-12", nil).json(t)
			if n := len(th["buckets"].([]any)); n == 0 {
				t.Fatalf("no ticket history: %v", th)
			}

			// Bad forecast requests name their field.
			for field, body := range map[string]map[string]any{
				"start":            {"name": "x", "queue_id": q},
				"interval_minutes": {"name": "x", "queue_id": q, "start": "2026-11-09", "interval_minutes": 20},
				"events[0].dates":  {"name": "x", "queue_id": q, "start": "2026-11-09", "events": []map[string]any{{"name": "店庆"}}},
				"history_to":       {"name": "x", "queue_id": q, "start": "2026-11-09", "history_to": "2026-11-20"},
				"queue_id":         {"name": "x", "queue_id": "nope", "start": "2026-11-09"},
				"events[0].as":     {"name": "x", "start": "2026-11-09", "events": []map[string]any{{"name": "调休", "dates": []string{"2026-10-10"}, "as": "周日"}}},
			} {
				r := h.do(tok, "POST", "/api/v1/staffing/forecasts", body)
				if r.Status != 422 || !strings.Contains(string(r.Body), `"`+field+`"`) {
					t.Errorf("forecast %v: %d %s", body, r.Status, r.Body)
				}
			}

			// The forecast: 双十一 given in Chinese with its uplift (no past
			// occurrence in five weeks), a 调休 Saturday, two weeks held back.
			fr := h.must(201, tok, "POST", "/api/v1/staffing/forecasts", map[string]any{"name": "双十一 周", "queue_id": q, "start": "2026-11-09",
				"backtest_weeks": 2, "events": []map[string]any{{"name": "双11", "uplift": 3}, {"name": "调休", "dates": []string{"2026-11-14"}, "as": "周五"}}}).json(t)
			fid := fr["id"].(string)
			fc := fr["forecast"].(map[string]any)
			ivs := fc["intervals"].([]any)
			if len(ivs) != 7*48 || fr["source"] != "actuals" || fc["aht_source"] != "history" || fr["version"].(float64) != 1 {
				t.Fatalf("forecast: %d intervals, %v %v", len(ivs), fr["source"], fc["aht_source"])
			}
			acc := fr["accuracy"].(map[string]any)
			if len(acc["weeks"].([]any)) != 2 || acc["wape"].(float64) > 0.05 {
				t.Fatalf("backtest: %v", acc)
			}
			ups := fc["uplifts"].([]any)
			if len(ups) != 3 || ups[1].(map[string]any)["event"] != "双十一" || ups[1].(map[string]any)["factor"].(float64) != 3 {
				t.Fatalf("uplifts: %v", ups)
			}
			day := func(d int) (vol float64) {
				for _, x := range ivs[d*48 : (d+1)*48] {
					vol += x.(map[string]any)["volume"].(float64)
				}
				return vol
			}
			if r := day(2) / day(0); r < 2.4 || r > 3.6 { // Wednesday 11-11 at ×3 against Monday
				t.Fatalf("双十一 day %.0f vs Monday %.0f", day(2), day(0))
			}

			// A supervisor raises the Double 11 midnight by hand; a stale
			// edit is refused; the edit keeps who, when and why.
			h.clk.Advance(time.Minute)
			mid := time.Date(2026, 11, 11, 0, 0, 0, 0, shanghai)
			ed := h.must(200, tok, "PATCH", "/api/v1/staffing/forecasts/"+fid, map[string]any{"version": 1, "reason": "零点预售加码",
				"from": mid, "to": mid.Add(2 * time.Hour), "volume_factor": 1.5,
				"intervals": []map[string]any{{"start": mid.Add(10 * time.Hour), "volume": 9000, "aht_seconds": 200}}}).json(t)
			edits := ed["edits"].([]any)
			if ed["version"].(float64) != 2 || len(edits) != 2 || ed["updated_by"] != w.IDs["admin"] {
				t.Fatalf("edited: version %v, %d edits, by %v", ed["version"], len(edits), ed["updated_by"])
			}
			e0 := edits[0].(map[string]any)
			if e0["by"] != w.IDs["admin"] || e0["reason"] != "零点预售加码" || e0["change"].(map[string]any)["intervals"].(float64) != 4 {
				t.Fatalf("edit kept: %v", e0)
			}
			eiv := ed["forecast"].(map[string]any)["intervals"].([]any)[2*48+20].(map[string]any)
			if eiv["volume"].(float64) != 9000 || eiv["aht_seconds"].(float64) != 200 || eiv["overridden_by"] != w.IDs["admin"] || eiv["model_volume"].(float64) == 9000 {
				t.Fatalf("edited interval: %v", eiv)
			}
			if r := h.do(tok, "PATCH", "/api/v1/staffing/forecasts/"+fid, map[string]any{"version": 1, "from": mid, "to": mid.Add(time.Hour), "volume_factor": 2}); r.Status != 409 {
				t.Fatalf("stale edit: %d %s", r.Status, r.Body)
			}
			if r := h.do(tok, "PATCH", "/api/v1/staffing/forecasts/"+fid, map[string]any{"from": mid}); r.Status != 422 {
				t.Fatalf("half a range: %d %s", r.Status, r.Body)
			}

			// Two plans: 80/20 with Erlang A and a vendor at 40 %, and a
			// cheaper one at 70/30 over answered; both with shifts.
			shifts := []map[string]any{
				{"name": "8h", "length_minutes": 480, "earliest_start": "00:00", "latest_start": "23:30", "breaks": []map[string]any{{"after_minutes": 240, "length_minutes": 30}}},
				{"name": "4h", "length_minutes": 240, "earliest_start": "08:00", "latest_start": "20:00"},
			}
			pa := h.must(201, tok, "POST", "/api/v1/staffing/plans", map[string]any{"name": "A 80/20", "forecast_id": fid, "sl": 0.8, "sl_seconds": 20,
				"patience_seconds": 120, "max_abandon": 0.05, "shrinkage": 0.3, "vendors": []map[string]any{{"name": "远景外包", "share": 0.4}}, "shifts": shifts}).json(t)
			pb := h.must(201, tok, "POST", "/api/v1/staffing/plans", map[string]any{"name": "B 70/30", "forecast_id": fid, "sl": 0.7, "sl_seconds": 30,
				"variant": "answered", "patience_seconds": 120, "shrinkage": 0.3, "vendors": []map[string]any{{"name": "远景外包", "share": 0.4}}, "shifts": shifts}).json(t)
			plan := pa["plan"].(map[string]any)
			rows := plan["plan"].(map[string]any)["rows"].([]any)
			r0 := rows[2*48].(map[string]any)
			split := r0["split"].([]any)
			if len(rows) != 336 || pa["forecast_version"].(float64) != 2 || len(split) != 2 || split[1].(map[string]any)["name"] != "远景外包" ||
				split[0].(map[string]any)["heads"].(float64)+split[1].(map[string]any)["heads"].(float64) != r0["scheduled"].(float64) {
				t.Fatalf("plan A: %d rows, version %v, row %v", len(rows), pa["forecast_version"], r0)
			}
			sh := plan["shifts"].([]any)
			if len(sh) != 2 || pa["shift_heads"].(float64) <= 0 || pa["gap_percent"].(float64) < 0 || pa["gap_percent"].(float64) > 5 {
				t.Fatalf("shifts: %d providers, %v heads, gap %v", len(sh), pa["shift_heads"], pa["gap_percent"])
			}
			if pa["abandon"].(float64) > 0.05 || pa["service_level"].(float64) < 0.8 {
				t.Fatalf("plan A figures: SL %v abandon %v", pa["service_level"], pa["abandon"])
			}
			for body, field := range map[string]map[string]any{
				"shrinkage":                {"name": "x", "forecast_id": fid, "shrinkage": 1.2},
				"vendors":                  {"name": "x", "forecast_id": fid, "vendors": []map[string]any{{"name": "a", "share": 0.7}, {"name": "b", "share": 0.6}}},
				"shifts[0].earliest_start": {"name": "x", "forecast_id": fid, "shifts": []map[string]any{{"name": "s", "length_minutes": 480, "earliest_start": "8点", "latest_start": "09:00"}}},
				"variant":                  {"name": "x", "forecast_id": fid, "variant": "whatever"},
				"roster":                   {"name": "x", "forecast_id": fid, "roster": []int{1, 2}},
				"name":                     {"forecast_id": fid},
			} {
				r := h.do(tok, "POST", "/api/v1/staffing/plans", field)
				if r.Status != 422 || !strings.Contains(string(r.Body), `"`+body+`"`) {
					t.Errorf("plan %v: %d %s", field, r.Status, r.Body)
				}
			}
			if r := h.do(tok, "POST", "/api/v1/staffing/plans", map[string]any{"name": "x", "forecast_id": "nope"}); r.Status != 404 {
				t.Errorf("plan of a missing forecast: %d", r.Status)
			}

			// Listed, compared, exported.
			l := h.must(200, tok, "GET", "/api/v1/staffing/plans?forecast_id="+fid, nil).json(t)["items"].([]any)
			if len(l) != 2 || l[0].(map[string]any)["plan"] != nil {
				t.Fatalf("plans: %v", l)
			}
			if fl := h.must(200, tok, "GET", "/api/v1/staffing/forecasts", nil).json(t)["items"].([]any); len(fl) != 1 {
				t.Fatalf("forecasts: %v", fl)
			}
			cmp := h.must(200, tok, "GET", "/api/v1/staffing/plans/"+pa["id"].(string)+"/compare?with="+pb["id"].(string), nil).json(t)
			tot := cmp["totals"].(map[string]any)
			if tot["intervals"].(float64) != 336 || tot["changed_intervals"].(float64) == 0 || tot["scheduled_hours_delta"].(float64) >= 0 ||
				math.Abs(tot["scheduled_hours_delta"].(float64)-(pb["scheduled_hours"].(float64)-pa["scheduled_hours"].(float64))) > 1e-6 {
				t.Fatalf("compare totals: %v", tot)
			}
			crow := cmp["rows"].([]any)[2*48+20].(map[string]any)
			if crow["scheduled_delta"].(float64) != crow["scheduled_b"].(float64)-crow["scheduled_a"].(float64) {
				t.Fatalf("compare row: %v", crow)
			}
			if r := h.do(tok, "GET", "/api/v1/staffing/plans/"+pa["id"].(string)+"/compare", nil); r.Status != 422 {
				t.Fatalf("compare without with: %d", r.Status)
			}
			c := h.must(200, tok, "GET", "/api/v1/staffing/plans/"+pa["id"].(string)+"/csv", nil)
			if !strings.HasPrefix(c.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("csv type %q", c.Header.Get("Content-Type"))
			}
			recs, err := csv.NewReader(strings.NewReader(string(c.Body))).ReadAll()
			if err != nil || len(recs) != 337 || recs[0][0] != "queue" || !strings.Contains(strings.Join(recs[0], ","), "scheduled_远景外包") {
				t.Fatalf("csv: %v %d rows, header %v", err, len(recs), recs[0])
			}
			sc := h.must(200, tok, "GET", "/api/v1/staffing/plans/"+pa["id"].(string)+"/csv?part=shifts", nil)
			if !strings.HasPrefix(string(sc.Body), "provider,template,start,count\nin-house,") || !strings.Contains(string(sc.Body), "\n远景外包,") {
				t.Fatalf("shift csv: %.200s", sc.Body)
			}
			if r := h.do(tok, "GET", "/api/v1/staffing/plans/"+pa["id"].(string)+"/csv?part=x", nil); r.Status != 422 {
				t.Fatalf("csv part x: %d", r.Status)
			}
		})
	}
}
