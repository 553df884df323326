package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func runStaffing(t *testing.T, args ...string) (map[string]any, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(t.Context(), append([]string{"staffing"}, args...), &out, &errs)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return m, nil
}

func TestStaffingCommand(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want map[string]float64 // fields to ±tol
		tol  float64
		null []string // fields that must be null or absent
	}{
		// The worked example (100 calls in 30 min, AHT 180 s, 80/20,
		// occupancy ≤ 85 %, 30 % shrinkage): 14 agents, 20 scheduled,
		// SL 0.8884, P(wait) 0.1741, ASA 7.84 s, occupancy 0.7143.
		{"erlang C", []string{"--volume", "100", "--interval", "30m", "--aht", "180s", "--sl", "0.8", "--sl-seconds", "20", "--max-occupancy", "0.85", "--shrinkage", "0.3", "--json"},
			map[string]float64{"agents": 14, "scheduled": 20, "service_level": 0.8884, "p_wait": 0.1741, "asa_seconds": 7.836, "occupancy": 0.7143, "erlangs": 10}, 0.0005,
			[]string{"p_abandon"}},
		// The default target is 80/20.
		{"default target", []string{"--volume", "100", "--json"}, map[string]float64{"agents": 14, "scheduled": 14}, 0, nil},
		// An ASA target.
		{"asa", []string{"--volume", "200", "--interval", "1h", "--aht", "3m", "--asa", "120s", "--json"}, map[string]float64{"agents": 12}, 0, nil},
		// Erlang A with patience 300 s (pyworkforce's published case):
		// 13 agents, SL 0.858, abandon 0.025, P(wait) 0.226, occupancy 0.750.
		{"erlang A", []string{"--volume", "100", "--aht", "180s", "--sl", "0.8", "--max-occupancy", "0.85", "--patience", "300s", "--max-abandon", "0.05", "--shrinkage", "0.3", "--json"},
			map[string]float64{"agents": 13, "scheduled": 19, "service_level": 0.858, "p_abandon": 0.025, "p_wait": 0.226, "occupancy": 0.750}, 0.0005, nil},
		// Evaluating a given staff: pyworkforce's 14 positions.
		{"evaluate A", []string{"--volume", "100", "--patience", "5m", "--agents", "14", "--json"},
			map[string]float64{"agents": 14, "service_level": 0.916792, "p_abandon": 0.013984, "p_wait": 0.14526, "asa_seconds": 4.1951}, 0.00005, nil},
		// Too few agents for Erlang C: unstable, ASA is null, not a number.
		{"overloaded", []string{"--volume", "100", "--agents", "9", "--json"}, map[string]float64{"agents": 9, "service_level": 0, "p_wait": 1}, 0, []string{"asa_seconds"}},
	} {
		m, err := runStaffing(t, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for k, want := range c.want {
			got, ok := m[k].(float64)
			if !ok || math.Abs(got-want) > c.tol {
				t.Errorf("%s: %s = %v, want %v", c.name, k, m[k], want)
			}
		}
		for _, k := range c.null {
			if v, ok := m[k]; ok && v != nil {
				t.Errorf("%s: %s = %v, want null", c.name, k, v)
			}
		}
		for _, k := range []string{"agents", "scheduled", "service_level", "asa_seconds", "occupancy", "p_wait"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: %s missing", c.name, k)
			}
		}
	}
}

func TestStaffingCommandText(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"staffing", "--volume", "380", "--aht", "200s", "--patience", "120s", "--max-abandon", "0.03"}, &out, &errs); err != nil {
		t.Fatal(err, errs.String())
	}
	for _, want := range []string{"Erlang A", "agents", "p(abandon)", "service level"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
}

func TestStaffingCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--volume", "-1"},
		{"--volume", "100", "--sl", "1"},
		{"--volume", "100", "--max-abandon", "0.05"}, // needs --patience
		{"--volume", "100", "--shrinkage", "1"},
		{"--volume", "100", "--interval", "0s"},
		{"--volume", "100", "extra"},
		{"--bogus"},
	} {
		if _, err := runStaffing(t, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
