package staffing

import (
	"math"
	"testing"

	"github.com/kefu-project/kefu/internal/erlang"
)

// One half-hour worked by hand: 100 offered, 90 answered (72 within 20 s),
// 10 abandoned (6 within 20 s, 3 within 5 s).
var handInterval = Counts{Offered: 100, Answered: 90, AnsweredWithin: 72, Abandoned: 10, AbandonedWithin: 6, AbandonedShort: 3}

func TestVariantsOnHandWorkedInterval(t *testing.T) {
	for _, c := range []struct {
		variant string
		want    float64
	}{
		{"answered", 72.0 / 90},                   // 0.8
		{"offered", 72.0 / 100},                   // 0.72
		{"answered_abandoned_after", 72.0 / 94},   // 90 + (10 − 6)
		{"abandons_within_met", (72.0 + 6) / 100}, // 0.78
		{"exclude_short_abandons", 72.0 / 97},     // 100 − 3
		{"", 72.0 / 100},                          // the default is over offered
	} {
		v, err := VariantByName(c.variant)
		if err != nil {
			t.Fatal(err)
		}
		f := v.Figure(handInterval)
		if !f.Defined || math.Abs(f.Value-c.want) > 1e-15 {
			t.Errorf("%s: %v, want %v", c.variant, f.Value, c.want)
		}
		if f.Formula == "" || f.Variant == "" {
			t.Errorf("%s: a figure must carry its formula: %+v", c.variant, f)
		}
	}
	if _, err := VariantByName("within_t"); err == nil {
		t.Error("unknown variants must be refused")
	}
	if err := handInterval.Check(); err != nil {
		t.Error(err)
	}
	if err := (Counts{Offered: 5, Answered: 5, AnsweredWithin: 6}).Check(); err == nil {
		t.Error("more answered in time than answered must be refused")
	}
}

// A day is its counts summed, never the mean of its percentages.
func TestDayIsVolumeWeighted(t *testing.T) {
	day := []Counts{
		handInterval, // 72 %
		{Offered: 2, Answered: 2, AnsweredWithin: 2},                                                              // a quiet night half-hour, 100 %
		{Offered: 400, Answered: 360, AnsweredWithin: 200, Abandoned: 40, AbandonedWithin: 10, AbandonedShort: 4}, // the missed peak, 50 %
	}
	f := SLOffered.Aggregate(day)
	want := (72.0 + 2 + 200) / (100 + 2 + 400) // 274/502 = 0.5458
	if math.Abs(f.Value-want) > 1e-15 || f.Numerator != 274 || f.Denominator != 502 {
		t.Errorf("day = %+v, want %v", f, want)
	}
	if plain := (0.72 + 1 + 0.5) / 3; math.Abs(f.Value-plain) < 0.1 {
		t.Errorf("the day figure %v must not be the plain mean %v", f.Value, plain)
	}
	// Over answered: (72 + 2 + 200) / (90 + 2 + 360).
	if g := SLAnswered.Aggregate(day); math.Abs(g.Value-274.0/452) > 1e-15 {
		t.Errorf("answered day = %v", g.Value)
	}
	if e := SLOffered.Aggregate(nil); e.Defined {
		t.Error("no contacts, no figure")
	}
}

// Without abandonment every variant is the same number; with it they
// differ in the order the definitions imply.
func TestVariantsFromModel(t *testing.T) {
	c := erlang.Queue{Agents: 14, Erlangs: 10, AHT: 180}.Eval(20, 5)
	for _, v := range Variants() {
		if got := v.ModelSL()(c); math.Abs(got-c.AnsweredWithin) > 1e-12 {
			t.Errorf("Erlang C, %s: %v, want %v", v.Name, got, c.AnsweredWithin)
		}
	}
	a := erlang.Queue{Agents: 12, Erlangs: 10, AHT: 180, Patience: 60}.Eval(20, 5)
	off, ans := SLOffered.ModelSL()(a), SLAnswered.ModelSL()(a)
	met, excl := SLAbandonsMet.ModelSL()(a), SLExcludeShort.ModelSL()(a)
	if !(off < excl && excl < ans && off < met) {
		t.Errorf("offered %v, excluding short %v, answered %v, abandons met %v", off, excl, ans, met)
	}
}
