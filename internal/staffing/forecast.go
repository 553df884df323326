package staffing

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Interval is one interval of contact history (or of a forecast): the
// contacts offered in [Start, Start+interval) and their mean handle time.
type Interval struct {
	Start  time.Time `json:"start"`
	Volume float64   `json:"volume"`
	AHT    float64   `json:"aht_seconds"`
}

// Event is a holiday or a named event — Double 11, 618, Spring Festival —
// whose days do not behave like the weekday they fall on. Consecutive
// dates form one occurrence, and day k of an occurrence (0-based) is
// compared with day k of past occurrences: the third day of Spring
// Festival with last year's third day.
type Event struct {
	Name string `json:"name"`
	// Kind is "holiday" or "event"; it only labels reports.
	Kind string `json:"kind,omitempty"`
	// Dates are YYYY-MM-DD days, past ones (found in history) and future.
	Dates []string `json:"dates"`
	// Uplift is the volume of an event day relative to a normal day of the
	// same weekday, used when history holds no occurrence (0 means 1).
	Uplift float64 `json:"uplift,omitempty"`
}

// MakeupDay is a 调休 working day: a weekend date worked as a weekday,
// which gets the pattern of the weekday As (Monday to Friday).
type MakeupDay struct {
	Date string       `json:"date"`
	As   time.Weekday `json:"as"`
}

// Calendar holds the days that are not ordinary.
type Calendar struct {
	Events []Event     `json:"events,omitempty"`
	Makeup []MakeupDay `json:"makeup,omitempty"`
}

// Options tune a forecast. Zero values choose sensible defaults.
type Options struct {
	// Interval is the forecast step: 15, 30 or 60 minutes (any divisor of
	// a day). History may be finer; it is summed up to the step.
	Interval time.Duration
	// Location is the time zone in which days and weekdays are counted
	// (default UTC).
	Location *time.Location
	// Alpha, Beta, Gamma, Phi are the smoothing weights of the level, the
	// trend and the weekday factors and the trend damping. Zero Alpha
	// means: fit all four on history by one-step-ahead error.
	Alpha, Beta, Gamma, Phi float64
	// HalfLifeWeeks is how fast old weeks lose weight in the intraday and
	// handle-time profiles (default 4).
	HalfLifeWeeks float64
}

// Uplift is the factor an event day gets over a normal day.
type Uplift struct {
	Event  string  `json:"event"`
	Day    int     `json:"day"` // day within the occurrence, 0-based
	Factor float64 `json:"factor"`
	// Source is "history" (estimated from past occurrences), "event"
	// (estimated from other days of the event), "given" or "none".
	Source      string `json:"source"`
	Occurrences int    `json:"occurrences"`
}

// ForecastInterval is one forecast interval. Volume and AHT are what to
// plan with; ModelVolume and ModelAHT what the model said before any
// manual override.
type ForecastInterval struct {
	Start       time.Time `json:"start"`
	Volume      float64   `json:"volume"`
	AHT         float64   `json:"aht_seconds"`
	ModelVolume float64   `json:"model_volume"`
	ModelAHT    float64   `json:"model_aht_seconds"`
	Event       string    `json:"event,omitempty"`
	// OverriddenBy is who last changed this interval by hand.
	OverriddenBy string `json:"overridden_by,omitempty"`
}

// Forecast is a forecast with the model that made it, so that a planner can
// see why a number is what it is.
type Forecast struct {
	Interval  time.Duration      `json:"interval"`
	Intervals []ForecastInterval `json:"intervals"`
	Method    string             `json:"method"`
	Alpha     float64            `json:"alpha"`
	Beta      float64            `json:"beta"`
	Gamma     float64            `json:"gamma"`
	Phi       float64            `json:"phi"`
	// Level and Trend are the smoothed contacts per day and their daily
	// change at the end of history; Weekly the weekday factors
	// (Sunday first), averaging 1.
	Level   float64    `json:"level"`
	Trend   float64    `json:"trend"`
	Weekly  [7]float64 `json:"weekly"`
	Uplifts []Uplift   `json:"uplifts,omitempty"`
	// Overrides is the log of manual changes, oldest first.
	Overrides []Override `json:"overrides,omitempty"`
}

// Method is the plain-words description stored with every forecast.
const Method = "Holt–Winters on daily volume (level, damped trend, multiplicative weekday factors; " +
	"event and holiday days excluded from smoothing and scaled by uplifts measured against the " +
	"model's own forecast for them), split into intervals by recency-weighted intraday profiles " +
	"per weekday (per event day where history has one); handle time per weekday and interval, recency-weighted"

// dayData is one history day, bucketed into forecast intervals.
type dayData struct {
	date   civil
	vol    []float64
	ahtSum []float64 // Σ volume·AHT, for volume-weighted means
	seen   bool
}

func (d *dayData) total() float64 {
	s := 0.0
	for _, v := range d.vol {
		s += v
	}
	return s
}

// civil is a calendar day, days since 1970-01-01.
type civil int

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func parseCivil(s string) (civil, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("staffing: date %q: %w", s, err)
	}
	return civil(t.Unix() / 86400), nil
}

func (c civil) weekday() time.Weekday { return time.Weekday((int(c)%7 + 11) % 7) } // 1970-01-01 was a Thursday

func (c civil) start(loc *time.Location) time.Time {
	t := time.Unix(int64(c)*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func (c civil) String() string { return time.Unix(int64(c)*86400, 0).UTC().Format("2006-01-02") }

// dayKind is how a day is forecast: a weekday pattern, or day k of an event.
type dayKind struct {
	weekday time.Weekday
	event   string
	day     int
}

type calIndex struct {
	kinds  map[civil]dayKind
	events map[string]Event
}

func (cal Calendar) index() (calIndex, error) {
	ix := calIndex{kinds: map[civil]dayKind{}, events: map[string]Event{}}
	for _, m := range cal.Makeup {
		d, err := parseCivil(m.Date)
		if err != nil {
			return ix, err
		}
		if m.As < time.Monday || m.As > time.Friday {
			return ix, fmt.Errorf("staffing: make-up day %s works as %v, want Monday to Friday", m.Date, m.As)
		}
		ix.kinds[d] = dayKind{weekday: m.As}
	}
	for _, e := range cal.Events {
		if e.Name == "" {
			return ix, errors.New("staffing: event without a name")
		}
		ix.events[e.Name] = e
		days := make([]civil, 0, len(e.Dates))
		for _, s := range e.Dates {
			d, err := parseCivil(s)
			if err != nil {
				return ix, err
			}
			days = append(days, d)
		}
		sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
		k := 0
		for i, d := range days {
			if i > 0 && d == days[i-1]+1 {
				k++
			} else {
				k = 0
			}
			ix.kinds[d] = dayKind{weekday: d.weekday(), event: e.Name, day: k}
		}
	}
	return ix, nil
}

func (ix calIndex) kind(d civil) dayKind {
	if k, ok := ix.kinds[d]; ok {
		return k
	}
	return dayKind{weekday: d.weekday()}
}

func (o Options) withDefaults() (Options, error) {
	if o.Interval == 0 {
		o.Interval = 30 * time.Minute
	}
	if o.Interval <= 0 || (24*time.Hour)%o.Interval != 0 {
		return o, fmt.Errorf("staffing: interval %v does not divide a day", o.Interval)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.HalfLifeWeeks <= 0 {
		o.HalfLifeWeeks = 4
	}
	return o, nil
}

// bucket sorts history into days of forecast intervals.
func bucket(history []Interval, o Options) (first civil, days []dayData, err error) {
	if len(history) == 0 {
		return 0, nil, errors.New("staffing: no history")
	}
	per := int(24 * time.Hour / o.Interval)
	lo, hi := civil(math.MaxInt32), civil(math.MinInt32)
	for _, h := range history {
		d := civilOf(h.Start.In(o.Location))
		lo, hi = min(lo, d), max(hi, d)
	}
	days = make([]dayData, int(hi-lo)+1)
	for i := range days {
		days[i] = dayData{date: lo + civil(i), vol: make([]float64, per), ahtSum: make([]float64, per)}
	}
	for _, h := range history {
		if h.Volume < 0 || math.IsNaN(h.Volume) {
			return 0, nil, fmt.Errorf("staffing: volume %g at %v", h.Volume, h.Start)
		}
		t := h.Start.In(o.Location)
		d := civilOf(t)
		sinceMidnight := t.Sub(d.start(o.Location))
		slot := int(sinceMidnight / o.Interval)
		if slot < 0 || slot >= per {
			continue // a DST day longer than 24 h: its extra hour is dropped
		}
		dd := &days[d-lo]
		dd.seen = true
		dd.vol[slot] += h.Volume
		dd.ahtSum[slot] += h.Volume * h.AHT
	}
	return lo, days, nil
}

// hw is a Holt–Winters run over the daily totals.
type hw struct {
	alpha, beta, gamma, phi float64
	level, trend            float64
	season                  [7]float64
	absErr, sumY            float64 // one-step errors on normal days after warm-up
	base                    map[civil]float64
}

// initHW starts level, trend and weekday factors from the first two weeks
// of ordinary days.
func initHW(days []dayData, ix calIndex) (level, trend float64, season [7]float64, ok bool) {
	var wk [2][7]float64
	var wn [2][7]int
	for i := 0; i < len(days) && i < 14; i++ {
		d := days[i]
		k := ix.kind(d.date)
		if !d.seen || k.event != "" {
			continue
		}
		wk[i/7][k.weekday] += d.total()
		wn[i/7][k.weekday]++
	}
	var mean [2]float64
	var cnt [2]int
	for w := 0; w < 2; w++ {
		for k := 0; k < 7; k++ {
			if wn[w][k] > 0 {
				mean[w] += wk[w][k] / float64(wn[w][k])
				cnt[w]++
			}
		}
		if cnt[w] > 0 {
			mean[w] /= float64(cnt[w])
		}
	}
	if cnt[0]+cnt[1] < 7 || mean[0]+mean[1] <= 0 {
		return 0, 0, season, false
	}
	level = mean[0]
	if cnt[0] == 0 {
		level = mean[1]
	}
	if cnt[0] > 0 && cnt[1] > 0 {
		trend = (mean[1] - mean[0]) / 7
	}
	var sum float64
	var n int
	for k := 0; k < 7; k++ {
		v, c := 0.0, 0
		for w := 0; w < 2; w++ {
			if wn[w][k] > 0 && mean[w] > 0 {
				v += wk[w][k] / float64(wn[w][k]) / mean[w]
				c++
			}
		}
		if c > 0 {
			season[k] = v / float64(c)
			sum += season[k]
			n++
		} else {
			season[k] = -1
		}
	}
	for k := range season {
		if season[k] < 0 {
			season[k] = sum / float64(n)
		}
	}
	return level, trend, season, true
}

func (h *hw) run(days []dayData, ix calIndex, keepBase bool) {
	if keepBase {
		h.base = map[civil]float64{}
	}
	for i, d := range days {
		k := ix.kind(d.date)
		s := h.season[k.weekday]
		pred := (h.level + h.phi*h.trend) * s
		if keepBase {
			h.base[d.date] = pred
		}
		if !d.seen || k.event != "" || s <= 0 {
			// Missing and special days do not teach the model what an
			// ordinary day looks like: carry the level forward.
			h.level += h.phi * h.trend
			h.trend *= h.phi
			continue
		}
		y := d.total()
		if i >= 14 {
			h.absErr += math.Abs(y - pred)
			h.sumY += y
		}
		prev := h.level
		h.level = h.alpha*y/s + (1-h.alpha)*(h.level+h.phi*h.trend)
		if h.level < 0 {
			h.level = 0
		}
		h.trend = h.beta*(h.level-prev) + (1-h.beta)*h.phi*h.trend
		if h.level > 0 {
			h.season[k.weekday] = h.gamma*y/h.level + (1-h.gamma)*s
		}
	}
}

// fitHW picks the smoothing weights with the least one-step-ahead absolute
// error over history (after a two-week warm-up): a small grid, so the
// choice is reproducible and explainable.
func fitHW(days []dayData, ix calIndex, o Options) (hw, error) {
	level, trend, season, ok := initHW(days, ix)
	if !ok {
		return hw{}, errors.New("staffing: need at least a week of ordinary days of history")
	}
	start := hw{level: level, trend: trend, season: season}
	if o.Alpha > 0 {
		h := start
		h.alpha, h.beta, h.gamma, h.phi = o.Alpha, o.Beta, o.Gamma, o.Phi
		if h.phi == 0 {
			h.phi = 1
		}
		h.run(days, ix, true)
		return h, nil
	}
	var best hw
	bestErr := math.Inf(1)
	for _, a := range []float64{0.05, 0.1, 0.2, 0.35, 0.5} {
		for _, b := range []float64{0, 0.02, 0.05, 0.15} {
			for _, g := range []float64{0.05, 0.1, 0.2, 0.35} {
				for _, p := range []float64{0.9, 0.98, 1} {
					h := start
					h.alpha, h.beta, h.gamma, h.phi = a, b, g, p
					h.run(days, ix, false)
					if h.absErr < bestErr {
						bestErr, best = h.absErr, h
					}
				}
			}
		}
	}
	h := start
	h.alpha, h.beta, h.gamma, h.phi = best.alpha, best.beta, best.gamma, best.phi
	h.run(days, ix, true)
	return h, nil
}

// profile is an intraday shape (shares summing to 1) and handle times.
type profile struct {
	share []float64
	aht   []float64
	ok    bool
}

type profileAcc struct {
	vol, aht []float64
	total    float64
	n        int
}

func (p *profileAcc) add(d dayData, w float64) {
	if p.vol == nil {
		p.vol = make([]float64, len(d.vol))
		p.aht = make([]float64, len(d.vol))
	}
	for i := range d.vol {
		p.vol[i] += w * d.vol[i]
		p.aht[i] += w * d.ahtSum[i]
	}
	p.total += w * d.total()
	p.n++
}

func (p *profileAcc) profile(fallbackAHT float64) profile {
	if p.total <= 0 {
		return profile{}
	}
	pr := profile{share: make([]float64, len(p.vol)), aht: make([]float64, len(p.vol)), ok: true}
	var ahtAll, volAll float64
	for i := range p.vol {
		ahtAll += p.aht[i]
		volAll += p.vol[i]
	}
	mean := fallbackAHT
	if volAll > 0 {
		mean = ahtAll / volAll
	}
	for i := range p.vol {
		pr.share[i] = p.vol[i] / p.total
		pr.aht[i] = mean
		// A handle time from a near-empty interval is noise: shrink it to
		// the day's mean in proportion to how little volume it rests on.
		if p.vol[i] > 0 {
			w := p.vol[i] / (p.vol[i] + 5)
			pr.aht[i] = w*p.aht[i]/p.vol[i] + (1-w)*mean
		}
	}
	return pr
}

type eventKey struct {
	name string
	day  int
}

// model is everything needed to forecast any future day.
type model struct {
	o        Options
	ix       calIndex
	last     civil
	hw       hw
	weekday  [7]profile
	events   map[eventKey]profile
	eventAll map[string]profile
	uplift   map[eventKey]Uplift
	upAll    map[string]Uplift
	meanAHT  float64
}

func fit(history []Interval, cal Calendar, o Options) (*model, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	ix, err := cal.index()
	if err != nil {
		return nil, err
	}
	first, days, err := bucket(history, o)
	if err != nil {
		return nil, err
	}
	_ = first
	h, err := fitHW(days, ix, o)
	if err != nil {
		return nil, err
	}
	m := &model{o: o, ix: ix, last: days[len(days)-1].date, hw: h,
		events: map[eventKey]profile{}, eventAll: map[string]profile{},
		uplift: map[eventKey]Uplift{}, upAll: map[string]Uplift{}}

	var ahtSum, volSum float64
	var wk [7]profileAcc
	ev := map[eventKey]*profileAcc{}
	evAll := map[string]*profileAcc{}
	type ratio struct{ y, f float64 }
	rk := map[eventKey]*ratio{}
	ra := map[string]*ratio{}
	for _, d := range days {
		if !d.seen {
			continue
		}
		for i := range d.vol {
			ahtSum += d.ahtSum[i]
			volSum += d.vol[i]
		}
		age := float64(m.last-d.date) / 7
		w := math.Exp2(-age / o.HalfLifeWeeks)
		k := ix.kind(d.date)
		if k.event == "" {
			wk[k.weekday].add(d, w)
			continue
		}
		key := eventKey{k.event, k.day}
		if ev[key] == nil {
			ev[key] = &profileAcc{}
			rk[key] = &ratio{}
		}
		if evAll[k.event] == nil {
			evAll[k.event] = &profileAcc{}
			ra[k.event] = &ratio{}
		}
		// Occurrences are a year apart: weigh them equally, not by age.
		ev[key].add(d, 1)
		evAll[k.event].add(d, 1)
		if f := h.base[d.date]; f > 0 {
			rk[key].y += d.total()
			rk[key].f += f
			ra[k.event].y += d.total()
			ra[k.event].f += f
		}
	}
	m.meanAHT = 300
	if volSum > 0 {
		m.meanAHT = ahtSum / volSum
	}
	var all profileAcc
	for k := range wk {
		if wk[k].n > 0 {
			for i := range wk[k].vol {
				if all.vol == nil {
					all.vol = make([]float64, len(wk[k].vol))
					all.aht = make([]float64, len(wk[k].vol))
				}
				all.vol[i] += wk[k].vol[i]
				all.aht[i] += wk[k].aht[i]
			}
			all.total += wk[k].total
		}
	}
	allP := all.profile(m.meanAHT)
	for k := range wk {
		m.weekday[k] = wk[k].profile(m.meanAHT)
		if !m.weekday[k].ok {
			m.weekday[k] = allP
		}
	}
	for key, acc := range ev {
		m.events[key] = acc.profile(m.meanAHT)
		r := rk[key]
		if r.f > 0 {
			m.uplift[key] = Uplift{Event: key.name, Day: key.day, Factor: r.y / r.f, Source: "history", Occurrences: acc.n}
		}
	}
	for name, acc := range evAll {
		m.eventAll[name] = acc.profile(m.meanAHT)
		if r := ra[name]; r.f > 0 {
			m.upAll[name] = Uplift{Event: name, Factor: r.y / r.f, Source: "event", Occurrences: acc.n}
		}
	}
	return m, nil
}

// upliftFor is the factor of day k of an event: its own history, else the
// event's other days, else the given factor, else 1.
func (m *model) upliftFor(k dayKind) Uplift {
	key := eventKey{k.event, k.day}
	if u, ok := m.uplift[key]; ok {
		return u
	}
	if u, ok := m.upAll[k.event]; ok {
		u.Day = k.day
		return u
	}
	if e := m.ix.events[k.event]; e.Uplift > 0 {
		return Uplift{Event: k.event, Day: k.day, Factor: e.Uplift, Source: "given"}
	}
	return Uplift{Event: k.event, Day: k.day, Factor: 1, Source: "none"}
}

// day forecasts the intervals of one future day.
func (m *model) day(d civil) ([]ForecastInterval, *Uplift) {
	h := int(d - m.last)
	// Damped trend: Σ_{j=1..h} φ^j.
	damp := 0.0
	pw := 1.0
	for j := 1; j <= h; j++ {
		pw *= m.hw.phi
		damp += pw
	}
	k := m.ix.kind(d)
	total := math.Max(0, (m.hw.level+damp*m.hw.trend)*m.hw.season[k.weekday])
	prof := m.weekday[k.weekday]
	var up *Uplift
	if k.event != "" {
		u := m.upliftFor(k)
		up = &u
		total *= u.Factor
		if p, ok := m.events[eventKey{k.event, k.day}]; ok && p.ok {
			prof = p
		} else if p, ok := m.eventAll[k.event]; ok && p.ok {
			prof = p
		}
	}
	start := d.start(m.o.Location)
	per := len(prof.share)
	out := make([]ForecastInterval, per)
	for i := 0; i < per; i++ {
		v := total * prof.share[i]
		out[i] = ForecastInterval{Start: start.Add(time.Duration(i) * m.o.Interval), Volume: v, AHT: prof.aht[i],
			ModelVolume: v, ModelAHT: prof.aht[i], Event: k.event}
	}
	return out, up
}

// MakeForecast forecasts the days from the day of from (in the options'
// time zone) for days days, from history that ends before that day.
func MakeForecast(history []Interval, cal Calendar, from time.Time, days int, o Options) (Forecast, error) {
	m, err := fit(history, cal, o)
	if err != nil {
		return Forecast{}, err
	}
	first := civilOf(from.In(m.o.Location))
	if first <= m.last {
		return Forecast{}, fmt.Errorf("staffing: forecast from %s, but history runs to %s", first, m.last)
	}
	f := Forecast{Interval: m.o.Interval, Method: Method, Alpha: m.hw.alpha, Beta: m.hw.beta, Gamma: m.hw.gamma, Phi: m.hw.phi,
		Level: m.hw.level, Trend: m.hw.trend}
	var mean float64
	for _, s := range m.hw.season {
		mean += s / 7
	}
	for k, s := range m.hw.season {
		if mean > 0 {
			f.Weekly[k] = s / mean
		}
	}
	seen := map[eventKey]bool{}
	for i := 0; i < days; i++ {
		iv, up := m.day(first + civil(i))
		f.Intervals = append(f.Intervals, iv...)
		if up != nil && !seen[eventKey{up.Event, up.Day}] {
			seen[eventKey{up.Event, up.Day}] = true
			f.Uplifts = append(f.Uplifts, *up)
		}
	}
	return f, nil
}

// Override is a manual change to a forecast, kept with who made it, when
// and why. It applies to every interval starting in [From, To): a factor
// on the volume, or a volume or handle time set outright (zero fields are
// left alone).
type Override struct {
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	VolumeFactor float64   `json:"volume_factor,omitempty"`
	Volume       float64   `json:"volume,omitempty"`
	AHT          float64   `json:"aht_seconds,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
	Reason       string    `json:"reason,omitempty"`
	// Intervals is how many intervals it changed (filled by Apply).
	Intervals int `json:"intervals"`
}

// Apply changes the forecast by hand and records the change. The model's
// own numbers stay in ModelVolume and ModelAHT.
func (f *Forecast) Apply(o Override) error {
	switch {
	case o.By == "":
		return errors.New("staffing: an override needs the name of who made it")
	case !o.To.After(o.From):
		return errors.New("staffing: an override needs From before To")
	case o.VolumeFactor < 0 || o.Volume < 0 || o.AHT < 0:
		return errors.New("staffing: an override cannot be negative")
	case o.VolumeFactor == 0 && o.Volume == 0 && o.AHT == 0:
		return errors.New("staffing: an override changes nothing")
	case o.VolumeFactor > 0 && o.Volume > 0:
		return errors.New("staffing: an override sets a volume or scales it, not both")
	}
	o.Intervals = 0
	for i := range f.Intervals {
		iv := &f.Intervals[i]
		if iv.Start.Before(o.From) || !iv.Start.Before(o.To) {
			continue
		}
		if o.VolumeFactor > 0 {
			iv.Volume *= o.VolumeFactor
		}
		if o.Volume > 0 {
			iv.Volume = o.Volume
		}
		if o.AHT > 0 {
			iv.AHT = o.AHT
		}
		iv.OverriddenBy = o.By
		o.Intervals++
	}
	if o.Intervals == 0 {
		return errors.New("staffing: the override covers no forecast interval")
	}
	f.Overrides = append(f.Overrides, o)
	return nil
}

// Accuracy is forecast error measured on past weeks held back from the
// model: each week is forecast from the history before it.
type Accuracy struct {
	Weeks []WeekAccuracy `json:"weeks"`
	// WAPE is Σ|forecast − actual| / Σ actual over all intervals of all
	// weeks: the error per contact, robust to quiet intervals. MAPE is the
	// mean of |forecast − actual|/actual over intervals with at least one
	// contact, the figure many centers quote; quiet intervals inflate it.
	WAPE    float64 `json:"wape"`
	MAPE    float64 `json:"mape"`
	DayWAPE float64 `json:"day_wape"` // of daily totals
	AHTWAPE float64 `json:"aht_wape"` // of handle time, volume-weighted
}

// WeekAccuracy is the error of one held-back week.
type WeekAccuracy struct {
	Start   time.Time `json:"start"`
	WAPE    float64   `json:"wape"`
	MAPE    float64   `json:"mape"`
	DayWAPE float64   `json:"day_wape"`
}

// Backtest holds back each of the last weeks weeks of history in turn,
// forecasts it from what came before, and measures the error.
func Backtest(history []Interval, cal Calendar, weeks int, o Options) (Accuracy, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Accuracy{}, err
	}
	_, days, err := bucket(history, o)
	if err != nil {
		return Accuracy{}, err
	}
	if weeks < 1 || len(days) < 7*weeks+14 {
		return Accuracy{}, fmt.Errorf("staffing: %d days of history are too few to hold back %d weeks", len(days), weeks)
	}
	var acc Accuracy
	var absAll, actAll, apeSum, dayAbs, dayAct, ahtAbs, ahtAct float64
	var apeN int
	for w := weeks; w >= 1; w-- {
		cut := days[len(days)-7*w].date
		cutTime := cut.start(o.Location)
		var train []Interval
		for _, h := range history {
			if h.Start.Before(cutTime) {
				train = append(train, h)
			}
		}
		f, err := MakeForecast(train, cal, cutTime, 7, o)
		if err != nil {
			return Accuracy{}, err
		}
		var wAbs, wAct, wApe, wdAbs, wdAct float64
		var wApeN int
		per := len(days[0].vol)
		for di := 0; di < 7; di++ {
			d := days[len(days)-7*w+di]
			var fd float64
			for i := 0; i < per; i++ {
				fi := f.Intervals[di*per+i]
				a := d.vol[i]
				wAbs += math.Abs(fi.Volume - a)
				wAct += a
				fd += fi.Volume
				if a >= 1 {
					wApe += math.Abs(fi.Volume-a) / a
					wApeN++
					ahtAbs += a * math.Abs(fi.AHT-d.ahtSum[i]/a)
					ahtAct += d.ahtSum[i]
				}
			}
			wdAbs += math.Abs(fd - d.total())
			wdAct += d.total()
		}
		wa := WeekAccuracy{Start: cutTime}
		if wAct > 0 {
			wa.WAPE = wAbs / wAct
			wa.DayWAPE = wdAbs / wdAct
		}
		if wApeN > 0 {
			wa.MAPE = wApe / float64(wApeN)
		}
		acc.Weeks = append(acc.Weeks, wa)
		absAll += wAbs
		actAll += wAct
		apeSum += wApe
		apeN += wApeN
		dayAbs += wdAbs
		dayAct += wdAct
	}
	if actAll > 0 {
		acc.WAPE = absAll / actAll
		acc.DayWAPE = dayAbs / dayAct
	}
	if apeN > 0 {
		acc.MAPE = apeSum / float64(apeN)
	}
	if ahtAct > 0 {
		acc.AHTWAPE = ahtAbs / ahtAct
	}
	return acc, nil
}
