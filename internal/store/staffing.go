package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/staffing"
)

// Staffing (issue 5): the contact history a forecast reads, interval
// actuals imported from an ACD or a previous system, saved forecasts with
// every hand edit, and saved plans.
//
// Where the history comes from. Tickets record when each contact arrived
// (created_at, per queue and channel), so volume per interval is a GROUP BY
// on a time bucket of tickets. kefu does not yet time the work on a
// contact, so tickets carry no handle time: that comes from imported
// actuals (offered, handled, handle seconds per interval), or from the
// forecast request. Source "actuals" reads the imported rows, "tickets" the
// tickets; "" picks actuals when the range holds any, else tickets.

// Sources of contact history.
const (
	HistoryTickets = "tickets"
	HistoryActuals = "actuals"
)

// StaffingActual is one interval of imported history.
type StaffingActual struct {
	QueueID  string    `json:"queue_id"`
	Channel  string    `json:"channel,omitempty"`
	Start    time.Time `json:"start"`
	Seconds  int       `json:"seconds"`
	Offered  int64     `json:"offered"`
	Handled  int64     `json:"handled"`
	HandleSS float64   `json:"handle_seconds"` // total over handled contacts
	Source   string    `json:"source,omitempty"`
}

// HistoryQuery asks for a queue's contact history in buckets of Interval
// from From (a local midnight, so buckets line up with the forecast's
// intervals) to To.
type HistoryQuery struct {
	QueueID  string // "" for every queue
	Channel  string // "" for every channel
	From, To time.Time
	Interval time.Duration
	Source   string // HistoryTickets, HistoryActuals or "" (actuals if any)
}

// HistoryBucket is one interval of history. Handled and HandleSeconds are
// zero where the source has no handle time (tickets).
type HistoryBucket struct {
	Start         time.Time `json:"start"`
	Offered       int64     `json:"offered"`
	Handled       int64     `json:"handled"`
	HandleSeconds float64   `json:"handle_seconds"`
}

// History is what ContactHistory found.
type History struct {
	Source  string          `json:"source"`
	Buckets []HistoryBucket `json:"buckets"`
}

// maxIntervalContacts bounds one interval's counts: far above any center,
// far below what would overflow the sums of a year.
const maxIntervalContacts = 10_000_000

// PutStaffingActuals saves imported interval actuals, replacing rows of the
// same queue, channel and start. All rows must name a queue of the tenant.
func (s *Store) PutStaffingActuals(ctx context.Context, tenantID string, a Actor, rows []StaffingActual) (int, error) {
	if len(rows) == 0 {
		return 0, kefu.FieldError("rows", "no rows")
	}
	seen := make(map[[3]string]int, len(rows))
	for i, r := range rows {
		f := func(field, msg string) error { return kefu.FieldError(fmt.Sprintf("rows[%d].%s", i, field), msg) }
		switch {
		case r.QueueID == "":
			return 0, f("queue_id", "required")
		case r.Start.IsZero():
			return 0, f("start", "required")
		case r.Seconds <= 0 || r.Seconds > 86400:
			return 0, f("seconds", "the interval length in seconds, up to a day")
		case r.Offered < 0 || r.Handled < 0 || r.HandleSS < 0:
			return 0, f("offered", "counts and handle seconds cannot be negative")
		case r.Handled > r.Offered:
			return 0, f("handled", "more handled than offered")
		case r.Offered > maxIntervalContacts:
			return 0, f("offered", "at most 10,000,000 contacts an interval")
		case math.IsNaN(r.HandleSS) || r.HandleSS > 86400*float64(max(r.Handled, 1)):
			return 0, f("handle_seconds", "at most a day per handled contact")
		}
		key := [3]string{r.QueueID, r.Channel, r.Start.UTC().Format(time.RFC3339Nano)}
		if j, dup := seen[key]; dup {
			return 0, f("start", fmt.Sprintf("the same queue, channel and start as rows[%d]", j))
		}
		seen[key] = i
	}
	now := us(s.Now())
	err := s.Write(ctx, func(tx *Tx) error {
		checked := map[string]bool{}
		for _, r := range rows {
			if !checked[r.QueueID] {
				if err := tx.checkRef("queues", "queue_id", tenantID, r.QueueID); err != nil {
					return err
				}
				checked[r.QueueID] = true
			}
		}
		// Several rows per statement: a year of half-hours is 17,520 rows.
		const per = 200
		for i := 0; i < len(rows); i += per {
			chunk := rows[i:min(i+per, len(rows))]
			var sb strings.Builder
			sb.WriteString(`INSERT INTO staffing_actuals (tenant_id, queue_id, channel, start_at, seconds, offered, handled, handle_seconds, source, updated_at) VALUES `)
			args := make([]any, 0, len(chunk)*10)
			for j, r := range chunk {
				if j > 0 {
					sb.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
				args = append(args, tenantID, r.QueueID, r.Channel, us(r.Start), r.Seconds, r.Offered, r.Handled, r.HandleSS, r.Source, now)
			}
			sb.WriteString(` ON CONFLICT (tenant_id, queue_id, channel, start_at) DO UPDATE SET seconds = excluded.seconds, offered = excluded.offered,
				handled = excluded.handled, handle_seconds = excluded.handle_seconds, source = excluded.source, updated_at = excluded.updated_at`)
			if _, err := tx.exec(sb.String(), args...); err != nil {
				return kefu.Internal(err)
			}
		}
		first, last := rows[0].Start, rows[0].Start
		for _, r := range rows {
			if r.Start.Before(first) {
				first = r.Start
			}
			if r.Start.After(last) {
				last = r.Start
			}
		}
		tx.SetResult(map[string]int{"rows": len(rows)})
		return tx.Event(tenantID, a, "staffing.actuals_imported", "tenant", tenantID, "", nil,
			map[string]any{"rows": len(rows), "from": first, "to": last})
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// ContactHistory aggregates a tenant's contact history into interval
// counts in the database (GROUP BY on the bucket number), so a year of
// history comes back as 17,520 rows at most, not as millions of tickets.
func (s *Store) ContactHistory(ctx context.Context, tenantID string, q HistoryQuery) (History, error) {
	if q.Interval <= 0 || (24*time.Hour)%q.Interval != 0 {
		return History{}, kefu.FieldError("interval", "must divide a day (15, 30 or 60 minutes)")
	}
	if !q.To.After(q.From) {
		return History{}, kefu.FieldError("history_to", "must be after history_from")
	}
	src := q.Source
	switch src {
	case "":
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM staffing_actuals WHERE tenant_id = $1 AND start_at >= $2 AND start_at < $3 LIMIT 1) x`,
			tenantID, us(q.From), us(q.To)).Scan(&n); err != nil {
			return History{}, kefu.Internal(err)
		}
		src = HistoryTickets
		if n > 0 {
			src = HistoryActuals
		}
	case HistoryTickets, HistoryActuals:
	default:
		return History{}, kefu.FieldError("source", "tickets, actuals, or empty for actuals when there are any")
	}
	step := q.Interval.Microseconds()
	args := []any{tenantID, us(q.From), us(q.To), step}
	var where string
	if q.QueueID != "" {
		args = append(args, q.QueueID)
		where += fmt.Sprintf(" AND queue_id = $%d", len(args))
	}
	if q.Channel != "" {
		args = append(args, q.Channel)
		where += fmt.Sprintf(" AND channel = $%d", len(args))
	}
	var query string
	if src == HistoryTickets {
		query = `SELECT (created_at - $2) / $4 AS b, COUNT(*), 0, 0 FROM tickets
			WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3` + where + ` GROUP BY (created_at - $2) / $4 ORDER BY b`
	} else {
		query = `SELECT (start_at - $2) / $4 AS b, CAST(SUM(offered) AS BIGINT), CAST(SUM(handled) AS BIGINT), SUM(handle_seconds) FROM staffing_actuals
			WHERE tenant_id = $1 AND start_at >= $2 AND start_at < $3` + where + ` GROUP BY (start_at - $2) / $4 ORDER BY b`
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return History{}, kefu.Internal(err)
	}
	defer rows.Close()
	h := History{Source: src, Buckets: []HistoryBucket{}}
	for rows.Next() {
		var b HistoryBucket
		var n int64
		if err := rows.Scan(&n, &b.Offered, &b.Handled, &b.HandleSeconds); err != nil {
			return History{}, kefu.Internal(err)
		}
		b.Start = q.From.Add(time.Duration(n) * q.Interval)
		h.Buckets = append(h.Buckets, b)
	}
	return h, kefu.InternalOrNil(rows.Err())
}

// SavedForecast is a forecast kept for planning and editing by hand.
type SavedForecast struct {
	ID              string             `json:"id"`
	QueueID         string             `json:"queue_id,omitempty"`
	Channel         string             `json:"channel,omitempty"`
	Name            string             `json:"name"`
	IntervalMinutes int                `json:"interval_minutes"`
	Start           time.Time          `json:"start"`
	Days            int                `json:"days"`
	Source          string             `json:"source"`
	Version         int                `json:"version"`
	CreatedBy       string             `json:"created_by"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedBy       string             `json:"updated_by"`
	UpdatedAt       time.Time          `json:"updated_at"`
	Body            ForecastBody       `json:"forecast"`
	Edits           []ForecastEdit     `json:"edits"`
	Summary         *ForecastSummary   `json:"summary,omitempty"`
	Accuracy        *staffing.Accuracy `json:"accuracy,omitempty"`
}

// ForecastBody is the stored document of a forecast.
type ForecastBody struct {
	staffing.Forecast
	Calendar    staffing.Calendar  `json:"calendar"`
	Accuracy    *staffing.Accuracy `json:"accuracy,omitempty"`
	HistoryFrom time.Time          `json:"history_from"`
	HistoryTo   time.Time          `json:"history_to"`
	// AHTSource says where handle time came from: "history" (imported
	// actuals) or "given" (the request's aht_seconds, tickets having none).
	AHTSource string  `json:"aht_source"`
	GivenAHT  float64 `json:"given_aht_seconds,omitempty"`
	// Notes say what the forecast could not do (too little history to
	// hold weeks back, …).
	Notes []string `json:"notes,omitempty"`
}

// ForecastSummary is what a list of forecasts shows.
type ForecastSummary struct {
	Volume     float64   `json:"volume"`
	PeakStart  time.Time `json:"peak_start"`
	PeakVolume float64   `json:"peak_volume"`
}

// ForecastEdit is one hand edit of a forecast.
type ForecastEdit struct {
	ID      string            `json:"id"`
	Version int               `json:"version"`
	By      string            `json:"by"`
	At      time.Time         `json:"at"`
	Reason  string            `json:"reason,omitempty"`
	Change  staffing.Override `json:"change"`
}

func summarize(f staffing.Forecast) *ForecastSummary {
	sum := &ForecastSummary{}
	for _, iv := range f.Intervals {
		sum.Volume += iv.Volume
		if iv.Volume > sum.PeakVolume {
			sum.PeakVolume, sum.PeakStart = iv.Volume, iv.Start
		}
	}
	return sum
}

// CreateForecast saves a new forecast.
func (s *Store) CreateForecast(ctx context.Context, tenantID string, a Actor, f SavedForecast) (SavedForecast, error) {
	if strings.TrimSpace(f.Name) == "" {
		return f, kefu.FieldError("name", "required")
	}
	body, err := json.Marshal(f.Body)
	if err != nil {
		return f, kefu.Internal(err)
	}
	now := s.Now()
	f.ID, f.Version, f.CreatedBy, f.UpdatedBy, f.CreatedAt, f.UpdatedAt = newID(), 1, a.ID, a.ID, now, now
	f.Edits = []ForecastEdit{}
	f.Summary = summarize(f.Body.Forecast)
	f.Accuracy = f.Body.Accuracy
	err = s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("queues", "queue_id", tenantID, f.QueueID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO staffing_forecasts (id, tenant_id, queue_id, channel, name, interval_seconds, start_at, days, source, body, version, created_by, created_at, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $11, $12)`,
			f.ID, tenantID, f.QueueID, f.Channel, f.Name, f.IntervalMinutes*60, us(f.Start), f.Days, f.Source, string(body), a.ID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(f)
		return tx.Event(tenantID, a, "staffing.forecast_created", "staffing_forecast", f.ID, "", nil,
			map[string]any{"name": f.Name, "queue_id": f.QueueID, "start": f.Start, "days": f.Days, "volume": f.Summary.Volume})
	})
	return f, err
}

// Forecast reads a saved forecast with its edits.
func (s *Store) Forecast(ctx context.Context, tenantID, id string) (SavedForecast, error) {
	return forecastRow(ctx, s.db, tenantID, id, true)
}

func forecastRow(ctx context.Context, q querier, tenantID, id string, edits bool) (SavedForecast, error) {
	var f SavedForecast
	var iv, start, created, updated int64
	var body string
	err := q.QueryRowContext(ctx, `SELECT id, queue_id, channel, name, interval_seconds, start_at, days, source, body, version, created_by, created_at, updated_by, updated_at
		FROM staffing_forecasts WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&f.ID, &f.QueueID, &f.Channel, &f.Name, &iv, &start, &f.Days, &f.Source,
		&body, &f.Version, &f.CreatedBy, &created, &f.UpdatedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return f, kefu.NotFound("forecast")
	}
	if err != nil {
		return f, kefu.Internal(err)
	}
	f.IntervalMinutes, f.Start, f.CreatedAt, f.UpdatedAt = int(iv/60), fromUS(start), fromUS(created), fromUS(updated)
	if err := json.Unmarshal([]byte(body), &f.Body); err != nil {
		return f, kefu.Internal(err)
	}
	f.Summary = summarize(f.Body.Forecast)
	f.Accuracy = f.Body.Accuracy
	f.Edits = []ForecastEdit{}
	if !edits {
		return f, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, version, by_user, at, reason, change FROM staffing_forecast_edits WHERE tenant_id = $1 AND forecast_id = $2 ORDER BY at, version`, tenantID, id)
	if err != nil {
		return f, kefu.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e ForecastEdit
		var at int64
		var ch string
		if err := rows.Scan(&e.ID, &e.Version, &e.By, &at, &e.Reason, &ch); err != nil {
			return f, kefu.Internal(err)
		}
		e.At = fromUS(at)
		_ = json.Unmarshal([]byte(ch), &e.Change)
		f.Edits = append(f.Edits, e)
	}
	return f, kefu.InternalOrNil(rows.Err())
}

// Forecasts lists a tenant's saved forecasts, newest first, without their
// intervals.
func (s *Store) Forecasts(ctx context.Context, tenantID string, limit int) ([]SavedForecast, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM staffing_forecasts WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, clampLimit(limit))
	if err != nil {
		return nil, kefu.Internal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, kefu.Internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, kefu.Internal(err)
	}
	out := []SavedForecast{}
	for _, id := range ids {
		f, err := forecastRow(ctx, s.db, tenantID, id, false)
		if err != nil {
			return nil, err
		}
		f.Body.Intervals = nil
		out = append(out, f)
	}
	return out, nil
}

// EditForecast changes a forecast by hand: each change is applied to the
// intervals it covers, the model's numbers are kept beside, and each is
// recorded with who made it and when. All changes of one call make one new
// version; version, if not 0, must be the forecast's current version
// (someone else's edit in between is a conflict).
func (s *Store) EditForecast(ctx context.Context, tenantID string, a Actor, id string, version int, changes []staffing.Override) (SavedForecast, error) {
	if len(changes) == 0 {
		return SavedForecast{}, kefu.FieldError("change", "nothing to change")
	}
	err := s.Write(ctx, func(tx *Tx) error {
		f, err := forecastRow(ctx, tx.sql(), tenantID, id, false)
		if err != nil {
			return err
		}
		read := f.Version
		if version != 0 && version != f.Version {
			return kefu.Conflict("forecast_changed", fmt.Sprintf("the forecast is at version %d, not %d: someone edited it meanwhile", f.Version, version))
		}
		now := s.Now()
		f.Version++
		var applied []staffing.Override
		for i, o := range changes {
			o.At = now
			if o.By == "" {
				o.By = a.ID
			}
			if err := f.Body.Apply(o); err != nil {
				field := "change"
				if len(changes) > 1 {
					field = fmt.Sprintf("intervals[%d]", i)
				}
				return kefu.FieldError(field, strings.TrimPrefix(err.Error(), "staffing: "))
			}
			o = f.Body.Overrides[len(f.Body.Overrides)-1]
			applied = append(applied, o)
			ch, _ := json.Marshal(o)
			if _, err := tx.exec(`INSERT INTO staffing_forecast_edits (id, tenant_id, forecast_id, version, by_user, at, reason, change) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				newID(), tenantID, id, f.Version, o.By, us(now), o.Reason, string(ch)); err != nil {
				return kefu.Internal(err)
			}
		}
		body, err := json.Marshal(f.Body)
		if err != nil {
			return kefu.Internal(err)
		}
		// Conditional on the version read: two edits of one version at once
		// (PostgreSQL runs writers side by side) cannot both win.
		res, err := tx.exec(`UPDATE staffing_forecasts SET body = $3, version = $4, updated_by = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND version = $7`,
			tenantID, id, string(body), f.Version, a.ID, us(now), read)
		if err != nil {
			return kefu.Internal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if version != 0 {
				return kefu.Conflict("forecast_changed", fmt.Sprintf("the forecast moved past version %d while this edit was made: someone edited it meanwhile", version))
			}
			return errRace // no version named: apply the edit to the newer forecast
		}
		tx.SetResult(map[string]any{"id": id, "version": f.Version})
		return tx.Event(tenantID, a, "staffing.forecast_edited", "staffing_forecast", id, "", nil, map[string]any{"version": f.Version, "changes": applied})
	})
	if err != nil {
		return SavedForecast{}, err
	}
	return s.Forecast(ctx, tenantID, id)
}

// SavedPlan is a staffing plan kept to compare and export.
type SavedPlan struct {
	ID              string    `json:"id"`
	ForecastID      string    `json:"forecast_id,omitempty"`
	ForecastVersion int       `json:"forecast_version,omitempty"`
	QueueID         string    `json:"queue_id,omitempty"`
	Name            string    `json:"name"`
	IntervalMinutes int       `json:"interval_minutes"`
	Start           time.Time `json:"start"`
	Volume          float64   `json:"volume"`
	ScheduledHours  float64   `json:"scheduled_hours"`
	ServiceLevel    float64   `json:"service_level"`
	Abandon         float64   `json:"abandon"`
	ShiftHeads      int       `json:"shift_heads"`
	GapPercent      float64   `json:"gap_percent"`
	CreatedBy       string    `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`
	Body            *PlanBody `json:"plan,omitempty"`
}

// PlanBody is the stored document of a plan: its inputs, the plan per
// interval and the shifts per provider.
type PlanBody struct {
	Inputs json.RawMessage  `json:"inputs"`
	Plan   staffing.Plan    `json:"plan"`
	Shifts []ProviderShifts `json:"shifts,omitempty"`
}

// ProviderShifts is the shift plan of one provider's heads.
type ProviderShifts struct {
	Provider string             `json:"provider"`
	Plan     staffing.ShiftPlan `json:"plan"`
}

// CreatePlan saves a plan.
func (s *Store) CreatePlan(ctx context.Context, tenantID string, a Actor, p SavedPlan) (SavedPlan, error) {
	if strings.TrimSpace(p.Name) == "" {
		return p, kefu.FieldError("name", "required")
	}
	if p.Body == nil {
		return p, kefu.FieldError("plan", "required")
	}
	body, err := json.Marshal(p.Body)
	if err != nil {
		return p, kefu.Internal(err)
	}
	now := s.Now()
	p.ID, p.CreatedBy, p.CreatedAt = newID(), a.ID, now
	err = s.Write(ctx, func(tx *Tx) error {
		if err := tx.checkRef("queues", "queue_id", tenantID, p.QueueID); err != nil {
			return err
		}
		if err := tx.checkRef("staffing_forecasts", "forecast_id", tenantID, p.ForecastID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO staffing_plans (id, tenant_id, forecast_id, forecast_version, queue_id, name, interval_seconds, start_at, volume, scheduled_hours,
			service_level, abandon, shift_heads, gap_percent, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			p.ID, tenantID, p.ForecastID, p.ForecastVersion, p.QueueID, p.Name, p.IntervalMinutes*60, us(p.Start), p.Volume, p.ScheduledHours,
			p.ServiceLevel, p.Abandon, p.ShiftHeads, p.GapPercent, string(body), a.ID, us(now)); err != nil {
			return kefu.Internal(err)
		}
		tx.SetResult(map[string]string{"id": p.ID})
		return tx.Event(tenantID, a, "staffing.plan_created", "staffing_plan", p.ID, "", nil,
			map[string]any{"name": p.Name, "forecast_id": p.ForecastID, "scheduled_hours": p.ScheduledHours, "service_level": p.ServiceLevel, "shift_heads": p.ShiftHeads})
	})
	return p, err
}

const planCols = `id, forecast_id, forecast_version, queue_id, name, interval_seconds, start_at, volume, scheduled_hours, service_level, abandon, shift_heads, gap_percent, created_by, created_at`

func scanPlan(sc interface{ Scan(...any) error }, p *SavedPlan, body *string) error {
	var iv, start, created int64
	dest := []any{&p.ID, &p.ForecastID, &p.ForecastVersion, &p.QueueID, &p.Name, &iv, &start, &p.Volume, &p.ScheduledHours, &p.ServiceLevel, &p.Abandon,
		&p.ShiftHeads, &p.GapPercent, &p.CreatedBy, &created}
	if body != nil {
		dest = append(dest, body)
	}
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	p.IntervalMinutes, p.Start, p.CreatedAt = int(iv/60), fromUS(start), fromUS(created)
	return nil
}

// Plan reads a saved plan whole.
func (s *Store) Plan(ctx context.Context, tenantID, id string) (SavedPlan, error) {
	var p SavedPlan
	var body string
	err := scanPlan(s.db.QueryRowContext(ctx, `SELECT `+planCols+`, body FROM staffing_plans WHERE tenant_id = $1 AND id = $2`, tenantID, id), &p, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return p, kefu.NotFound("plan")
	}
	if err != nil {
		return p, kefu.Internal(err)
	}
	p.Body = &PlanBody{}
	if err := json.Unmarshal([]byte(body), p.Body); err != nil {
		return p, kefu.Internal(err)
	}
	return p, nil
}

// Plans lists a tenant's saved plans, newest first, without their rows;
// forecastID, if set, keeps the plans made from that forecast.
func (s *Store) Plans(ctx context.Context, tenantID, forecastID string, limit int) ([]SavedPlan, error) {
	q := `SELECT ` + planCols + ` FROM staffing_plans WHERE tenant_id = $1`
	args := []any{tenantID, clampLimit(limit)}
	if forecastID != "" {
		q += ` AND forecast_id = $3`
		args = append(args, forecastID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []SavedPlan{}
	for rows.Next() {
		var p SavedPlan
		if err := scanPlan(rows, &p, nil); err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, p)
	}
	return out, kefu.InternalOrNil(rows.Err())
}
