package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/erlang"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/staffing"
	"github.com/kefu-project/kefu/internal/store"
)

// Staffing (issue 5): evaluate a staff, forecast from the contact history
// in the store, edit forecasts by hand, plan staff and shifts, compare and
// export plans. The math is internal/erlang and internal/staffing; this
// file turns requests into their inputs and keeps the results.

type EvalIn struct {
	Volume          float64 `json:"volume"`           // contacts offered per interval
	IntervalMinutes int     `json:"interval_minutes"` // default 30
	AHTSeconds      float64 `json:"aht_seconds"`
	Agents          int     `json:"agents,omitempty"` // evaluate this staff; 0: find the staff the target needs
	SL              float64 `json:"sl,omitempty"`     // 0.8 for 80/20 (default when no target is set)
	SLSeconds       float64 `json:"sl_seconds,omitempty"`
	ASASeconds      float64 `json:"asa_seconds,omitempty"`
	MaxOccupancy    float64 `json:"max_occupancy,omitempty"`
	PatienceSeconds float64 `json:"patience_seconds,omitempty"` // > 0: Erlang A
	MaxAbandon      float64 `json:"max_abandon,omitempty"`
	Shrinkage       float64 `json:"shrinkage,omitempty"`
}

// StaffingEval is what a staff gives (or what a target needs).
type StaffingEval struct {
	Model            string   `json:"model"` // erlang_c or erlang_a
	Erlangs          float64  `json:"erlangs"`
	Agents           int      `json:"agents"`
	Scheduled        int      `json:"scheduled"`
	ServiceLevel     float64  `json:"service_level"` // answered within sl_seconds over offered
	ServiceLevelMiss float64  `json:"service_level_miss"`
	SLSeconds        float64  `json:"sl_seconds"`
	ASASeconds       *float64 `json:"asa_seconds"` // over all contacts; null when an Erlang C pool is overloaded
	Occupancy        float64  `json:"occupancy"`
	PWait            float64  `json:"p_wait"`
	PAbandon         *float64 `json:"p_abandon,omitempty"`
	Stable           bool     `json:"stable"`
}

type EventIn struct {
	// Name: 双十一 (Double 11), 618, 双十二, 春节 (Spring Festival), 国庆
	// (National Day) are known and get their dates when none are given;
	// 调休 makes its dates make-up working days (worked as As). Any other
	// name needs dates.
	Name   string   `json:"name"`
	Kind   string   `json:"kind,omitempty"`
	Dates  []string `json:"dates,omitempty"`
	Uplift float64  `json:"uplift,omitempty"`
	As     string   `json:"as,omitempty"` // 调休: the weekday worked (monday…friday, 周一…周五); default monday
}

type MakeupIn struct {
	Date string `json:"date"`
	As   string `json:"as"`
}

type ForecastIn struct {
	Name            string     `json:"name"`
	QueueID         string     `json:"queue_id,omitempty"` // "" for every queue
	Channel         string     `json:"channel,omitempty"`
	IntervalMinutes int        `json:"interval_minutes,omitempty"` // 15, 30 (default) or 60
	Start           string     `json:"start"`                      // first day, YYYY-MM-DD in the tenant's time zone
	Days            int        `json:"days,omitempty"`             // default 7
	HistoryFrom     string     `json:"history_from,omitempty"`     // default 400 days before history_to
	HistoryTo       string     `json:"history_to,omitempty"`       // exclusive; default start
	Source          string     `json:"source,omitempty"`           // tickets, actuals, or "" (actuals when any)
	AHTSeconds      float64    `json:"aht_seconds,omitempty"`      // where history has no handle time (default 300)
	Events          []EventIn  `json:"events,omitempty"`
	Makeup          []MakeupIn `json:"makeup,omitempty"`
	BacktestWeeks   *int       `json:"backtest_weeks,omitempty"` // weeks held back to measure the error (default 4, 0 none)
}

type forecastEditIn struct {
	Version      int            `json:"version,omitempty"` // the version edited; a later one is a conflict
	Reason       string         `json:"reason,omitempty"`
	From         *time.Time     `json:"from,omitempty"`
	To           *time.Time     `json:"to,omitempty"`
	VolumeFactor float64        `json:"volume_factor,omitempty"`
	Volume       float64        `json:"volume,omitempty"`
	AHTSeconds   float64        `json:"aht_seconds,omitempty"`
	Intervals    []IntervalEdit `json:"intervals,omitempty"` // single intervals set outright
}

type IntervalEdit struct {
	Start      time.Time `json:"start"`
	Volume     float64   `json:"volume,omitempty"`
	AHTSeconds float64   `json:"aht_seconds,omitempty"`
}

type BreakIn struct {
	AfterMinutes  int `json:"after_minutes"`
	LengthMinutes int `json:"length_minutes"`
}

type ShiftIn struct {
	Name          string    `json:"name"`
	LengthMinutes int       `json:"length_minutes"`
	EarliestStart string    `json:"earliest_start"` // HH:MM
	LatestStart   string    `json:"latest_start"`   // HH:MM
	StepMinutes   int       `json:"step_minutes,omitempty"`
	Breaks        []BreakIn `json:"breaks,omitempty"`
}

type PlanIn struct {
	Name             string           `json:"name"`
	ForecastID       string           `json:"forecast_id"`
	SL               float64          `json:"sl,omitempty"` // default 0.8 when no target is set
	SLSeconds        float64          `json:"sl_seconds,omitempty"`
	ASASeconds       float64          `json:"asa_seconds,omitempty"`
	MaxOccupancy     float64          `json:"max_occupancy,omitempty"`
	PatienceSeconds  float64          `json:"patience_seconds,omitempty"`
	MaxAbandon       float64          `json:"max_abandon,omitempty"`
	Variant          string           `json:"variant,omitempty"`
	Shrinkage        float64          `json:"shrinkage,omitempty"`
	Vendors          []staffing.Share `json:"vendors,omitempty"`
	Shifts           []ShiftIn        `json:"shifts,omitempty"`
	ShiftTimeSeconds float64          `json:"shift_time_seconds,omitempty"` // per provider, default 2
	Roster           []int            `json:"roster,omitempty"`
}

type ActualsIn struct {
	QueueID         string      `json:"queue_id"`
	Channel         string      `json:"channel,omitempty"`
	IntervalMinutes int         `json:"interval_minutes"`
	Source          string      `json:"source,omitempty"`
	Rows            []ActualRow `json:"rows"`
}

type ActualRow struct {
	Start      time.Time `json:"start"`
	Offered    int64     `json:"offered"`
	Handled    int64     `json:"handled"`
	AHTSeconds float64   `json:"aht_seconds"`
}

type staffingImported struct {
	Rows int `json:"rows"`
}

// PlanComparison lines two plans up interval by interval.
type PlanComparison struct {
	A      store.SavedPlan `json:"a"`
	B      store.SavedPlan `json:"b"`
	Rows   []ComparedRow   `json:"rows"`
	Totals ComparedTotals  `json:"totals"`
}

// ComparedRow is one interval of two plans; deltas are B − A.
type ComparedRow struct {
	Start          time.Time `json:"start"`
	VolumeA        float64   `json:"volume_a"`
	VolumeB        float64   `json:"volume_b"`
	NeededA        int       `json:"needed_a"`
	NeededB        int       `json:"needed_b"`
	ScheduledA     int       `json:"scheduled_a"`
	ScheduledB     int       `json:"scheduled_b"`
	ScheduledDelta int       `json:"scheduled_delta"`
	ServiceLevelA  float64   `json:"service_level_a"`
	ServiceLevelB  float64   `json:"service_level_b"`
	AbandonA       float64   `json:"abandon_a"`
	AbandonB       float64   `json:"abandon_b"`
}

// ComparedTotals are the two plans' totals and their differences (B − A).
type ComparedTotals struct {
	Intervals           int     `json:"intervals"`
	ChangedIntervals    int     `json:"changed_intervals"`
	VolumeA             float64 `json:"volume_a"`
	VolumeB             float64 `json:"volume_b"`
	ScheduledHoursA     float64 `json:"scheduled_hours_a"`
	ScheduledHoursB     float64 `json:"scheduled_hours_b"`
	ScheduledHoursDelta float64 `json:"scheduled_hours_delta"`
	PeakScheduledA      int     `json:"peak_scheduled_a"`
	PeakScheduledB      int     `json:"peak_scheduled_b"`
	ServiceLevelA       float64 `json:"service_level_a"`
	ServiceLevelB       float64 `json:"service_level_b"`
	AbandonA            float64 `json:"abandon_a"`
	AbandonB            float64 `json:"abandon_b"`
	ShiftHeadsA         int     `json:"shift_heads_a"`
	ShiftHeadsB         int     `json:"shift_heads_b"`
}

// csvFile is a handler result served as text/csv.
type csvFile struct {
	name string
	body []byte
}

func (f csvFile) serve(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.name+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(f.body)
}

func (a *API) staffingRoutes() {
	a.add(&Route{Method: "POST", Path: "/api/v1/staffing/evaluate", Tag: "staffing",
		Summary: "Erlang C / Erlang A: what a staff gives (agents set) or the staff a target needs — service level, ASA, occupancy, P(wait), P(abandon)",
		Request: EvalIn{}, Response: StaffingEval{}}, func(c *call) (any, error) {
		var in EvalIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		return Evaluate(in)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/history", Tag: "staffing", Summary: "Contact history per interval from the store: tickets' arrivals, or imported actuals with handle time",
		Query: []Param{{"queue_id", "string", "default: every queue"}, {"channel", "string", ""}, {"interval_minutes", "integer", "15, 30 (default) or 60"},
			{"from", "string", "YYYY-MM-DD (default: 8 weeks ago)"}, {"to", "string", "YYYY-MM-DD, exclusive (default: today)"}, {"source", "string", "tickets, actuals, or empty: actuals when there are any"}},
		Response: store.History{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		loc, err := c.tenantZone()
		if err != nil {
			return nil, err
		}
		iv, err := c.qInt("interval_minutes", 30)
		if err != nil {
			return nil, err
		}
		today := midnight(c.a.o.Clock.Now(), loc)
		to, err := dateOr(c.q("to"), "to", loc, today.AddDate(0, 0, 1))
		if err != nil {
			return nil, err
		}
		from, err := dateOr(c.q("from"), "from", loc, to.AddDate(0, 0, -56))
		if err != nil {
			return nil, err
		}
		if err := c.queueOfTenant(c.q("queue_id")); err != nil {
			return nil, err
		}
		return c.a.s.ContactHistory(c.r.Context(), c.tenant(), store.HistoryQuery{QueueID: c.q("queue_id"), Channel: c.q("channel"),
			From: from, To: to, Interval: time.Duration(iv) * time.Minute, Source: c.q("source")})
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/staffing/actuals", Tag: "staffing",
		Summary: "Import interval actuals (offered, handled, handle time) from an ACD or a previous system; rows of the same queue, channel and start are replaced",
		Status:  http.StatusCreated, Request: ActualsIn{}, Response: staffingImported{}}, func(c *call) (any, error) {
		var in ActualsIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.requireStaffing(kefu.PermStaffingWrite); err != nil {
			return nil, err
		}
		if in.IntervalMinutes <= 0 || in.IntervalMinutes > 1440 {
			return nil, kefu.FieldError("interval_minutes", "the length of each row's interval, 1 to 1440")
		}
		if in.QueueID == "" {
			return nil, kefu.FieldError("queue_id", "required")
		}
		if len(in.Rows) > 50000 {
			return nil, kefu.FieldError("rows", "at most 50,000 rows per request")
		}
		rows := make([]store.StaffingActual, len(in.Rows))
		for i, r := range in.Rows {
			if r.AHTSeconds < 0 || math.IsNaN(r.AHTSeconds) || r.AHTSeconds > 86400 {
				return nil, kefu.FieldError(fmt.Sprintf("rows[%d].aht_seconds", i), "from 0 to 86400 seconds")
			}
			rows[i] = store.StaffingActual{QueueID: in.QueueID, Channel: in.Channel, Start: r.Start, Seconds: in.IntervalMinutes * 60,
				Offered: r.Offered, Handled: r.Handled, HandleSS: float64(r.Handled) * r.AHTSeconds, Source: in.Source}
		}
		n, err := c.a.s.PutStaffingActuals(c.r.Context(), c.tenant(), c.actor(), rows)
		return staffingImported{Rows: n}, err
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/staffing/forecasts", Tag: "staffing",
		Summary: "Forecast volume and handle time per interval from the store's history (weekly and intraday patterns, trend, holidays and events such as 双十一, 618, 春节, 调休), with the error on held-back weeks; saved",
		Status:  http.StatusCreated, Request: ForecastIn{}, Response: store.SavedForecast{}}, func(c *call) (any, error) {
		var in ForecastIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.requireStaffing(kefu.PermStaffingWrite); err != nil {
			return nil, err
		}
		loc, err := c.tenantZone()
		if err != nil {
			return nil, err
		}
		if err := c.queueOfTenant(in.QueueID); err != nil {
			return nil, err
		}
		f, err := BuildForecast(c.r.Context(), c.a.s, c.tenant(), loc, in)
		if err != nil {
			return nil, err
		}
		return c.a.s.CreateForecast(c.r.Context(), c.tenant(), c.actor(), f)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/forecasts", Tag: "staffing", Summary: "Saved forecasts, newest first (without their intervals)",
		Query: []Param{{"limit", "integer", ""}}, Response: page[store.SavedForecast]{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Forecasts(c.r.Context(), c.tenant(), limit)
		return list(l), err
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/forecasts/{id}", Tag: "staffing", Summary: "A saved forecast: intervals (model and edited values), uplifts, backtest, and every hand edit with who and when",
		Response: store.SavedForecast{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		return c.a.s.Forecast(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/staffing/forecasts/{id}", Tag: "staffing",
		Summary: "Edit a forecast by hand: scale or set volume or handle time over a range, or set single intervals; who, when and why are kept",
		Request: forecastEditIn{}, Response: store.SavedForecast{}}, func(c *call) (any, error) {
		var in forecastEditIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.requireStaffing(kefu.PermStaffingWrite); err != nil {
			return nil, err
		}
		f, err := c.a.s.Forecast(c.r.Context(), c.tenant(), c.id())
		if err != nil {
			return nil, err
		}
		by := c.p.User.ID
		var changes []staffing.Override
		if in.From != nil || in.To != nil || in.VolumeFactor != 0 || in.Volume != 0 || in.AHTSeconds != 0 {
			if in.From == nil || in.To == nil {
				return nil, kefu.Invalid("invalid_input", "a range edit needs from and to", map[string]string{"from": "required", "to": "required"})
			}
			changes = append(changes, staffing.Override{From: *in.From, To: *in.To, VolumeFactor: in.VolumeFactor, Volume: in.Volume, AHT: in.AHTSeconds, By: by, Reason: in.Reason})
		}
		step := time.Duration(f.IntervalMinutes) * time.Minute
		for _, iv := range in.Intervals {
			changes = append(changes, staffing.Override{From: iv.Start, To: iv.Start.Add(step), Volume: iv.Volume, AHT: iv.AHTSeconds, By: by, Reason: in.Reason})
		}
		if len(changes) == 0 {
			return nil, kefu.Invalid("invalid_input", "give a range (from, to and a change) or intervals", map[string]string{"intervals": "nothing to change"})
		}
		return c.a.s.EditForecast(c.r.Context(), c.tenant(), c.actor(), c.id(), in.Version, changes)
	})
	a.add(&Route{Method: "POST", Path: "/api/v1/staffing/plans", Tag: "staffing",
		Summary: "Plan staff from a forecast: per interval needed, scheduled in-house and per vendor, expected service level and abandonment; shifts per provider with their distance from the lower bound; saved",
		Status:  http.StatusCreated, Request: PlanIn{}, Response: store.SavedPlan{}}, func(c *call) (any, error) {
		var in PlanIn
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		if err := c.requireStaffing(kefu.PermStaffingWrite); err != nil {
			return nil, err
		}
		if in.ForecastID == "" {
			return nil, kefu.FieldError("forecast_id", "required")
		}
		f, err := c.a.s.Forecast(c.r.Context(), c.tenant(), in.ForecastID)
		if err != nil {
			return nil, err
		}
		p, err := BuildPlan(f, in)
		if err != nil {
			return nil, err
		}
		return c.a.s.CreatePlan(c.r.Context(), c.tenant(), c.actor(), p)
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/plans", Tag: "staffing", Summary: "Saved plans, newest first (without their rows)",
		Query: []Param{{"forecast_id", "string", "only plans made from this forecast"}, {"limit", "integer", ""}}, Response: page[store.SavedPlan]{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		limit, err := c.qInt("limit", 50)
		if err != nil {
			return nil, err
		}
		l, err := c.a.s.Plans(c.r.Context(), c.tenant(), c.q("forecast_id"), limit)
		return list(l), err
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/plans/{id}", Tag: "staffing", Summary: "A saved plan whole: inputs, rows per interval, shifts per provider",
		Response: store.SavedPlan{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		return c.a.s.Plan(c.r.Context(), c.tenant(), c.id())
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/plans/{id}/compare", Tag: "staffing", Summary: "Two plans side by side: per-interval differences (the other minus this) and totals",
		Query: []Param{{"with", "string", "the other plan's id (required)"}}, Response: PlanComparison{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		pa, err := c.a.s.Plan(c.r.Context(), c.tenant(), c.id())
		if err != nil {
			return nil, err
		}
		if c.q("with") == "" {
			return nil, kefu.FieldError("with", "the id of the plan to compare with")
		}
		pb, err := c.a.s.Plan(c.r.Context(), c.tenant(), c.q("with"))
		if err != nil {
			return nil, err
		}
		return ComparePlans(pa, pb), nil
	})
	a.add(&Route{Method: "GET", Path: "/api/v1/staffing/plans/{id}/csv", Tag: "staffing", Summary: "Export a plan as CSV: one row per interval (part=intervals, default) or per shift start and provider (part=shifts)",
		Query: []Param{{"part", "string", "intervals or shifts"}}, Response: csvFile{}}, func(c *call) (any, error) {
		if err := c.requireStaffing(kefu.PermStaffingRead); err != nil {
			return nil, err
		}
		p, err := c.a.s.Plan(c.r.Context(), c.tenant(), c.id())
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		switch c.q("part") {
		case "", "intervals":
			err = p.Body.Plan.WriteCSV(&buf)
		case "shifts":
			err = writeShiftsCSV(&buf, p.Body.Shifts)
		default:
			return nil, kefu.FieldError("part", "intervals or shifts")
		}
		if err != nil {
			return nil, kefu.Internal(err)
		}
		name := "plan-" + p.ID + ".csv"
		if c.q("part") == "shifts" {
			name = "plan-" + p.ID + "-shifts.csv"
		}
		return csvFile{name: name, body: buf.Bytes()}, nil
	})
}

func writeShiftsCSV(buf *bytes.Buffer, shifts []store.ProviderShifts) error {
	buf.WriteString("provider,template,start,count\n")
	for _, ps := range shifts {
		var b bytes.Buffer
		if err := ps.Plan.WriteCSV(&b); err != nil {
			return err
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		for _, l := range lines[1:] {
			buf.WriteString(ps.Provider + "," + l + "\n")
		}
	}
	return nil
}

func (c *call) tenantZone() (*time.Location, error) {
	t, err := c.a.s.Tenant(c.r.Context(), c.tenant())
	if err != nil {
		return nil, err
	}
	if t.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.FixedZone("CST", 8*3600), nil
	}
	return loc, nil
}

// queueOfTenant answers a field error for a queue id that is not the
// tenant's ("" is every queue).
func (c *call) queueOfTenant(id string) error {
	if id == "" {
		return nil
	}
	if _, err := c.a.s.Queue(c.r.Context(), c.tenant(), id); err != nil {
		if kefu.IsNotFound(err) {
			return kefu.FieldError("queue_id", "no such queue in this tenant")
		}
		return err
	}
	return nil
}

func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func parseDate(s, field string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, kefu.FieldError(field, "a date such as 2026-11-09")
	}
	return t, nil
}

func dateOr(s, field string, loc *time.Location, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	return parseDate(s, field, loc)
}

// Evaluate answers one queueing question: the figures of a given staff, or
// the staff a target needs.
func Evaluate(in EvalIn) (StaffingEval, error) {
	if in.IntervalMinutes == 0 {
		in.IntervalMinutes = 30
	}
	if in.SLSeconds == 0 {
		in.SLSeconds = 20
	}
	switch {
	case in.Volume < 0 || math.IsNaN(in.Volume) || in.Volume > 1e7:
		return StaffingEval{}, kefu.FieldError("volume", "contacts per interval, 0 to 10,000,000")
	case in.IntervalMinutes < 0 || in.IntervalMinutes > 1440:
		return StaffingEval{}, kefu.FieldError("interval_minutes", "1 to 1440")
	case in.AHTSeconds <= 0 || math.IsNaN(in.AHTSeconds):
		return StaffingEval{}, kefu.FieldError("aht_seconds", "required, above 0")
	case in.Agents < 0 || in.Agents > 100000:
		return StaffingEval{}, kefu.FieldError("agents", "0 to 100,000")
	case in.Shrinkage < 0 || in.Shrinkage >= 1:
		return StaffingEval{}, kefu.FieldError("shrinkage", "a share in [0, 1)")
	case in.PatienceSeconds < 0:
		return StaffingEval{}, kefu.FieldError("patience_seconds", "cannot be negative")
	case in.MaxAbandon != 0 && in.PatienceSeconds == 0:
		return StaffingEval{}, kefu.FieldError("max_abandon", "needs patience_seconds (Erlang C has no abandonment)")
	}
	tg, err := target(in.SL, in.SLSeconds, in.ASASeconds, in.MaxOccupancy, in.MaxAbandon, in.Agents > 0)
	if err != nil {
		return StaffingEval{}, err
	}
	a := erlang.Erlangs(in.Volume, in.AHTSeconds, float64(in.IntervalMinutes*60))
	var m erlang.Metrics
	if in.Agents > 0 {
		m = erlang.Queue{Agents: in.Agents, Erlangs: a, AHT: in.AHTSeconds, Patience: in.PatienceSeconds}.Eval(in.SLSeconds, 0)
		m.Agents = in.Agents
	} else if m, err = erlang.Agents(a, in.AHTSeconds, in.PatienceSeconds, tg); err != nil {
		return StaffingEval{}, kefu.Invalid("unreachable_target", err.Error(), map[string]string{"sl": err.Error()})
	}
	out := StaffingEval{Model: "erlang_c", Erlangs: a, Agents: m.Agents, Scheduled: erlang.Scheduled(m.Agents, in.Shrinkage),
		ServiceLevel: m.AnsweredWithin, ServiceLevelMiss: m.NotAnsweredWithin, SLSeconds: in.SLSeconds, Occupancy: m.Occupancy, PWait: m.PWait, Stable: m.Stable}
	if !math.IsInf(m.ASA, 0) && !math.IsNaN(m.ASA) {
		v := m.ASA
		out.ASASeconds = &v
	}
	if in.PatienceSeconds > 0 {
		out.Model = "erlang_a"
		v := m.PAbandon
		out.PAbandon = &v
	}
	return out, nil
}

func target(sl, slSeconds, asa, maxOcc, maxAb float64, evaluating bool) (erlang.Target, error) {
	if slSeconds == 0 {
		slSeconds = 20
	}
	tg := erlang.Target{SL: sl, SLSeconds: slSeconds, ASA: asa, MaxOccupancy: maxOcc, MaxAbandon: maxAb}
	if tg.SL == 0 && tg.ASA == 0 && tg.MaxOccupancy == 0 && tg.MaxAbandon == 0 && !evaluating {
		tg.SL = 0.8
	}
	switch {
	case tg.SL < 0 || tg.SL >= 1:
		return tg, kefu.FieldError("sl", "a share in [0, 1), e.g. 0.8 for 80/20")
	case tg.SLSeconds < 0:
		return tg, kefu.FieldError("sl_seconds", "cannot be negative")
	case tg.ASA < 0:
		return tg, kefu.FieldError("asa_seconds", "cannot be negative")
	case tg.MaxOccupancy < 0 || tg.MaxOccupancy > 1:
		return tg, kefu.FieldError("max_occupancy", "a share in (0, 1]")
	case tg.MaxAbandon < 0 || tg.MaxAbandon >= 1:
		return tg, kefu.FieldError("max_abandon", "a share in (0, 1)")
	}
	if err := tg.Validate(); err != nil {
		return tg, kefu.FieldError("sl", err.Error())
	}
	return tg, nil
}

// --- events ---

// Spring Festival (农历新年) by year: the first day of the lunar year.
var lunarNewYear = map[int]string{2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
	2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03"}

// eventName gives the canonical name of a known event, or the name as given.
func eventName(n string) (canonical string, known bool) {
	k := strings.ToLower(strings.Join(strings.Fields(n), ""))
	switch k {
	case "双十一", "双11", "雙十一", "雙11", "double11", "11.11", "1111", "光棍节", "光棍節":
		return "双十一", true
	case "618", "6.18", "六一八":
		return "618", true
	case "双十二", "双12", "雙十二", "雙12", "double12", "12.12":
		return "双十二", true
	case "春节", "春節", "springfestival", "chinesenewyear", "lunarnewyear", "农历新年", "農曆新年":
		return "春节", true
	case "国庆", "國慶", "国庆节", "國慶節", "nationalday":
		return "国庆", true
	case "调休", "調休", "makeup", "make-up", "makeupday", "补班", "補班":
		return "调休", true
	}
	return strings.TrimSpace(n), false
}

// knownDates lists the dates of a known event in the years [y0, y1].
func knownDates(name string, y0, y1 int) []string {
	var out []string
	add := func(t time.Time, n int) {
		for i := 0; i < n; i++ {
			out = append(out, t.AddDate(0, 0, i).Format("2006-01-02"))
		}
	}
	for y := y0; y <= y1; y++ {
		switch name {
		case "双十一":
			add(time.Date(y, 11, 10, 0, 0, 0, 0, time.UTC), 3) // the eve, the day, the day after
		case "618":
			add(time.Date(y, 6, 18, 0, 0, 0, 0, time.UTC), 1)
		case "双十二":
			add(time.Date(y, 12, 12, 0, 0, 0, 0, time.UTC), 1)
		case "国庆":
			add(time.Date(y, 10, 1, 0, 0, 0, 0, time.UTC), 7)
		case "春节":
			if d, ok := lunarNewYear[y]; ok {
				t, _ := time.Parse("2006-01-02", d)
				add(t.AddDate(0, 0, -1), 8) // New Year's Eve (除夕) and the week after
			}
		}
	}
	return out
}

func parseWeekday(s string) (time.Weekday, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "monday", "mon", "1", "周一", "星期一", "週一":
		return time.Monday, true
	case "tuesday", "tue", "2", "周二", "星期二", "週二":
		return time.Tuesday, true
	case "wednesday", "wed", "3", "周三", "星期三", "週三":
		return time.Wednesday, true
	case "thursday", "thu", "4", "周四", "星期四", "週四":
		return time.Thursday, true
	case "friday", "fri", "5", "周五", "星期五", "週五":
		return time.Friday, true
	}
	return 0, false
}

// calendar turns the request's events into the forecast's calendar.
func calendar(events []EventIn, makeup []MakeupIn, y0, y1 int) (staffing.Calendar, error) {
	var cal staffing.Calendar
	checkDates := func(field string, ds []string) error {
		for j, d := range ds {
			if _, err := time.Parse("2006-01-02", d); err != nil {
				return kefu.FieldError(fmt.Sprintf("%s.dates[%d]", field, j), "a date such as 2026-11-11")
			}
		}
		return nil
	}
	seen := map[string]int{}
	for i, e := range events {
		field := fmt.Sprintf("events[%d]", i)
		name, known := eventName(e.Name)
		if name == "" {
			return cal, kefu.FieldError(field+".name", "required")
		}
		if e.Uplift < 0 || e.Uplift > 100 {
			return cal, kefu.FieldError(field+".uplift", "a factor over a normal day, 0 to 100")
		}
		dates := e.Dates
		if len(dates) == 0 && known {
			dates = knownDates(name, y0, y1)
		}
		if len(dates) == 0 {
			return cal, kefu.FieldError(field+".dates", "required for an event kefu does not know ("+e.Name+")")
		}
		if err := checkDates(field, dates); err != nil {
			return cal, err
		}
		if name == "调休" {
			as, ok := parseWeekday(e.As)
			if !ok {
				return cal, kefu.FieldError(field+".as", "the weekday worked, monday to friday (周一…周五)")
			}
			for _, d := range dates {
				cal.Makeup = append(cal.Makeup, staffing.MakeupDay{Date: d, As: as})
			}
			continue
		}
		kind := e.Kind
		if kind == "" {
			kind = "event"
			if name == "春节" || name == "国庆" {
				kind = "holiday"
			}
		}
		if j, ok := seen[name]; ok { // the same event twice: one list of dates
			cal.Events[j].Dates = append(cal.Events[j].Dates, dates...)
			continue
		}
		seen[name] = len(cal.Events)
		cal.Events = append(cal.Events, staffing.Event{Name: name, Kind: kind, Dates: dates, Uplift: e.Uplift})
	}
	for i, m := range makeup {
		if _, err := time.Parse("2006-01-02", m.Date); err != nil {
			return cal, kefu.FieldError(fmt.Sprintf("makeup[%d].date", i), "a date such as 2026-10-10")
		}
		as, ok := parseWeekday(m.As)
		if !ok {
			return cal, kefu.FieldError(fmt.Sprintf("makeup[%d].as", i), "the weekday worked, monday to friday (周一…周五)")
		}
		cal.Makeup = append(cal.Makeup, staffing.MakeupDay{Date: m.Date, As: as})
	}
	// A date in two events would be ambiguous.
	owner := map[string]string{}
	for _, e := range cal.Events {
		for _, d := range e.Dates {
			if o, ok := owner[d]; ok && o != e.Name {
				return cal, kefu.FieldError("events", d+" is in both "+o+" and "+e.Name)
			}
			owner[d] = e.Name
		}
	}
	return cal, nil
}

// BuildForecast reads the history the request names from the store and
// forecasts from it (not saved). Exported for `kefu staffing demo`.
func BuildForecast(ctx context.Context, s *store.Store, tenantID string, loc *time.Location, in ForecastIn) (store.SavedForecast, error) {
	if strings.TrimSpace(in.Name) == "" {
		return store.SavedForecast{}, kefu.FieldError("name", "required")
	}
	if in.IntervalMinutes == 0 {
		in.IntervalMinutes = 30
	}
	switch in.IntervalMinutes {
	case 15, 30, 60:
	default:
		return store.SavedForecast{}, kefu.FieldError("interval_minutes", "15, 30 or 60")
	}
	if in.Days == 0 {
		in.Days = 7
	}
	if in.Days < 1 || in.Days > 62 {
		return store.SavedForecast{}, kefu.FieldError("days", "1 to 62")
	}
	if in.AHTSeconds == 0 {
		in.AHTSeconds = 300
	}
	if in.AHTSeconds < 0 || in.AHTSeconds > 86400 {
		return store.SavedForecast{}, kefu.FieldError("aht_seconds", "seconds, above 0")
	}
	weeks := 4
	if in.BacktestWeeks != nil {
		weeks = *in.BacktestWeeks
	}
	if weeks < 0 || weeks > 12 {
		return store.SavedForecast{}, kefu.FieldError("backtest_weeks", "0 to 12")
	}
	if in.Start == "" {
		return store.SavedForecast{}, kefu.FieldError("start", "required: the first day, such as 2026-11-09")
	}
	start, err := parseDate(in.Start, "start", loc)
	if err != nil {
		return store.SavedForecast{}, err
	}
	to, err := dateOr(in.HistoryTo, "history_to", loc, start)
	if err != nil {
		return store.SavedForecast{}, err
	}
	if to.After(start) {
		return store.SavedForecast{}, kefu.FieldError("history_to", "the history must end before the forecast starts")
	}
	from, err := dateOr(in.HistoryFrom, "history_from", loc, to.AddDate(0, 0, -400))
	if err != nil {
		return store.SavedForecast{}, err
	}
	if !from.Before(to) {
		return store.SavedForecast{}, kefu.FieldError("history_from", "must be before history_to")
	}
	if to.Sub(from) > 3*366*24*time.Hour {
		return store.SavedForecast{}, kefu.FieldError("history_from", "at most three years of history")
	}
	cal, err := calendar(in.Events, in.Makeup, from.Year(), start.AddDate(0, 0, in.Days).Year())
	if err != nil {
		return store.SavedForecast{}, err
	}
	step := time.Duration(in.IntervalMinutes) * time.Minute
	h, err := s.ContactHistory(ctx, tenantID, store.HistoryQuery{QueueID: in.QueueID, Channel: in.Channel, From: from, To: to, Interval: step, Source: in.Source})
	if err != nil {
		return store.SavedForecast{}, err
	}
	if len(h.Buckets) == 0 {
		return store.SavedForecast{}, kefu.FieldError("history_from", fmt.Sprintf("no contacts between %s and %s to forecast from", from.Format("2006-01-02"), to.Format("2006-01-02")))
	}
	// Every interval between the first and the last day with contacts:
	// an interval without a row had none.
	byStart := make(map[int64]store.HistoryBucket, len(h.Buckets))
	for _, b := range h.Buckets {
		byStart[b.Start.Unix()] = b
	}
	body := store.ForecastBody{Calendar: cal, HistoryFrom: from, HistoryTo: to, AHTSource: "given", GivenAHT: in.AHTSeconds}
	var hist []staffing.Interval
	first := midnight(h.Buckets[0].Start, loc)
	last := midnight(h.Buckets[len(h.Buckets)-1].Start, loc).AddDate(0, 0, 1)
	for t := first; t.Before(last); t = t.Add(step) {
		b := byStart[t.Unix()]
		iv := staffing.Interval{Start: t, Volume: float64(b.Offered), AHT: in.AHTSeconds}
		if b.Handled > 0 {
			iv.AHT = b.HandleSeconds / float64(b.Handled)
			body.AHTSource = "history"
		}
		hist = append(hist, iv)
	}
	if body.AHTSource == "given" {
		body.Notes = append(body.Notes, fmt.Sprintf("the %s history records no handle time: every interval is planned at the given %g s (import actuals for real handle times)", h.Source, in.AHTSeconds))
	}
	o := staffing.Options{Interval: step, Location: loc}
	fc, err := staffing.MakeForecast(hist, cal, start, in.Days, o)
	if err != nil {
		return store.SavedForecast{}, kefu.FieldError("history_from", strings.TrimPrefix(err.Error(), "staffing: "))
	}
	body.Forecast = fc
	if weeks > 0 {
		acc, err := staffing.Backtest(hist, cal, weeks, o)
		if err != nil {
			body.Notes = append(body.Notes, "no backtest: "+strings.TrimPrefix(err.Error(), "staffing: "))
		} else {
			body.Accuracy = &acc
		}
	}
	return store.SavedForecast{Name: in.Name, QueueID: in.QueueID, Channel: in.Channel, IntervalMinutes: in.IntervalMinutes, Start: start, Days: in.Days,
		Source: h.Source, Body: body}, nil
}

func timeOfDay(s, field string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * time.Hour, nil
		}
		return 0, kefu.FieldError(field, "a time of day such as 08:30")
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func templates(in []ShiftIn) ([]staffing.ShiftTemplate, error) {
	var out []staffing.ShiftTemplate
	for i, s := range in {
		field := fmt.Sprintf("shifts[%d]", i)
		if s.Name == "" {
			return nil, kefu.FieldError(field+".name", "required")
		}
		if s.LengthMinutes <= 0 || s.LengthMinutes > 16*60 {
			return nil, kefu.FieldError(field+".length_minutes", "1 to 960")
		}
		if s.StepMinutes < 0 {
			return nil, kefu.FieldError(field+".step_minutes", "cannot be negative")
		}
		e, err := timeOfDay(s.EarliestStart, field+".earliest_start")
		if err != nil {
			return nil, err
		}
		l, err := timeOfDay(s.LatestStart, field+".latest_start")
		if err != nil {
			return nil, err
		}
		t := staffing.ShiftTemplate{Name: s.Name, Length: time.Duration(s.LengthMinutes) * time.Minute, EarliestStart: e, LatestStart: l,
			StartStep: time.Duration(s.StepMinutes) * time.Minute}
		for _, b := range s.Breaks {
			t.Breaks = append(t.Breaks, staffing.Break{After: time.Duration(b.AfterMinutes) * time.Minute, Length: time.Duration(b.LengthMinutes) * time.Minute})
		}
		out = append(out, t)
	}
	return out, nil
}

// BuildPlan plans staff and shifts from a saved forecast (not saved).
// Exported for `kefu staffing demo`.
func BuildPlan(f store.SavedForecast, in PlanIn) (store.SavedPlan, error) {
	if strings.TrimSpace(in.Name) == "" {
		return store.SavedPlan{}, kefu.FieldError("name", "required")
	}
	switch {
	case in.Shrinkage < 0 || in.Shrinkage >= 1:
		return store.SavedPlan{}, kefu.FieldError("shrinkage", "a share in [0, 1)")
	case in.PatienceSeconds < 0:
		return store.SavedPlan{}, kefu.FieldError("patience_seconds", "cannot be negative")
	case in.MaxAbandon != 0 && in.PatienceSeconds == 0:
		return store.SavedPlan{}, kefu.FieldError("max_abandon", "needs patience_seconds (Erlang C has no abandonment)")
	case in.ShiftTimeSeconds < 0 || in.ShiftTimeSeconds > 10:
		return store.SavedPlan{}, kefu.FieldError("shift_time_seconds", "0 to 10")
	case in.Roster != nil && len(in.Roster) != len(f.Body.Intervals):
		return store.SavedPlan{}, kefu.FieldError("roster", fmt.Sprintf("one count per forecast interval: %d", len(f.Body.Intervals)))
	}
	if _, err := staffing.VariantByName(in.Variant); err != nil {
		return store.SavedPlan{}, kefu.FieldError("variant", err.Error())
	}
	tg, err := target(in.SL, in.SLSeconds, in.ASASeconds, in.MaxOccupancy, in.MaxAbandon, false)
	if err != nil {
		return store.SavedPlan{}, err
	}
	tmpls, err := templates(in.Shifts)
	if err != nil {
		return store.SavedPlan{}, err
	}
	step := time.Duration(f.IntervalMinutes) * time.Minute
	queue := f.QueueID
	if queue == "" {
		queue = "all"
	}
	p, err := staffing.MakePlan(staffing.PlanInput{Queue: queue, Interval: step, Intervals: f.Body.Intervals, Target: tg, Patience: in.PatienceSeconds,
		Variant: in.Variant, Shrinkage: in.Shrinkage, Vendors: in.Vendors, Roster: in.Roster})
	if err != nil {
		return store.SavedPlan{}, kefu.FieldError("vendors", strings.TrimPrefix(err.Error(), "staffing: "))
	}
	raw, _ := json.Marshal(in)
	out := store.SavedPlan{Name: in.Name, ForecastID: f.ID, ForecastVersion: f.Version, QueueID: f.QueueID, IntervalMinutes: f.IntervalMinutes,
		Start: f.Start, Volume: p.Volume, ScheduledHours: p.ScheduledHours, ServiceLevel: p.ServiceLevel.Value, Abandon: p.Abandon,
		Body: &store.PlanBody{Inputs: raw, Plan: p}}
	if len(tmpls) > 0 {
		limit := time.Duration(in.ShiftTimeSeconds * float64(time.Second))
		if limit == 0 {
			limit = 2 * time.Second
		}
		var worked, bound float64
		for k, name := range p.Providers {
			need := make([]int, len(p.Rows))
			total := 0
			for i, r := range p.Rows {
				need[i] = r.Split[k].Heads
				total += need[i]
			}
			if total == 0 {
				continue
			}
			sp, err := staffing.PlanShifts(staffing.ShiftInput{Start: f.Start, Interval: step, Need: need, Templates: tmpls, TimeLimit: limit})
			if err != nil {
				return store.SavedPlan{}, kefu.FieldError("shifts", strings.TrimPrefix(err.Error(), "staffing: "))
			}
			out.Body.Shifts = append(out.Body.Shifts, store.ProviderShifts{Provider: name, Plan: sp})
			out.ShiftHeads += sp.Heads
			worked += sp.WorkedHours
			bound += sp.LowerBoundHours
		}
		if bound > 0 {
			out.GapPercent = 100 * (worked - bound) / bound
		}
	}
	return out, nil
}

// ComparePlans lines two plans up by interval start: every interval of
// either plan, with B − A, and the totals.
func ComparePlans(a, b store.SavedPlan) PlanComparison {
	cmp := PlanComparison{Rows: []ComparedRow{}}
	rows := map[int64]*ComparedRow{}
	get := func(t time.Time) *ComparedRow {
		r, ok := rows[t.Unix()]
		if !ok {
			r = &ComparedRow{Start: t}
			rows[t.Unix()] = r
		}
		return r
	}
	for _, r := range a.Body.Plan.Rows {
		x := get(r.Start)
		x.VolumeA, x.NeededA, x.ScheduledA, x.ServiceLevelA, x.AbandonA = r.Volume, r.Needed, r.Scheduled, r.ServiceLevel, r.Abandon
		cmp.Totals.PeakScheduledA = max(cmp.Totals.PeakScheduledA, r.Scheduled)
	}
	for _, r := range b.Body.Plan.Rows {
		x := get(r.Start)
		x.VolumeB, x.NeededB, x.ScheduledB, x.ServiceLevelB, x.AbandonB = r.Volume, r.Needed, r.Scheduled, r.ServiceLevel, r.Abandon
		cmp.Totals.PeakScheduledB = max(cmp.Totals.PeakScheduledB, r.Scheduled)
	}
	for _, r := range rows {
		r.ScheduledDelta = r.ScheduledB - r.ScheduledA
		if r.ScheduledDelta != 0 {
			cmp.Totals.ChangedIntervals++
		}
		cmp.Rows = append(cmp.Rows, *r)
	}
	sort.Slice(cmp.Rows, func(i, j int) bool { return cmp.Rows[i].Start.Before(cmp.Rows[j].Start) })
	t := &cmp.Totals
	t.Intervals = len(cmp.Rows)
	t.VolumeA, t.VolumeB = a.Volume, b.Volume
	t.ScheduledHoursA, t.ScheduledHoursB = a.ScheduledHours, b.ScheduledHours
	t.ScheduledHoursDelta = b.ScheduledHours - a.ScheduledHours
	t.ServiceLevelA, t.ServiceLevelB = a.ServiceLevel, b.ServiceLevel
	t.AbandonA, t.AbandonB = a.Abandon, b.Abandon
	t.ShiftHeadsA, t.ShiftHeadsB = a.ShiftHeads, b.ShiftHeads
	a.Body, b.Body = nil, nil
	cmp.A, cmp.B = a, b
	return cmp
}

// requireStaffing checks a staffing permission held over the whole tenant:
// staffing plans the whole center (its queues serve every organization),
// so a grant over one organization would show the others' volumes.
func (c *call) requireStaffing(perm kefu.Permission) error {
	sc, err := c.scope(perm)
	if err != nil {
		return err
	}
	if sc.OrgIDs != nil {
		return kefu.Forbidden("whole_tenant_only", "staffing covers the whole center: it needs "+string(perm)+" granted over the whole tenant")
	}
	return nil
}
