package simulate

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/erlang"
	"github.com/kefu-project/kefu/internal/kefu"
)

// One queue, no abandonment, Poisson arrivals, exponential handle times
// and N single-slot agents is M/M/N: the simulated service level must
// agree with Erlang C.
func TestSingleQueueMatchesErlangC(t *testing.T) {
	for _, c := range []struct {
		agents int
		erl    float64
	}{{20, 17}, {50, 45}} {
		aht := 180 * time.Second
		hours := 400
		perHour := c.erl * 3600 / aht.Seconds()
		sc := Scenario{Name: "mmn", Duration: Duration(time.Duration(hours) * time.Hour), Interval: Duration(time.Hour), Seed: 7,
			Queues: []Queue{{Queue: kefu.Queue{ID: "q", Channel: "phone"}, Routing: kefu.QueueRouting{ServiceLevelSeconds: 20},
				Contacts: int(perHour) * hours, AHT: Duration(aht), HandleCV: 1}},
			Agents: []AgentGroup{{Name: "all", Count: c.agents, Tier: "junior", Capacity: map[string]int{"phone": 1}}}}
		res, err := Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		want := erlang.ServiceLevel(c.agents, c.erl, aht.Seconds(), 20)
		wantASA := erlang.ASA(c.agents, c.erl, aht.Seconds())
		got := res.Total.ServiceLevel
		t.Logf("N=%d A=%g: simulated SL %.4f ASA %.1fs over %d contacts; Erlang C SL %.4f ASA %.1fs; occupancy %.3f",
			c.agents, c.erl, got, res.Total.ASASeconds, res.Contacts, want, wantASA, res.Groups[0].Occupancy)
		if math.Abs(got-want) > 0.015 {
			t.Errorf("service level %.4f, Erlang C says %.4f", got, want)
		}
		if math.Abs(res.Total.ASASeconds-wantASA) > 0.1*wantASA {
			t.Errorf("ASA %.1fs, Erlang C says %.1fs", res.Total.ASASeconds, wantASA)
		}
		if math.Abs(res.Groups[0].Occupancy-c.erl/float64(c.agents)) > 0.02 {
			t.Errorf("occupancy %.3f, offered load says %.3f", res.Groups[0].Occupancy, c.erl/float64(c.agents))
		}
		if res.Total.Abandoned != 0 || res.Total.Answered != res.Contacts {
			t.Errorf("with infinite patience every contact is answered: %+v", res.Total)
		}
	}
}

func TestDouble11ScaledDown(t *testing.T) {
	sc := Double11()
	// A tenth of the volume and of the agents keeps the shape.
	for i := range sc.Queues {
		sc.Queues[i].Contacts /= 10
	}
	for i := range sc.Agents {
		sc.Agents[i].Count = max(sc.Agents[i].Count/10, 1)
	}
	res, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	if res.Contacts < 90000 || res.Contacts > 110000 {
		t.Fatalf("contacts %d, want about 98,000", res.Contacts)
	}
	if res.Total.Answered+res.Total.Abandoned != res.Contacts {
		t.Fatalf("every contact ends answered or abandoned: %+v", res.Total)
	}
	byTier := map[string]Metrics{}
	for _, m := range res.Tiers {
		byTier[m.Name] = m.Metrics
	}
	if byTier["KA"].ASASeconds > byTier["standard"].ASASeconds {
		t.Errorf("KA customers waited longer (%.1fs) than standard (%.1fs)", byTier["KA"].ASASeconds, byTier["standard"].ASASeconds)
	}
	for _, q := range res.Queues {
		if q.Name == "safety" && q.Abandoned > 0 {
			t.Errorf("an emergency was abandoned: %+v", q)
		}
	}
	buf.Reset()
	if err := res.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1+4*(1+len(sc.Queues)) || !strings.HasPrefix(rows[1][0], "2026-11-11T00:00:00") {
		t.Fatalf("csv: %d rows, first %v", len(rows), rows[1])
	}
}

func TestScenarioValidation(t *testing.T) {
	for name, mut := range map[string]func(*Scenario){
		"interval":  func(s *Scenario) { s.Interval = Duration(7 * time.Minute) },
		"curve":     func(s *Scenario) { s.Queues[0].Curve = []float64{1} },
		"tiers":     func(s *Scenario) { s.Tiers[0].Share = 0.5 },
		"aht":       func(s *Scenario) { s.Queues[0].AHT = 0 },
		"no agents": func(s *Scenario) { s.Agents = nil },
	} {
		sc := Double11()
		mut(&sc)
		if _, err := Run(sc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
