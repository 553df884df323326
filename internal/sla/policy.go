package sla

import (
	"fmt"
	"slices"
	"time"
)

// Policy is one service-level agreement: which tickets it covers and the
// targets it sets them. The first policy (in order) that matches a ticket
// is the one in force.
type Policy struct {
	Name string `json:"name"`
	// Match: empty lists match anything.
	Tiers      []string `json:"tiers,omitempty"`
	Priorities []string `json:"priorities,omitempty"`
	Channels   []string `json:"channels,omitempty"`
	Categories []string `json:"categories,omitempty"`
	// Targets in minutes; 0 means no such target.
	FirstResponseMinutes int `json:"first_response_minutes,omitempty"`
	NextResponseMinutes  int `json:"next_response_minutes,omitempty"`
	ResolutionMinutes    int `json:"resolution_minutes,omitempty"`
	// DepartmentMinutes is the deadline a department gets for a ticket
	// forwarded to it without one.
	DepartmentMinutes int `json:"department_minutes,omitempty"`
	// BusinessHours: the targets count the calendar's working time
	// (otherwise every minute, 24×7).
	BusinessHours bool `json:"business_hours,omitempty"`
}

// Settings are a tenant's SLA: its business calendar and its policies.
type Settings struct {
	Calendar  *CalendarSpec `json:"calendar,omitempty"`
	Policies  []Policy      `json:"policies"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Facts are what a policy matches on.
type Facts struct {
	Tier, Priority, Channel, Category string
}

func matches(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

// Match returns the policy in force for a ticket.
func (s Settings) Match(f Facts) (Policy, bool) {
	for _, p := range s.Policies {
		if matches(p.Tiers, f.Tier) && matches(p.Priorities, f.Priority) && matches(p.Channels, f.Channel) && matches(p.Categories, f.Category) {
			return p, true
		}
	}
	return Policy{}, false
}

// Validate names the first problem by field, and builds the calendar.
func (s Settings) Validate() (cal *Calendar, field, problem string) {
	if s.Calendar != nil {
		c, err := NewCalendar(*s.Calendar)
		if err != nil {
			return nil, "calendar", err.Error()
		}
		cal = c
	}
	if len(s.Policies) > 200 {
		return nil, "policies", "at most 200"
	}
	names := map[string]bool{}
	for i, p := range s.Policies {
		at := fmt.Sprintf("policies[%d]", i)
		if p.Name == "" {
			return nil, at + ".name", "required"
		}
		if names[p.Name] {
			return nil, at + ".name", "used twice"
		}
		names[p.Name] = true
		for _, m := range []struct {
			f string
			v int
		}{{"first_response_minutes", p.FirstResponseMinutes}, {"next_response_minutes", p.NextResponseMinutes},
			{"resolution_minutes", p.ResolutionMinutes}, {"department_minutes", p.DepartmentMinutes}} {
			if m.v < 0 || m.v > 365*24*60 {
				return nil, at + "." + m.f, "from 0 to 525600"
			}
		}
		if p.BusinessHours && s.Calendar == nil {
			return nil, at + ".business_hours", "needs a calendar"
		}
	}
	return cal, "", ""
}

// Clock is the time a policy's targets count in: the business calendar, or
// every minute.
func (s Settings) Clock(p Policy, cal *Calendar) *Calendar {
	if p.BusinessHours && cal != nil {
		return cal
	}
	return nil
}

// Due is when a target of d falls, counted from start on cal (nil: 24×7).
func Due(cal *Calendar, start time.Time, d time.Duration) time.Time {
	if cal == nil {
		return start.Add(d)
	}
	t, ok := cal.Add(start, d)
	if !ok {
		return start.Add(d) // a calendar with no working time at all: count every minute
	}
	return t
}

// Resume is a paused target's new due time: what was left of it when it
// paused, counted again from now on cal (nil: 24×7).
func Resume(cal *Calendar, pausedAt, due, now time.Time) time.Time {
	if !due.After(pausedAt) {
		return due // it was already due when it paused: nothing to give back
	}
	var left time.Duration
	if cal == nil {
		left = due.Sub(pausedAt)
	} else {
		left = cal.Between(pausedAt, due)
	}
	return Due(cal, now, left)
}
