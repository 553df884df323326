// Package sla measures service-level time. This file is its business
// calendar: working hours per weekday in a time zone, holidays, and the
// make-up workdays of Chinese holiday schedules (调休), when a weekend day
// is worked to bridge a long holiday.
package sla

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Span is working time within a day, in minutes from midnight [Start, End).
type Span struct {
	Start, End int
}

// Calendar says when the clock of a business-hours target runs.
type Calendar struct {
	loc      *time.Location
	week     [7][]Span         // by time.Weekday
	holidays map[string]bool   // "2006-01-02": no work
	workdays map[string][]Span // "2006-01-02": worked with these hours (调休 make-up days)
}

// CalendarSpec is a calendar as data (JSON), as tenants write it:
//
//	{"time_zone": "Asia/Shanghai",
//	 "hours": {"mon": ["09:00-12:00", "13:00-18:00"], …, "sat": [], "sun": []},
//	 "holidays": ["2026-10-01", …],
//	 "workdays": {"2026-09-27": ["09:00-18:00"]}}
//
// A workday listed with no hours takes Monday's.
type CalendarSpec struct {
	TimeZone string              `json:"time_zone"`
	Hours    map[string][]string `json:"hours"`
	Holidays []string            `json:"holidays,omitempty"`
	Workdays map[string][]string `json:"workdays,omitempty"`
}

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// AlwaysOpen is the 24×7 calendar in loc.
func AlwaysOpen(loc *time.Location) *Calendar {
	c := &Calendar{loc: loc, holidays: map[string]bool{}, workdays: map[string][]Span{}}
	for d := range c.week {
		c.week[d] = []Span{{0, 24 * 60}}
	}
	return c
}

// NewCalendar checks a spec and builds its calendar; every problem is
// named with the field it is in.
func NewCalendar(spec CalendarSpec) (*Calendar, error) {
	loc, err := time.LoadLocation(spec.TimeZone)
	if spec.TimeZone == "" || err != nil {
		return nil, fmt.Errorf("time_zone: %q is not a known time zone", spec.TimeZone)
	}
	c := &Calendar{loc: loc, holidays: map[string]bool{}, workdays: map[string][]Span{}}
	for name, hours := range spec.Hours {
		d, ok := dayNames[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("hours: %q is not a day (mon … sun)", name)
		}
		spans, err := parseSpans(hours)
		if err != nil {
			return nil, fmt.Errorf("hours.%s: %w", name, err)
		}
		c.week[d] = spans
	}
	for _, h := range spec.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return nil, fmt.Errorf("holidays: %q is not a date (2006-01-02)", h)
		}
		c.holidays[h] = true
	}
	for day, hours := range spec.Workdays {
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("workdays: %q is not a date (2006-01-02)", day)
		}
		if c.holidays[day] {
			return nil, fmt.Errorf("workdays: %s is also a holiday", day)
		}
		spans := c.week[time.Monday]
		if len(hours) > 0 {
			if spans, err = parseSpans(hours); err != nil {
				return nil, fmt.Errorf("workdays.%s: %w", day, err)
			}
		}
		c.workdays[day] = spans
	}
	return c, nil
}

func parseSpans(hours []string) ([]Span, error) {
	var out []Span
	for _, h := range hours {
		from, to, ok := strings.Cut(h, "-")
		if !ok {
			return nil, fmt.Errorf("%q is not HH:MM-HH:MM", h)
		}
		s, err1 := minutes(from)
		e, err2 := minutes(to)
		if err1 != nil || err2 != nil || e <= s {
			return nil, fmt.Errorf("%q is not HH:MM-HH:MM with the end after the start", h)
		}
		out = append(out, Span{s, e})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	for i := 1; i < len(out); i++ {
		if out[i].Start < out[i-1].End {
			return nil, fmt.Errorf("%v overlaps %v", hours[i], hours[i-1])
		}
	}
	return out, nil
}

func minutes(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// spans returns a date's working intervals as instants.
func (c *Calendar) spans(y int, m time.Month, d int) [][2]time.Time {
	day := time.Date(y, m, d, 0, 0, 0, 0, c.loc)
	key := day.Format(time.DateOnly)
	if c.holidays[key] {
		return nil
	}
	spans, ok := c.workdays[key]
	if !ok {
		spans = c.week[day.Weekday()]
	}
	out := make([][2]time.Time, 0, len(spans))
	for _, s := range spans {
		// Clock times of the day in the zone, so a daylight-saving change
		// moves the instants, not the opening hours.
		from := time.Date(y, m, d, s.Start/60, s.Start%60, 0, 0, c.loc)
		to := time.Date(y, m, d, s.End/60, s.End%60, 0, 0, c.loc)
		out = append(out, [2]time.Time{from, to})
	}
	return out
}

// horizon bounds the search for working time: a calendar with none for
// ten years is a configuration error, not a reason to loop for ever.
const horizon = 3660

// Add returns the instant when d of working time has passed since t (t
// itself when d is 0 and t is within working time, else the next opening).
// ok is false when the calendar has no working time within ten years.
func (c *Calendar) Add(t time.Time, d time.Duration) (time.Time, bool) {
	local := t.In(c.loc)
	y, m, day := local.Date()
	for i := 0; i < horizon; i++ {
		for _, s := range c.spans(y, m, day+i) {
			if !t.Before(s[1]) {
				continue
			}
			start := s[0]
			if t.After(start) {
				start = t
			}
			if avail := s[1].Sub(start); d < avail || (d == avail && d > 0) {
				return start.Add(d), true
			} else {
				d -= avail
			}
		}
	}
	return time.Time{}, false
}

// Between is the working time from a to b (zero when b is not after a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	local := a.In(c.loc)
	y, m, day := local.Date()
	var sum time.Duration
	for i := 0; i < horizon; i++ {
		dayStart := time.Date(y, m, day+i, 0, 0, 0, 0, c.loc)
		if !dayStart.Before(b) {
			break
		}
		for _, s := range c.spans(y, m, day+i) {
			from, to := s[0], s[1]
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
	}
	return sum
}

// Open reports whether t is within working time.
func (c *Calendar) Open(t time.Time) bool {
	y, m, d := t.In(c.loc).Date()
	for _, s := range c.spans(y, m, d) {
		if !t.Before(s[0]) && t.Before(s[1]) {
			return true
		}
	}
	return false
}
