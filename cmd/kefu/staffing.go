package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/kefu-project/kefu/internal/erlang"
)

// staffingResult is what `kefu staffing --json` prints. Pointers are
// figures that can be infinite (an unstable Erlang C pool) or do not apply
// (p_abandon without patience); JSON has no infinity, so they are null.
type staffingResult struct {
	Model        string   `json:"model"` // erlang_c or erlang_a
	Erlangs      float64  `json:"erlangs"`
	Agents       int      `json:"agents"`
	Scheduled    int      `json:"scheduled"`
	ServiceLevel float64  `json:"service_level"`
	SLMiss       float64  `json:"service_level_miss"` // 1 − service_level, kept precise
	SLSeconds    float64  `json:"sl_seconds"`
	ASASeconds   *float64 `json:"asa_seconds"` // mean wait over all contacts
	Occupancy    float64  `json:"occupancy"`
	PWait        float64  `json:"p_wait"`
	PAbandon     *float64 `json:"p_abandon,omitempty"`
	Stable       bool     `json:"stable"`
}

// cmdStaffing answers one staffing question with Erlang C, or Erlang A
// when callers have a patience: how many agents a volume needs for a
// target, or (with --agents) what a given staff achieves.
func cmdStaffing(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("staffing", flag.ContinueOnError)
	fs.SetOutput(stderr)
	volume := fs.Float64("volume", 0, "contacts offered per interval (required)")
	interval := fs.Duration("interval", 30*time.Minute, "interval length")
	aht := fs.Duration("aht", 180*time.Second, "average handle time")
	sl := fs.Float64("sl", 0, "service-level target: share answered within --sl-seconds (0.8 for 80/20; default 0.8 when no other target is set)")
	slSeconds := fs.Float64("sl-seconds", 20, "service-level threshold in seconds")
	asa := fs.Duration("asa", 0, "target mean wait over all contacts (e.g. 30s)")
	maxOcc := fs.Float64("max-occupancy", 0, "largest share of agent time busy (e.g. 0.85)")
	shrinkage := fs.Float64("shrinkage", 0, "share of paid time not on contacts; scheduled = ceil(agents / (1 − shrinkage))")
	patience := fs.Duration("patience", 0, "mean caller patience; switches to Erlang A (e.g. 300s)")
	maxAbandon := fs.Float64("max-abandon", 0, "largest share abandoning (Erlang A, e.g. 0.05)")
	agents := fs.Int("agents", 0, "evaluate this many agents instead of finding the number needed")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("staffing: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *volume < 0 || math.IsNaN(*volume):
		return errors.New("staffing: --volume must be a number of contacts ≥ 0")
	case *interval <= 0:
		return errors.New("staffing: --interval must be positive")
	case *aht <= 0:
		return errors.New("staffing: --aht must be positive")
	case *shrinkage < 0 || *shrinkage >= 1:
		return errors.New("staffing: --shrinkage must be in [0, 1)")
	case *patience < 0:
		return errors.New("staffing: --patience cannot be negative")
	case *maxAbandon > 0 && *patience == 0:
		return errors.New("staffing: --max-abandon needs --patience (Erlang C has no abandonment)")
	case *agents < 0:
		return errors.New("staffing: --agents cannot be negative")
	}
	tg := erlang.Target{SL: *sl, SLSeconds: *slSeconds, ASA: asa.Seconds(), MaxOccupancy: *maxOcc, MaxAbandon: *maxAbandon}
	if tg.SL == 0 && tg.ASA == 0 && tg.MaxOccupancy == 0 && tg.MaxAbandon == 0 && *agents == 0 {
		tg.SL = 0.8
	}
	if err := tg.Validate(); err != nil {
		return err
	}
	a := erlang.Erlangs(*volume, aht.Seconds(), interval.Seconds())
	pat := patience.Seconds()
	var m erlang.Metrics
	if *agents > 0 {
		m = erlang.Queue{Agents: *agents, Erlangs: a, AHT: aht.Seconds(), Patience: pat}.Eval(*slSeconds, 0)
		m.Agents = *agents
	} else {
		var err error
		if m, err = erlang.Agents(a, aht.Seconds(), pat, tg); err != nil {
			return fmt.Errorf("staffing: %w", err)
		}
	}
	res := staffingResult{Model: "erlang_c", Erlangs: a, Agents: m.Agents, Scheduled: erlang.Scheduled(m.Agents, *shrinkage),
		ServiceLevel: m.AnsweredWithin, SLMiss: m.NotAnsweredWithin, SLSeconds: *slSeconds, Occupancy: m.Occupancy, PWait: m.PWait, Stable: m.Stable}
	if !math.IsInf(m.ASA, 0) {
		v := m.ASA
		res.ASASeconds = &v
	}
	if pat > 0 {
		res.Model = "erlang_a"
		v := m.PAbandon
		res.PAbandon = &v
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.writeText(stdout, *shrinkage)
}

func (r staffingResult) writeText(w io.Writer, shrinkage float64) error {
	model := "Erlang C (callers wait forever)"
	if r.Model == "erlang_a" {
		model = "Erlang A (callers with exponential patience)"
	}
	asa := "unbounded (more traffic than agents)"
	if r.ASASeconds != nil {
		asa = fmt.Sprintf("%.1f s (over all contacts)", *r.ASASeconds)
	}
	_, err := fmt.Fprintf(w, "model          %s\ntraffic        %.3f erlangs\nagents         %d on contacts\nscheduled      %d at %.0f %% shrinkage\nservice level  %.4f within %g s (miss %.3g)\nASA            %s\noccupancy      %.4f\np(wait)        %.4f\n",
		model, r.Erlangs, r.Agents, r.Scheduled, 100*shrinkage, r.ServiceLevel, r.SLSeconds, r.SLMiss, asa, r.Occupancy, r.PWait)
	if err == nil && r.PAbandon != nil {
		_, err = fmt.Fprintf(w, "p(abandon)     %.4f\n", *r.PAbandon)
	}
	return err
}
