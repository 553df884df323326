package staffing

import (
	"math"
	"math/rand/v2"
	"time"
)

// A synthetic history whose truth is known: trend, weekday factors, an
// intraday shape, holidays, make-up days and Double 11 with its midnight
// rush. Volumes are Poisson around the truth (normal approximation).

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

var weekdayTruth = [7]float64{0.80, 1.15, 1.05, 1.00, 1.00, 1.05, 0.85} // Sunday first

type synth struct {
	base      float64 // contacts on an average day at the start
	trend     float64 // relative growth per day
	start     civil
	eventDays map[civil]synthEvent
	makeup    map[civil]time.Weekday
}

type synthEvent struct {
	factor   float64
	midnight bool // Double 11: the rush starts at midnight
}

func mustCivil(s string) civil {
	d, err := parseCivil(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (s synth) calendar() Calendar {
	cal := Calendar{
		Events: []Event{
			{Name: "Double 11", Kind: "event", Dates: []string{"2024-11-10", "2024-11-11", "2024-11-12", "2025-11-10", "2025-11-11", "2025-11-12"}},
			{Name: "618", Kind: "event", Dates: []string{"2025-06-18"}},
			{Name: "Spring Festival", Kind: "holiday", Dates: []string{"2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04"}},
			{Name: "National Day", Kind: "holiday", Dates: []string{"2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04", "2024-10-05", "2024-10-06", "2024-10-07",
				"2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08"}},
		},
		Makeup: []MakeupDay{{"2024-09-29", time.Monday}, {"2024-10-12", time.Monday}, {"2025-01-26", time.Monday}, {"2025-02-08", time.Monday},
			{"2025-04-27", time.Monday}, {"2025-09-28", time.Monday}, {"2025-10-11", time.Monday}},
	}
	return cal
}

func newSynth(base float64) synth {
	s := synth{base: base, trend: 0.0004, start: mustCivil("2024-09-02"), eventDays: map[civil]synthEvent{}, makeup: map[civil]time.Weekday{}}
	for _, y := range []string{"2024", "2025"} {
		s.eventDays[mustCivil(y+"-11-10")] = synthEvent{factor: 1.8}
		s.eventDays[mustCivil(y+"-11-11")] = synthEvent{factor: 4.0, midnight: true}
		s.eventDays[mustCivil(y+"-11-12")] = synthEvent{factor: 2.2}
	}
	s.eventDays[mustCivil("2025-06-18")] = synthEvent{factor: 2.5}
	for d := mustCivil("2025-01-28"); d <= mustCivil("2025-02-04"); d++ {
		s.eventDays[d] = synthEvent{factor: 0.5}
	}
	for d := mustCivil("2024-10-01"); d <= mustCivil("2024-10-07"); d++ {
		s.eventDays[d] = synthEvent{factor: 0.7}
	}
	for d := mustCivil("2025-10-01"); d <= mustCivil("2025-10-08"); d++ {
		s.eventDays[d] = synthEvent{factor: 0.7}
	}
	for _, m := range s.calendar().Makeup {
		s.makeup[mustCivil(m.Date)] = m.As
	}
	return s
}

// shape is the intraday share of half-hour i (of 48).
func shape(i int, weekend, midnight bool) float64 {
	h := (float64(i) + 0.5) / 2
	g := func(mu, sd float64) float64 { return math.Exp(-(h - mu) * (h - mu) / (2 * sd * sd)) }
	var v float64
	if weekend {
		v = 0.03 + g(11.5, 2.5) + 1.1*g(20.5, 2)
	} else {
		v = 0.03 + 1.2*g(10.5, 2) + 0.8*g(15, 2) + g(20.5, 1.8)
	}
	if midnight {
		v = 0.05 + 3*g(0.6, 0.8) + 0.8*g(10.5, 2) + 1.2*g(20.5, 2) + 1.5*g(23.6, 0.6)
	}
	return v
}

func shares(weekend, midnight bool) []float64 {
	out := make([]float64, 48)
	sum := 0.0
	for i := range out {
		out[i] = shape(i, weekend, midnight)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// day is the true expected volume and AHT of each half-hour of day d.
func (s synth) day(d civil) (vol, aht []float64) {
	wd := d.weekday()
	if as, ok := s.makeup[d]; ok {
		wd = as
	}
	total := s.base * (1 + s.trend*float64(d-s.start)) * weekdayTruth[wd]
	ev, isEvent := s.eventDays[d]
	if isEvent {
		total *= ev.factor
	}
	sh := shares(wd == time.Saturday || wd == time.Sunday, isEvent && ev.midnight)
	vol, aht = make([]float64, 48), make([]float64, 48)
	for i := range sh {
		vol[i] = total * sh[i]
		aht[i] = 240
		if i < 14 || i >= 44 {
			aht[i] = 300 // nights are harder cases
		}
		if isEvent && ev.midnight {
			aht[i] = 210 // order-status questions are quick
		}
	}
	return vol, aht
}

// history draws Poisson-like volumes for the days [from, to].
func (s synth) history(from, to civil, seed uint64) []Interval {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []Interval
	for d := from; d <= to; d++ {
		vol, aht := s.day(d)
		start := d.start(shanghai)
		for i := range vol {
			v := math.Max(0, math.Round(vol[i]+math.Sqrt(vol[i])*r.NormFloat64()))
			out = append(out, Interval{Start: start.Add(time.Duration(i) * 30 * time.Minute), Volume: v, AHT: aht[i] * (1 + 0.05*r.NormFloat64()/math.Sqrt(math.Max(v, 1)))})
		}
	}
	return out
}
