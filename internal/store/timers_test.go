package store_test

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// timerWorld is a tenant with an owner and a ticket to hang commitments on.
func timerWorld(t testing.TB, s *store.Store) (store.Scope, kefu.Ticket, string) {
	t.Helper()
	tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "timers", Name: "timers"}, RootOrg: "root",
		Tiers: []kefu.CustomerTier{{Code: "standard", Name: "S", Rank: 9}},
		Roles: []kefu.Role{{Name: "admin", Permissions: kefu.AllPermissions}}, AdminRole: "admin",
		Admin: &kefu.User{Email: "owner@timers.test", Name: "负责人", Kind: kefu.UserAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	sc := store.Whole(tc.Tenant.ID)
	tk, _, err := s.CreateTicket(ctx, sc, store.System, store.NewTicket{Ticket: kefu.Ticket{Subject: "timers", Channel: kefu.ChannelChat},
		Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000000"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return sc, tk, tc.Admin.ID
}

// Two nodes run the timers at once over the same commitments: every step
// is taken exactly once, and a restart (a fresh pass) finds nothing left.
func TestTimersFireOnceAcrossNodes(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			clk := clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))
			s := storetest.Open(t, b, clk)
			sc, tk, owner := timerWorld(t, s)
			const n = 300
			dues := make([]time.Time, n)
			for i := range dues {
				dues[i] = clk.Now().Add(time.Duration(2+i%50) * time.Hour)
			}
			if err := s.SeedCommitments(ctx, sc.TenantID, tk.ID, owner, dues); err != nil {
				t.Fatal(err)
			}
			steps := map[string]int{}
			var mu sync.Mutex
			for range 12 { // 12 × 1 h: past every due time and every rung of the default ladder (0, 1 h, 4 h)
				clk.Advance(5 * time.Hour)
				var wg sync.WaitGroup
				for range 3 { // three nodes
					wg.Add(1)
					go func() {
						defer wg.Done()
						fired, err := s.FireCommitments(ctx, 100000)
						if err != nil {
							t.Error(err)
						}
						mu.Lock()
						for _, f := range fired {
							steps[f.Commitment.ID+"/"+strconv.Itoa(f.Step.Stage)]++
						}
						mu.Unlock()
					}()
				}
				wg.Wait()
				for { // drain what a jump of five hours left (one step per commitment per pass)
					fired, err := s.FireCommitments(ctx, 100000)
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range fired {
						steps[f.Commitment.ID+"/"+strconv.Itoa(f.Step.Stage)]++
					}
					if len(fired) == 0 {
						break
					}
				}
			}
			// Each commitment: reminder, miss, three rungs.
			if len(steps) != n*5 {
				t.Fatalf("%d distinct steps, want %d", len(steps), n*5)
			}
			for k, c := range steps {
				if c != 1 {
					t.Fatalf("step %s taken %d times", k, c)
				}
			}
			missed, err := s.CommitmentsAcross(ctx, sc, store.CommitmentFilter{State: "missed", Limit: 1000})
			if err != nil || len(missed) != 200 { // the list is capped at 200 a page
				t.Fatalf("missed: %d %v", len(missed), err)
			}
		})
	}
}

// BenchmarkCommitmentTimers: N open commitments (KEFU_TIMER_N, default
// 1,000,000), made four hours before they fall due evenly over an hour, so
// their reminders (an hour before due) fall due evenly over the hour before: the steady
// load of a million open promises, N/3600 steps a second. Each iteration is
// one second of the timer loop: the clock moves a second and one pass takes
// every step due. It reports the pass time (how late a step can be beyond
// the 1 s poll), the steps a pass takes and the Go heap with all of them open.
//
//	go test ./internal/store -run XXX -bench CommitmentTimers -benchtime 60x
func BenchmarkCommitmentTimers(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("KEFU_TIMER_N")); err == nil && v > 0 {
		n = v
	}
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			clk := clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))
			s := storetest.Open(b, be, clk)
			sc, tk, owner := timerWorld(b, s)
			start := time.Now()
			const chunk = 20000
			for i := 0; i < n; i += chunk {
				dues := make([]time.Time, 0, chunk)
				for j := i; j < min(i+chunk, n); j++ {
					dues = append(dues, clk.Now().Add(4*time.Hour+time.Duration(j)*time.Hour/time.Duration(n)+time.Second))
				}
				if err := s.SeedCommitments(ctx, sc.TenantID, tk.ID, owner, dues); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("seeded %d commitments in %v", n, time.Since(start).Round(time.Second))
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap := float64(ms.HeapInuse) / (1 << 20)
			clk.Advance(3 * time.Hour) // the reminders start falling due
			var passes []time.Duration
			total := 0
			b.ResetTimer()
			for range b.N {
				clk.Advance(time.Second)
				t0 := time.Now()
				fired, err := s.FireCommitments(ctx, 100000)
				if err != nil {
					b.Fatal(err)
				}
				passes = append(passes, time.Since(t0))
				total += len(fired)
			}
			b.StopTimer()
			slices.Sort(passes)
			p := func(q float64) float64 { return float64(passes[int(q*float64(len(passes)-1))].Microseconds()) / 1000 }
			b.ReportMetric(float64(total)/float64(b.N), "steps/pass")
			b.ReportMetric(p(0.5), "p50-pass-ms")
			b.ReportMetric(p(0.99), "p99-pass-ms")
			b.ReportMetric(heap, "heap-MiB")
			b.Logf("%s: %d open commitments; %d passes, %.0f steps a pass, pass p50 %.1f ms p99 %.1f ms; heap %.1f MiB",
				be.Name, n, b.N, float64(total)/float64(b.N), p(0.5), p(0.99), heap)
		})
	}
}
