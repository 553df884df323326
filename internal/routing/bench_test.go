package routing

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// world is the scale: 4,000 agents, 200 queues, 50 skills.
func world(b *testing.B) (*Engine, *rand.Rand) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := New(Options{})
	for q := range 200 {
		spec := QueueSpec{ID: fmt.Sprint("q", q), Channel: "chat", Policy: DefaultPolicy(),
			Skills: []SkillReq{{Skill: fmt.Sprint("s", q%50), MinLevel: 2}, {Skill: fmt.Sprint("lang", q%5)}},
			Steps: []Step{{Name: "relax", After: 20 * time.Second, LowerLevels: 1},
				{Name: "experts", After: 40 * time.Second, AddTiers: []string{"expert"}},
				{Name: "vendor", After: 60 * time.Second, AddPools: []string{"apex"}}}}
		spec.Tiers = []string{"junior", "intermediate", "senior"}
		spec.Policy.OfferTimeout = 30 * time.Second
		if q%3 == 0 {
			spec.Split = []Share{{Pool: InHouse, Weight: 70}, {Pool: "vista", Weight: 30}}
		}
		if _, err := e.SetQueue(t0, spec); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 4000 {
		sk := map[string]int{fmt.Sprint("lang", i%5): 3}
		for range 6 {
			sk[fmt.Sprint("s", rng.IntN(50))] = 1 + rng.IntN(5)
		}
		vendor := InHouse
		switch i % 10 {
		case 7, 8:
			vendor = "vista"
		case 9:
			vendor = "apex"
		}
		id := fmt.Sprint("a", i)
		if _, err := e.SetAgent(t0, AgentSpec{ID: id, Tier: Tiers[i%4], Vendor: vendor, Skills: sk,
			Capacity: map[string]int{"chat": 3}}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.SetState(t0, id, Available, ""); err != nil {
			b.Fatal(err)
		}
	}
	return e, rng
}

func report(b *testing.B, lat []time.Duration, decisions uint64, elapsed time.Duration) {
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
	}
	b.ReportMetric(float64(decisions)/elapsed.Seconds(), "decisions/s")
}

// BenchmarkRouteAgentFree: every agent is full and a backlog waits; each
// op completes one item, so the freed agent picks the best waiting item
// across its queues (one decision), and a new item arrives to wait.
//
//	go test ./internal/routing -run XXX -bench . -cpu 1
func BenchmarkRouteAgentFree(b *testing.B) {
	e, rng := world(b)
	now := t0
	held := make([]string, 0, 20000)
	n := 0
	var pending []Event
	accept := func(evs []Event) {
		pending = append(pending[:0], evs...)
		for _, ev := range pending {
			if ev.Kind == EvOffered {
				if _, err := e.Accept(now, ev.Item, ev.Agent); err != nil {
					b.Fatal(err)
				}
				held = append(held, ev.Item)
			}
		}
	}
	enqueue := func() {
		n++
		id := fmt.Sprint("i", n)
		evs, err := e.Enqueue(now, ItemSpec{ID: id, Queue: fmt.Sprint("q", rng.IntN(200)), CustomerTier: []string{"KA", "standard", "standard", "VIP"}[n%4]})
		if err != nil {
			b.Fatal(err)
		}
		accept(evs)
	}
	for range 20000 {
		enqueue()
	}
	ids := make([]string, b.N+1)
	queues := make([]string, b.N+1)
	for i := range ids {
		ids[i] = fmt.Sprint("i", n+1+i)
		queues[i] = fmt.Sprint("q", rng.IntN(200))
	}
	lat := make([]time.Duration, 0, b.N)
	d0 := e.Decisions()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		k := rng.IntN(len(held))
		id := held[k]
		t := time.Now()
		evs, err := e.Complete(now, id)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		held[k] = held[len(held)-1]
		held = held[:len(held)-1]
		accept(evs)
		evs, err = e.Enqueue(now, ItemSpec{ID: ids[i], Queue: queues[i]})
		if err != nil {
			b.Fatal(err)
		}
		accept(evs)
		accept(e.Advance(now))
	}
	report(b, lat, e.Decisions()-d0, time.Since(start))
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(e)
}

// BenchmarkRouteArrival: agents are free; each op is an item arriving and
// being offered at once (one decision), then accepted and completed.
func BenchmarkRouteArrival(b *testing.B) {
	e, rng := world(b)
	now := t0
	ids := make([]string, b.N)
	queues := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprint("i", i)
		queues[i] = fmt.Sprint("q", rng.IntN(200))
	}
	lat := make([]time.Duration, 0, b.N)
	d0 := e.Decisions()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		t := time.Now()
		evs, err := e.Enqueue(now, ItemSpec{ID: ids[i], Queue: queues[i], CustomerTier: "KA"})
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Kind != EvOffered {
			b.Fatalf("not offered: %v", evs)
		}
		agent := evs[0].Agent
		if _, err := e.Accept(now, ids[i], agent); err != nil {
			b.Fatal(err)
		}
		if _, err := e.Complete(now, ids[i]); err != nil {
			b.Fatal(err)
		}
		e.Advance(now)
	}
	report(b, lat, e.Decisions()-d0, time.Since(start))
}
