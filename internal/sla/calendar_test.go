package sla

import (
	"math/rand/v2"
	"testing"
	"time"
)

func shanghai(t *testing.T) *Calendar {
	t.Helper()
	c, err := NewCalendar(CalendarSpec{TimeZone: "Asia/Shanghai",
		Hours: map[string][]string{"mon": {"09:00-12:00", "13:00-18:00"}, "tue": {"09:00-12:00", "13:00-18:00"},
			"wed": {"09:00-12:00", "13:00-18:00"}, "thu": {"09:00-12:00", "13:00-18:00"}, "fri": {"09:00-12:00", "13:00-18:00"}},
		// A long National Day holiday bridged by a worked Sunday (调休).
		Holidays: []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"},
		Workdays: map[string][]string{"2026-09-27": nil, "2026-10-10": {"10:00-16:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(t *testing.T, c *Calendar, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAddBusinessTime(t *testing.T) {
	c := shanghai(t)
	for _, tc := range []struct {
		from string
		d    time.Duration
		want string
	}{
		{"2026-09-21 10:00", time.Hour, "2026-09-21 11:00"},      // within the morning
		{"2026-09-21 11:30", time.Hour, "2026-09-21 13:30"},      // over lunch
		{"2026-09-21 17:30", time.Hour, "2026-09-22 09:30"},      // over the night
		{"2026-09-21 20:00", 0, "2026-09-22 09:00"},              // zero after hours: the next opening
		{"2026-09-25 17:00", 2 * time.Hour, "2026-09-27 10:00"},  // Friday evening → the worked Sunday (调休), Monday's hours
		{"2026-09-30 17:00", 2 * time.Hour, "2026-10-08 10:00"},  // over the holiday and its weekend
		{"2026-10-09 18:00", 3 * time.Hour, "2026-10-10 13:00"},  // a make-up Saturday with its own hours
		{"2026-10-10 15:30", time.Hour, "2026-10-12 09:30"},      // … which closes at 16:00
		{"2026-09-21 09:00", 8 * time.Hour, "2026-09-21 18:00"},  // a whole day ends at closing time
		{"2026-09-21 09:00", 40 * time.Hour, "2026-09-25 18:00"}, // a working week
	} {
		got, ok := c.Add(at(t, c, tc.from), tc.d)
		if !ok || !got.Equal(at(t, c, tc.want)) {
			t.Errorf("%s + %s = %s, want %s", tc.from, tc.d, got.In(c.Location()).Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
}

func TestBetweenIsTheInverseOfAdd(t *testing.T) {
	c := shanghai(t)
	rng := rand.New(rand.NewPCG(1, 2))
	start := at(t, c, "2026-09-01 00:00")
	for range 2000 {
		from := start.Add(time.Duration(rng.IntN(60*24*60)) * time.Minute)
		d := time.Duration(rng.IntN(100*60)) * time.Minute
		to, ok := c.Add(from, d)
		if !ok {
			t.Fatal("no working time")
		}
		if got := c.Between(from, to); got != d {
			t.Fatalf("Between(%s, %s) = %s, want %s", from, to, got, d)
		}
	}
	if c.Between(at(t, c, "2026-10-01 00:00"), at(t, c, "2026-10-08 00:00")) != 0 {
		t.Fatal("a holiday week has working time")
	}
}

// Opening hours are clock times: across a daylight-saving change the
// instants move, the hours do not.
func TestDaylightSaving(t *testing.T) {
	c, err := NewCalendar(CalendarSpec{TimeZone: "America/New_York", Hours: map[string][]string{"sun": {"00:00-24:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-08: clocks jump from 02:00 to 03:00, so that Sunday has 23 hours.
	sun := at(t, c, "2026-03-08 00:00")
	if got := c.Between(sun, sun.Add(48*time.Hour)); got != 23*time.Hour {
		t.Fatalf("the short Sunday has %s of working time", got)
	}
}

func TestAlwaysOpenAndOpen(t *testing.T) {
	c := AlwaysOpen(time.UTC)
	from := time.Date(2026, 1, 1, 23, 30, 0, 0, time.UTC)
	if got, _ := c.Add(from, 90*time.Minute); !got.Equal(from.Add(90 * time.Minute)) {
		t.Fatalf("24×7: %s", got)
	}
	s := shanghai(t)
	if !s.Open(at(t, s, "2026-09-21 10:00")) || s.Open(at(t, s, "2026-09-21 12:30")) || s.Open(at(t, s, "2026-10-01 10:00")) || !s.Open(at(t, s, "2026-09-27 10:00")) {
		t.Fatal("Open")
	}
}

func TestCalendarSpecIsChecked(t *testing.T) {
	for name, spec := range map[string]CalendarSpec{
		"zone":            {TimeZone: "Mars/Olympus"},
		"day":             {TimeZone: "UTC", Hours: map[string][]string{"funday": {"09:00-10:00"}}},
		"span":            {TimeZone: "UTC", Hours: map[string][]string{"mon": {"18:00-09:00"}}},
		"overlap":         {TimeZone: "UTC", Hours: map[string][]string{"mon": {"09:00-12:00", "11:00-13:00"}}},
		"holiday":         {TimeZone: "UTC", Holidays: []string{"2026-13-01"}},
		"workday+holiday": {TimeZone: "UTC", Holidays: []string{"2026-10-01"}, Workdays: map[string][]string{"2026-10-01": nil}},
	} {
		if _, err := NewCalendar(spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	closed, _ := NewCalendar(CalendarSpec{TimeZone: "UTC"})
	if _, ok := closed.Add(time.Now(), time.Minute); ok {
		t.Fatal("a calendar with no hours found working time")
	}
}
