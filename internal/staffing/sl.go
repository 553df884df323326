// Package staffing turns contact history into staffing: service level as
// contact centers define it, forecasts of volume and handle time per
// interval, staffing plans per queue and interval (Erlang C or A, with
// shrinkage and the split between in-house staff and vendors), and shift
// schedules that cover a plan with the least over-staffing.
//
// Everything here is a pure function over plain data; storing, loading and
// serving it is the business of other packages.
package staffing

import (
	"fmt"
	"sort"

	"github.com/kefu-project/kefu/internal/erlang"
)

// Counts are the contact counts of one interval (or their expected values
// from a queueing model) from which every service-level variant is a
// ratio. Offered = Answered + Abandoned.
type Counts struct {
	Offered         float64 `json:"offered"`
	Answered        float64 `json:"answered"`
	AnsweredWithin  float64 `json:"answered_within"`  // answered within the threshold t
	Abandoned       float64 `json:"abandoned"`        // hung up before an answer
	AbandonedWithin float64 `json:"abandoned_within"` // hung up within t
	AbandonedShort  float64 `json:"abandoned_short"`  // hung up within the short-abandon time s (s ≤ t)
}

// Add returns the sum of two interval counts: the only correct way to get
// a day's figure is to add counts and divide once.
func (c Counts) Add(d Counts) Counts {
	return Counts{
		Offered:         c.Offered + d.Offered,
		Answered:        c.Answered + d.Answered,
		AnsweredWithin:  c.AnsweredWithin + d.AnsweredWithin,
		Abandoned:       c.Abandoned + d.Abandoned,
		AbandonedWithin: c.AbandonedWithin + d.AbandonedWithin,
		AbandonedShort:  c.AbandonedShort + d.AbandonedShort,
	}
}

// Check reports counts that contradict each other.
func (c Counts) Check() error {
	const eps = 1e-9
	switch {
	case c.Offered < 0 || c.Answered < 0 || c.Abandoned < 0 || c.AnsweredWithin < 0 || c.AbandonedWithin < 0 || c.AbandonedShort < 0:
		return fmt.Errorf("staffing: negative count in %+v", c)
	case c.Answered+c.Abandoned > c.Offered*(1+eps)+eps:
		return fmt.Errorf("staffing: answered %g + abandoned %g exceed offered %g", c.Answered, c.Abandoned, c.Offered)
	case c.AnsweredWithin > c.Answered*(1+eps)+eps:
		return fmt.Errorf("staffing: answered within t %g exceeds answered %g", c.AnsweredWithin, c.Answered)
	case c.AbandonedWithin > c.Abandoned*(1+eps)+eps || c.AbandonedShort > c.AbandonedWithin*(1+eps)+eps:
		return fmt.Errorf("staffing: abandons within s ≤ within t ≤ all abandons, got %g, %g, %g", c.AbandonedShort, c.AbandonedWithin, c.Abandoned)
	}
	return nil
}

// Variant is one definition of service level, a ratio of counts.
type Variant struct {
	// Name selects the variant (per tenant, in configuration).
	Name string `json:"name"`
	// Label is how reports title it; Formula is printed next to every
	// figure so that nobody compares an "80 %" with a different "80 %".
	Label   string `json:"label"`
	Formula string `json:"formula"`
	num     func(Counts) float64
	den     func(Counts) float64
}

// The variants in use in contact centers. t is the threshold (20 s in
// "80/20"), s the short-abandon time (typically 5–10 s): callers who hang
// up that fast are treated as never having really been offered.
var (
	SLAnswered = Variant{
		Name: "answered", Label: "answered within t / answered",
		Formula: "answered_within_t / answered",
		num:     func(c Counts) float64 { return c.AnsweredWithin },
		den:     func(c Counts) float64 { return c.Answered },
	}
	SLOffered = Variant{
		Name: "offered", Label: "answered within t / offered",
		Formula: "answered_within_t / (answered + abandoned)",
		num:     func(c Counts) float64 { return c.AnsweredWithin },
		den:     func(c Counts) float64 { return c.Offered },
	}
	SLAbandonedAfter = Variant{
		Name: "answered_abandoned_after", Label: "answered within t / (answered + abandoned after t)",
		Formula: "answered_within_t / (answered + abandoned − abandoned_within_t)",
		num:     func(c Counts) float64 { return c.AnsweredWithin },
		den:     func(c Counts) float64 { return c.Answered + c.Abandoned - c.AbandonedWithin },
	}
	SLAbandonsMet = Variant{
		Name: "abandons_within_met", Label: "(answered + abandoned) within t / offered",
		Formula: "(answered_within_t + abandoned_within_t) / (answered + abandoned)",
		num:     func(c Counts) float64 { return c.AnsweredWithin + c.AbandonedWithin },
		den:     func(c Counts) float64 { return c.Offered },
	}
	SLExcludeShort = Variant{
		Name: "exclude_short_abandons", Label: "answered within t / (offered − abandoned within s)",
		Formula: "answered_within_t / (answered + abandoned − abandoned_within_s)",
		num:     func(c Counts) float64 { return c.AnsweredWithin },
		den:     func(c Counts) float64 { return c.Offered - c.AbandonedShort },
	}
)

// Variants lists every variant, the default (over offered) first: it is
// the strictest of the common ones and the only one that cannot be
// improved by letting callers hang up.
func Variants() []Variant {
	return []Variant{SLOffered, SLAnswered, SLAbandonedAfter, SLAbandonsMet, SLExcludeShort}
}

// VariantByName finds a variant; "" is the default.
func VariantByName(name string) (Variant, error) {
	if name == "" {
		return SLOffered, nil
	}
	for _, v := range Variants() {
		if v.Name == name {
			return v, nil
		}
	}
	names := make([]string, 0, 5)
	for _, v := range Variants() {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return Variant{}, fmt.Errorf("staffing: unknown service-level variant %q (known: %v)", name, names)
}

// Value is the variant's service level of c, and ok = false when its
// denominator is zero (no contacts: no figure, rather than 0 % or 100 %).
func (v Variant) Value(c Counts) (sl float64, ok bool) {
	d := v.den(c)
	if d <= 0 {
		return 0, false
	}
	return v.num(c) / d, true
}

// Figure is a labelled service level: value and the parts it came from.
type Figure struct {
	Variant     string  `json:"variant"`
	Formula     string  `json:"formula"`
	Value       float64 `json:"value"`
	Numerator   float64 `json:"numerator"`
	Denominator float64 `json:"denominator"`
	// Defined is false when there were no contacts to measure.
	Defined bool `json:"defined"`
}

// Figure computes a labelled figure of c.
func (v Variant) Figure(c Counts) Figure {
	f := Figure{Variant: v.Name, Formula: v.Formula, Numerator: v.num(c), Denominator: v.den(c)}
	f.Value, f.Defined = v.Value(c)
	return f
}

// Aggregate is the figure of a day (or any span) from its intervals: the
// counts are summed and divided once, so that each interval weighs by its
// volume. The plain mean of interval percentages would let a quiet night
// hour at 100 % outweigh a missed peak.
func (v Variant) Aggregate(intervals []Counts) Figure {
	var sum Counts
	for _, c := range intervals {
		sum = sum.Add(c)
	}
	return v.Figure(sum)
}

// ModelSL returns the function that computes the variant from Erlang
// metrics (shares of offered contacts), for erlang.Target.SLOf: staffing
// to the variant a center actually reports.
func (v Variant) ModelSL() func(erlang.Metrics) float64 {
	return func(m erlang.Metrics) float64 {
		sl, _ := v.Value(Expected(m, 1))
		return sl
	}
}

// Expected is the expected counts of volume contacts offered to a queue
// with metrics m.
func Expected(m erlang.Metrics, volume float64) Counts {
	ab := m.PAbandon
	return Counts{
		Offered:         volume,
		Answered:        volume * (1 - ab),
		AnsweredWithin:  volume * m.AnsweredWithin,
		Abandoned:       volume * ab,
		AbandonedWithin: volume * m.AbandonedWithin,
		AbandonedShort:  volume * m.AbandonedShort,
	}
}
