package staffing

import (
	"math"
	"testing"
	"time"
)

func forecastOpts() Options {
	return Options{Interval: 30 * time.Minute, Location: shanghai}
}

// From a year of synthetic history, the two weeks around Double 11 are
// forecast close to the truth the history was drawn from: ordinary days,
// the event days (with the uplift learned from last year) and the midnight
// rush that only Double 11 has.
func TestForecastRecoversTruth(t *testing.T) {
	s := newSynth(20000)
	hist := s.history(s.start, mustCivil("2025-11-02"), 1)
	from := mustCivil("2025-11-03")
	f, err := MakeForecast(hist, s.calendar(), from.start(shanghai), 14, forecastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Intervals) != 14*48 {
		t.Fatalf("%d intervals", len(f.Intervals))
	}
	var absErr, truthSum float64
	for di := 0; di < 14; di++ {
		d := from + civil(di)
		vol, aht := s.day(d)
		var ft, tt float64
		for i := range vol {
			fi := f.Intervals[di*48+i]
			if !fi.Start.Equal(d.start(shanghai).Add(time.Duration(i) * 30 * time.Minute)) {
				t.Fatalf("interval %d starts %v", di*48+i, fi.Start)
			}
			ft += fi.Volume
			tt += vol[i]
			absErr += math.Abs(fi.Volume - vol[i])
			truthSum += vol[i]
			if math.Abs(fi.AHT-aht[i]) > 0.06*aht[i] {
				t.Errorf("%s %02d:%02d AHT %.0f s, truth %.0f s", d, i/2, 30*(i%2), fi.AHT, aht[i])
			}
		}
		tol := 0.04
		if _, ok := s.eventDays[d]; ok {
			tol = 0.08
		}
		if math.Abs(ft-tt) > tol*tt {
			t.Errorf("%s (%v): forecast %.0f contacts, truth %.0f", d, d.weekday(), ft, tt)
		}
	}
	if wape := absErr / truthSum; wape > 0.06 {
		t.Errorf("interval WAPE against the truth %.3f", wape)
	}
	var d11 *Uplift
	for i, u := range f.Uplifts {
		if u.Event == "Double 11" && u.Day == 1 {
			d11 = &f.Uplifts[i]
		}
	}
	if d11 == nil || d11.Source != "history" || math.Abs(d11.Factor-4.0) > 0.25 {
		t.Errorf("Double 11 uplift %+v, truth 4.0 from history", d11)
	}
	// The midnight rush: Double 11's first hour is busier than an ordinary
	// Tuesday's 10:00.
	d11Start := (mustCivil("2025-11-11") - from) * 48
	if f.Intervals[d11Start].Volume < f.Intervals[(mustCivil("2025-11-04")-from)*48+20].Volume {
		t.Errorf("no midnight rush: 00:00 %.0f", f.Intervals[d11Start].Volume)
	}
	for k, w := range f.Weekly {
		if math.Abs(w-weekdayTruth[k]/mean7(weekdayTruth)) > 0.05 {
			t.Errorf("weekday %v factor %.3f, truth %.3f", time.Weekday(k), w, weekdayTruth[k]/mean7(weekdayTruth))
		}
	}
}

func mean7(a [7]float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v
	}
	return s / 7
}

// An event history never saw gets its given uplift; a make-up Saturday
// looks like the weekday it replaces.
func TestForecastGivenUpliftAndMakeupDay(t *testing.T) {
	s := newSynth(20000)
	hist := s.history(s.start, mustCivil("2025-11-02"), 2)
	cal := s.calendar()
	cal.Events = append(cal.Events, Event{Name: "Brand day", Dates: []string{"2025-11-05"}, Uplift: 2})
	cal.Makeup = append(cal.Makeup, MakeupDay{Date: "2025-11-08", As: time.Monday})
	from := mustCivil("2025-11-03")
	f, err := MakeForecast(hist, cal, from.start(shanghai), 7, forecastOpts())
	if err != nil {
		t.Fatal(err)
	}
	day := func(d civil) float64 {
		sum := 0.0
		for i := 0; i < 48; i++ {
			sum += f.Intervals[int(d-from)*48+i].Volume
		}
		return sum
	}
	wed := s.base * (1 + s.trend*float64(mustCivil("2025-11-05")-s.start)) * weekdayTruth[time.Wednesday]
	if got := day(mustCivil("2025-11-05")); math.Abs(got-2*wed) > 0.05*2*wed {
		t.Errorf("brand day %.0f, want about %.0f", got, 2*wed)
	}
	var found bool
	for _, u := range f.Uplifts {
		if u.Event == "Brand day" {
			found = u.Source == "given" && u.Factor == 2
		}
	}
	if !found {
		t.Errorf("brand day uplift not reported as given: %+v", f.Uplifts)
	}
	sat, mon := day(mustCivil("2025-11-08")), day(mustCivil("2025-11-03"))
	if math.Abs(sat-mon) > 0.05*mon {
		t.Errorf("make-up Saturday %.0f, Monday %.0f", sat, mon)
	}
	if _, err := MakeForecast(hist, Calendar{Makeup: []MakeupDay{{"2025-11-08", time.Saturday}}}, from.start(shanghai), 7, forecastOpts()); err == nil {
		t.Error("a make-up day must work as Monday to Friday")
	}
	if _, err := MakeForecast(hist, cal, mustCivil("2025-10-01").start(shanghai), 7, forecastOpts()); err == nil {
		t.Error("a forecast must start after its history")
	}
}

// Error on held-back weeks: noise alone (Poisson on ~400 contacts a
// half-hour) is about 4 % WAPE, so the model should add little to it.
func TestBacktest(t *testing.T) {
	s := newSynth(20000)
	hist := s.history(s.start, mustCivil("2025-10-26"), 3)
	acc, err := Backtest(hist, s.calendar(), 4, forecastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Weeks) != 4 {
		t.Fatalf("%d weeks", len(acc.Weeks))
	}
	t.Logf("held-back weeks: WAPE %.3f MAPE %.3f day WAPE %.3f AHT WAPE %.3f", acc.WAPE, acc.MAPE, acc.DayWAPE, acc.AHTWAPE)
	if acc.WAPE > 0.08 || acc.DayWAPE > 0.05 || acc.MAPE < acc.WAPE*0.5 || acc.AHTWAPE > 0.08 {
		t.Errorf("accuracy %+v", acc)
	}
	for _, w := range acc.Weeks {
		if w.Start.Weekday() != time.Monday || w.WAPE <= 0 {
			t.Errorf("week %+v", w)
		}
	}
}

func TestOverrideKeepsWhoChangedWhat(t *testing.T) {
	s := newSynth(20000)
	hist := s.history(s.start, mustCivil("2025-11-02"), 4)
	from := mustCivil("2025-11-03").start(shanghai)
	f, err := MakeForecast(hist, s.calendar(), from, 2, forecastOpts())
	if err != nil {
		t.Fatal(err)
	}
	before := f.Intervals[20]
	o := Override{From: from.Add(10 * time.Hour), To: from.Add(12 * time.Hour), VolumeFactor: 1.5,
		By: "wang.fang", At: from.Add(-24 * time.Hour), Reason: "flash sale announced"}
	if err := f.Apply(o); err != nil {
		t.Fatal(err)
	}
	if err := f.Apply(Override{From: from.Add(11 * time.Hour), To: from.Add(12 * time.Hour), AHT: 270, By: "li.wei", At: from}); err != nil {
		t.Fatal(err)
	}
	after := f.Intervals[20] // 10:00
	if math.Abs(after.Volume-1.5*before.Volume) > 1e-9 || after.ModelVolume != before.Volume || after.OverriddenBy != "wang.fang" {
		t.Errorf("10:00 before %+v after %+v", before, after)
	}
	if iv := f.Intervals[22]; iv.AHT != 270 || iv.OverriddenBy != "li.wei" || iv.ModelAHT == 270 {
		t.Errorf("11:00 %+v", iv)
	}
	if len(f.Overrides) != 2 || f.Overrides[0].Intervals != 4 || f.Overrides[0].By != "wang.fang" || f.Overrides[1].Intervals != 2 {
		t.Errorf("log %+v", f.Overrides)
	}
	for _, bad := range []Override{
		{From: from, To: from.Add(time.Hour), VolumeFactor: 2},                                     // nobody
		{From: from, To: from.Add(time.Hour), By: "x"},                                             // nothing
		{From: from.Add(time.Hour), To: from, VolumeFactor: 2, By: "x"},                            // backwards
		{From: from.Add(-48 * time.Hour), To: from.Add(-47 * time.Hour), VolumeFactor: 2, By: "x"}, // outside
	} {
		if err := f.Apply(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
