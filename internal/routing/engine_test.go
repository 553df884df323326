package routing

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

var t0 = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)

// rig is an engine on a virtual clock with helpers that fail the test on
// errors and collect offers.
type rig struct {
	t   *testing.T
	e   *Engine
	now time.Time
	log []Event
}

func newRig(t *testing.T) *rig {
	return &rig{t: t, e: New(Options{}), now: t0}
}

func (r *rig) keep(evs []Event, err error) []Event {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
	cp := append([]Event(nil), evs...)
	r.log = append(r.log, cp...)
	return cp
}

func (r *rig) queue(spec QueueSpec) {
	r.t.Helper()
	if spec.Channel == "" {
		spec.Channel = "chat"
	}
	if spec.Policy.TierCredit == nil {
		spec.Policy = DefaultPolicy()
		spec.Policy.OfferTimeout = 0
	}
	r.keep(r.e.SetQueue(r.now, spec))
}

func (r *rig) agent(id, tier, vendor string, capChat int, skills map[string]int) {
	r.t.Helper()
	r.keep(r.e.SetAgent(r.now, AgentSpec{ID: id, Tier: tier, Vendor: vendor, Skills: skills,
		Capacity: map[string]int{"chat": capChat, "phone": 1}}))
}

func (r *rig) avail(ids ...string) {
	r.t.Helper()
	for _, id := range ids {
		r.keep(r.e.SetState(r.now, id, Available, ""))
	}
}

func (r *rig) add(spec ItemSpec) []Event {
	r.t.Helper()
	if spec.Queue == "" {
		spec.Queue = "q"
	}
	return r.keep(r.e.Enqueue(r.now, spec))
}

func (r *rig) advance(d time.Duration) []Event {
	r.now = r.now.Add(d)
	cp := append([]Event(nil), r.e.Advance(r.now)...)
	r.log = append(r.log, cp...)
	return cp
}

// offers lists "item→agent" for the offers among evs.
func offers(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.Kind == EvOffered {
			out = append(out, ev.Item+"→"+ev.Agent)
		}
	}
	return out
}

func same(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func TestArrivalOffersFreeAgentAndCompletionTakesNext(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.agent("a", "junior", "", 1, nil)
	same(t, "no agent online", offers(r.add(ItemSpec{ID: "i1"})))
	same(t, "agent comes online", offers(r.keep(r.e.SetState(r.now, "a", Available, ""))), "i1→a")
	same(t, "agent full", offers(r.add(ItemSpec{ID: "i2"})))
	r.keep(r.e.Accept(r.now, "i1", "a"))
	r.now = r.now.Add(time.Minute)
	same(t, "completion frees the agent", offers(r.keep(r.e.Complete(r.now, "i1"))), "i2→a")
	if _, err := r.e.Complete(r.now, "i2"); kefu.KindOf(err) != kefu.KindConflict {
		t.Fatalf("completing an unaccepted offer: %v", err)
	}
}

func TestPriorityCreditsAndAging(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.agent("a", "junior", "", 1, nil)
	r.add(ItemSpec{ID: "old-standard"})
	r.now = r.now.Add(30 * time.Second)
	// 2m credit beats 30s of waiting; the tenant's code is ka, the default
	// policy writes KA, and the credit applies all the same.
	r.add(ItemSpec{ID: "ka", CustomerTier: "ka"})
	r.add(ItemSpec{ID: "urgent", Priority: "urgent"})
	r.add(ItemSpec{ID: "sos", Emergency: true})
	r.avail("a")
	got := []string{}
	for range 4 {
		o := offers(r.log)
		last := o[len(o)-1]
		item := strings.Split(last, "→")[0]
		got = append(got, item)
		r.keep(r.e.Accept(r.now, item, "a"))
		r.keep(r.e.Complete(r.now, item))
	}
	same(t, "order", got, "sos", "urgent", "ka", "old-standard")

	// Aging: a standard item that waited longer than the KA credit goes first.
	r.log = nil
	r.keep(r.e.SetState(r.now, "a", Away, "lunch"))
	r.add(ItemSpec{ID: "patient"})
	r.now = r.now.Add(3 * time.Minute)
	r.add(ItemSpec{ID: "ka2", CustomerTier: "KA"})
	same(t, "aging", offers(r.keep(r.e.SetState(r.now, "a", Available, ""))), "patient→a")
	d := r.log[len(r.log)-1].Decision
	if d.Waited != 3*time.Minute || d.Trigger != OnAgentFree {
		t.Fatalf("decision: %+v", d)
	}
}

// Idle is time available without work: a break does not count, and an
// agent online for the first time has been idle since then.
func TestIdleCountsFromAvailability(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.agent("a", "junior", "", 1, nil)
	r.agent("b", "junior", "", 1, nil)
	r.avail("b")
	r.now = r.now.Add(time.Minute)
	r.avail("a")
	r.now = r.now.Add(time.Minute)
	r.keep(r.e.SetState(r.now, "b", Away, "lunch"))
	r.now = r.now.Add(30 * time.Minute)
	r.avail("b") // back from lunch: idle from now, a has waited longer
	r.now = r.now.Add(10 * time.Second)
	same(t, "longest idle", offers(r.add(ItemSpec{ID: "i1"})), "i1→a")
	if d := r.log[len(r.log)-1].Decision; d.Idle != 31*time.Minute+10*time.Second {
		t.Fatalf("a was idle %s, want 31m10s (online at minute 1)", d.Idle)
	}
	same(t, "then b", offers(r.add(ItemSpec{ID: "i2"})), "i2→b")
	if d := r.log[len(r.log)-1].Decision; d.Idle != 10*time.Second {
		t.Fatalf("b was idle %s, want 10s (back from lunch)", d.Idle)
	}
}

func TestSkillMatchThenSelection(t *testing.T) {
	for _, sel := range []Selection{LongestIdle, LeastLoaded} {
		t.Run(sel.String(), func(t *testing.T) {
			r := newRig(t)
			p := DefaultPolicy()
			p.Selection = sel
			p.OfferTimeout = 0
			r.queue(QueueSpec{ID: "q", Skills: []SkillReq{{Skill: "zh"}, {Skill: "refunds"}}, Policy: p})
			r.agent("weak", "junior", "", 3, map[string]int{"zh": 1, "refunds": 1})
			r.agent("strong", "junior", "", 3, map[string]int{"zh": 5, "refunds": 5})
			r.agent("none", "junior", "", 3, map[string]int{"zh": 5})
			r.avail("weak", "strong", "none")
			same(t, "best skill first", offers(r.add(ItemSpec{ID: "i1"})), "i1→strong")
			r.keep(r.e.Accept(r.now, "i1", "strong"))
			// make strong and weak equal in skill to see the selection rule
			r.keep(r.e.SetAgent(r.now, AgentSpec{ID: "weak", Tier: "junior", Skills: map[string]int{"zh": 5, "refunds": 5},
				Capacity: map[string]int{"chat": 3}}))
			r.now = r.now.Add(time.Second)
			got := offers(r.add(ItemSpec{ID: "i2"}))
			// weak has load 0 (least loaded) and has been idle since start
			// (longest idle): both rules pick weak.
			same(t, "rule", got, "i2→weak")
			r.keep(r.e.Accept(r.now, "i2", "weak"))
			r.keep(r.e.Complete(r.now, "i2")) // weak: load 0, just active
			r.now = r.now.Add(time.Second)
			got = offers(r.add(ItemSpec{ID: "i3"}))
			if sel == LeastLoaded {
				same(t, "least loaded", got, "i3→weak") // 0 < 1
			} else {
				same(t, "longest idle", got, "i3→strong") // strong's load changed 2s ago, weak's 1s
			}
		})
	}
}

func TestCapacityAndExclusivePhone(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.queue(QueueSpec{ID: "calls", Channel: "phone"})
	r.agent("a", "junior", "", 2, nil)
	r.avail("a")
	same(t, "two chats", offers(append(r.add(ItemSpec{ID: "c1"}), r.add(ItemSpec{ID: "c2"})...)), "c1→a", "c2→a")
	same(t, "third chat waits", offers(r.add(ItemSpec{ID: "c3"})))
	same(t, "no call while chatting", offers(r.add(ItemSpec{ID: "call", Queue: "calls"})))
	for _, id := range []string{"c1", "c2"} {
		r.keep(r.e.Accept(r.now, id, "a"))
	}
	r.keep(r.e.Complete(r.now, "c1"))
	r.keep(r.e.Complete(r.now, "c2"))
	// now free: c3 (chat, arrived earlier) goes first; the call waits until
	// the agent has nothing else.
	if got := offers(r.log); got[len(got)-1] != "c3→a" {
		t.Fatalf("after completing: %v", got)
	}
	r.keep(r.e.Accept(r.now, "c3", "a"))
	same(t, "call when idle", offers(r.keep(r.e.Complete(r.now, "c3"))), "call→a")
	r.keep(r.e.Accept(r.now, "call", "a"))
	same(t, "no chat during a call", offers(r.add(ItemSpec{ID: "c4"})))
}

func TestOverflowStepsWidenTiersVendorsAndOfferCallback(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q", Skills: []SkillReq{{Skill: "bank", MinLevel: 3}}, Tiers: []string{"senior"},
		Steps: []Step{
			{Name: "relax", After: 20 * time.Second, LowerLevels: 2},
			{Name: "experts", After: 40 * time.Second, AddTiers: []string{"expert"}},
			{Name: "vendor", After: 60 * time.Second, AddPools: []string{"vista"}},
			{Name: "callback", After: 90 * time.Second, OfferCallback: true},
		}})
	r.agent("senior-low", "senior", "", 1, map[string]int{"bank": 1})
	r.agent("expert", "expert", "", 1, map[string]int{"bank": 5})
	r.agent("vendor", "senior", "vista", 1, map[string]int{"bank": 5})
	r.avail("senior-low", "expert", "vendor")

	same(t, "nobody at the base step", offers(r.add(ItemSpec{ID: "i"})))
	same(t, "relaxed levels", offers(r.advance(20*time.Second)), "i→senior-low")
	r.keep(r.e.Decline(r.now, "i", "senior-low", "not my area"))
	evs := r.advance(20 * time.Second)
	same(t, "next tier", offers(evs), "i→expert")
	if d := evs[len(evs)-1].Decision; d.Step != 2 || d.Ring != 2 || d.Trigger != OnStep {
		t.Fatalf("decision: %+v", d)
	}
	r.keep(r.e.Decline(r.now, "i", "expert", "busy"))
	same(t, "vendor pool", offers(r.advance(20*time.Second)), "i→vendor")
	r.keep(r.e.Decline(r.now, "i", "vendor", "no"))
	evs = r.advance(30 * time.Second)
	var cb bool
	for _, ev := range evs {
		cb = cb || ev.Kind == EvCallbackOffer
	}
	if !cb {
		t.Fatalf("no callback offer: %v", evs)
	}
}

func TestInHouseOnlyNeverReachesVendor(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q", Split: []Share{{Pool: InHouse, Weight: 1}, {Pool: "vista", Weight: 99}},
		Steps: []Step{{Name: "anyone", After: time.Second, AddPools: []string{"other"}}}})
	r.agent("v1", "expert", "vista", 5, nil)
	r.agent("v2", "expert", "other", 5, nil)
	r.avail("v1", "v2")
	same(t, "emergency waits for in-house", offers(r.add(ItemSpec{ID: "sos", Emergency: true})))
	same(t, "legal waits for in-house", offers(r.add(ItemSpec{ID: "legal", InHouseOnly: true})))
	r.advance(time.Hour)
	same(t, "still nobody after overflow", offers(r.log))
	r.agent("me", "junior", "", 5, nil)
	same(t, "in-house agent takes both, emergency first", offers(r.keep(r.e.SetState(r.now, "me", Available, ""))), "sos→me", "legal→me")

	// An in-house-only queue rejects vendor shares and vendor overflow.
	for _, spec := range []QueueSpec{
		{ID: "safety", Channel: "chat", InHouseOnly: true, Split: []Share{{Pool: "vista", Weight: 1}}},
		{ID: "safety", Channel: "chat", InHouseOnly: true, Steps: []Step{{After: time.Second, AddPools: []string{"vista"}}}},
	} {
		if _, err := r.e.SetQueue(r.now, spec); kefu.KindOf(err) != kefu.KindInvalid {
			t.Fatalf("in-house-only queue with a vendor: %v", err)
		}
	}
	// Transfer of an in-house-only item to a vendor agent is refused.
	r.keep(r.e.Accept(r.now, "sos", "me"))
	if _, err := r.e.Transfer(r.now, "sos", Target{Agent: "v1"}, "help", time.Minute); kefu.KindOf(err) != kefu.KindForbidden {
		t.Fatalf("transfer to vendor: %v", err)
	}
}

func TestVendorSplitFollowsSharesAndChangesAtRunTime(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q", Split: []Share{{Pool: InHouse, Weight: 70}, {Pool: "vista", Weight: 30}}})
	for i := range 10 {
		r.agent(fmt.Sprint("in", i), "junior", "", 1, nil)
		r.agent(fmt.Sprint("v", i), "junior", "vista", 1, nil)
		r.avail(fmt.Sprint("in", i), fmt.Sprint("v", i))
	}
	count := func(n int, prefix string) (vendor int) {
		for i := range n {
			id := fmt.Sprintf("%s%d", prefix, i)
			evs := r.add(ItemSpec{ID: id})
			if len(evs) != 1 || evs[0].Kind != EvOffered {
				t.Fatalf("item %s: %v", id, evs)
			}
			if evs[0].Decision.Pool == "vista" {
				vendor++
			}
			r.keep(r.e.Accept(r.now, id, evs[0].Agent))
			r.keep(r.e.Complete(r.now, id))
		}
		return vendor
	}
	if v := count(1000, "a"); v != 300 {
		t.Fatalf("70/30 split gave the vendor %d of 1000", v)
	}
	r.keep(r.e.SetSplit(r.now, "q", []Share{{Pool: InHouse, Weight: 90}, {Pool: "vista", Weight: 10}}))
	if v := count(1000, "b"); v != 100 {
		t.Fatalf("90/10 split gave the vendor %d of 1000", v)
	}
	// With no free in-house agent, the vendor takes the work anyway.
	for i := range 10 {
		r.keep(r.e.SetState(r.now, fmt.Sprint("in", i), Away, "meeting"))
	}
	if v := count(10, "c"); v != 10 {
		t.Fatalf("vendor took %d of 10 with in-house away", v)
	}
}

func TestOfferTimeoutAndDecline(t *testing.T) {
	r := newRig(t)
	p := DefaultPolicy()
	p.OfferTimeout = 15 * time.Second
	r.queue(QueueSpec{ID: "q", Policy: p})
	r.agent("a", "junior", "", 1, nil)
	r.agent("b", "junior", "", 1, nil)
	r.avail("a")
	same(t, "offer", offers(r.add(ItemSpec{ID: "i"})), "i→a")
	r.avail("b")
	evs := r.advance(15 * time.Second)
	same(t, "timeout moves it on", offers(evs), "i→b")
	st, _ := r.e.AgentStats(r.now, "a")
	if st.State != "away" || st.Reason != "no_answer" {
		t.Fatalf("agent after a missed offer: %+v", st)
	}
	r.keep(r.e.Decline(r.now, "i", "b", "wrong language"))
	// Going away withdraws an unanswered offer, with an event saying so.
	same(t, "b is free again", offers(r.add(ItemSpec{ID: "k"})), "k→b")
	wd := r.keep(r.e.SetState(r.now, "b", Away, "meeting"))
	if wd[1].Kind != EvWithdrawn || wd[1].Item != "k" {
		t.Fatalf("withdraw: %+v", wd)
	}
	if info, _ := r.e.Item("k"); info.State != "waiting" {
		t.Fatalf("k after withdrawal: %+v", info)
	}
	r.avail("a")
	same(t, "declined item is not offered back to b", offers(r.log[len(r.log)-2:]), "i→a")
	if _, err := r.e.Accept(r.now, "i", "b"); kefu.KindOf(err) != kefu.KindConflict {
		t.Fatalf("accepting someone else's offer: %v", err)
	}
}

func TestTransferWarmAndPullBack(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.queue(QueueSpec{ID: "experts", Tiers: []string{"expert"}})
	r.agent("a", "junior", "", 1, nil)
	r.agent("x", "expert", "", 1, nil)
	r.avail("a")
	r.add(ItemSpec{ID: "i", CustomerTier: "KA"})
	r.keep(r.e.Accept(r.now, "i", "a"))
	if _, err := r.e.Transfer(r.now, "i", Target{Queue: "experts"}, "", time.Minute); kefu.KindOf(err) != kefu.KindInvalid {
		t.Fatalf("transfer without a reason: %v", err)
	}
	same(t, "nobody in experts yet", offers(r.keep(r.e.Transfer(r.now, "i", Target{Queue: "experts"}, "refund above my limit", time.Minute))))
	if st, _ := r.e.AgentStats(r.now, "a"); st.Load["chat"] != 1 {
		t.Fatalf("a still holds it during the transfer: %+v", st)
	}
	evs := r.advance(time.Minute)
	if len(evs) == 0 || evs[0].Kind != EvPulledBack || evs[0].Agent != "a" {
		t.Fatalf("pull back: %v", evs)
	}
	// Second try: the expert is there and takes it; a is freed and gets j.
	r.avail("x")
	same(t, "expert offered", offers(r.keep(r.e.Transfer(r.now, "i", Target{Queue: "experts"}, "refund above my limit", time.Minute))), "i→x")
	evs = r.keep(r.e.Accept(r.now, "i", "x"))
	if evs[0].Kind != EvTransferred || evs[0].FromAgent != "a" || evs[0].Reason != "refund above my limit" {
		t.Fatalf("transferred: %+v", evs[0])
	}
	same(t, "a freed", offers(r.add(ItemSpec{ID: "j"})), "j→a")
	// Direct transfer to one agent who is busy waits for them.
	r.keep(r.e.Accept(r.now, "j", "a"))
	same(t, "x is full", offers(r.keep(r.e.Transfer(r.now, "j", Target{Agent: "x"}, "second opinion", 5*time.Minute))))
	same(t, "x finishes and takes the transfer", offers(r.keep(r.e.Complete(r.now, "i"))), "j→x")
	r.keep(r.e.Accept(r.now, "j", "x"))
	if st, _ := r.e.AgentStats(r.now, "a"); st.Load["chat"] != 0 {
		t.Fatalf("a after handing over: %+v", st)
	}
}

func TestWrapUpEndsByItself(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "calls", Channel: "phone"})
	r.keep(r.e.SetAgent(r.now, AgentSpec{ID: "a", Capacity: map[string]int{"phone": 1},
		WrapUp: map[string]time.Duration{"phone": 30 * time.Second}}))
	r.avail("a")
	r.add(ItemSpec{ID: "c1", Queue: "calls"})
	r.keep(r.e.Accept(r.now, "c1", "a"))
	r.add(ItemSpec{ID: "c2", Queue: "calls"})
	same(t, "wrap-up holds the next call", offers(r.keep(r.e.Complete(r.now, "c1"))))
	if st, _ := r.e.AgentStats(r.now, "a"); st.State != "wrap_up" {
		t.Fatalf("state: %+v", st)
	}
	if at, ok := r.e.NextTimer(); !ok || !at.Equal(r.now.Add(30*time.Second)) {
		t.Fatalf("next timer %v %v", at, ok)
	}
	same(t, "after wrap-up", offers(r.advance(30*time.Second)), "c2→a")
}

func TestSLARiskRaisesPriority(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.agent("a", "junior", "", 1, nil)
	r.add(ItemSpec{ID: "early"})
	r.add(ItemSpec{ID: "due", SLADue: r.now.Add(7 * time.Minute)})
	r.advance(3 * time.Minute) // 2 minutes into the 5-minute risk window
	r.avail("a")
	same(t, "at-risk first", offers(r.log), "due→a")
	if d := r.log[len(r.log)-1].Decision; d.SLARisk != 10*time.Minute || !strings.Contains(d.Explain(), "SLA at risk") {
		t.Fatalf("decision: %+v %s", d, d.Explain())
	}
}

func TestAbandonAndStats(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.agent("a", "junior", "", 1, nil)
	r.add(ItemSpec{ID: "short"})
	r.add(ItemSpec{ID: "late"})
	r.add(ItemSpec{ID: "fast"})
	r.advance(2 * time.Second)
	r.keep(r.e.Abandon(r.now, "short"))
	r.advance(58 * time.Second)
	r.keep(r.e.Abandon(r.now, "late"))
	st, _ := r.e.OneQueueStats(r.now, "q")
	if st.Waiting != 1 || st.LongestWait != time.Minute || st.Agents["offline"] != 1 {
		t.Fatalf("stats while waiting: %+v", st)
	}
	r.avail("a")
	r.keep(r.e.Accept(r.now, "fast", "a"))
	st, _ = r.e.OneQueueStats(r.now, "q")
	// fast waited 60s > 20s: answered, not within; late counts against.
	if st.Answered != 1 || st.InSL != 0 || st.Abandoned != 2 || st.ShortAband != 1 || st.ServiceLevel != 0 || st.ASA != time.Minute {
		t.Fatalf("stats: %+v", st)
	}
	if st.Agents["busy"] != 1 {
		t.Fatalf("a full agent shows busy: %+v", st.Agents)
	}
	r.add(ItemSpec{ID: "x"})
	if _, err := r.e.Abandon(r.now, "fast"); kefu.KindOf(err) != kefu.KindConflict {
		t.Fatalf("abandoning a held item: %v", err)
	}
}

func TestInvalidInputIsNamed(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		name string
		err  error
	}{
		{"no id", func() error { _, err := e.SetQueue(t0, QueueSpec{Channel: "chat"}); return err }()},
		{"no channel", func() error { _, err := e.SetQueue(t0, QueueSpec{ID: "q"}); return err }()},
		{"bad tier", func() error {
			_, err := e.SetQueue(t0, QueueSpec{ID: "q", Channel: "chat", Tiers: []string{"god"}})
			return err
		}()},
		{"steps out of order", func() error {
			_, err := e.SetQueue(t0, QueueSpec{ID: "q", Channel: "chat", Steps: []Step{{After: 2 * time.Second}, {After: time.Second}}})
			return err
		}()},
		{"relax a skill not required", func() error {
			_, err := e.SetQueue(t0, QueueSpec{ID: "q", Channel: "chat", Steps: []Step{{After: time.Second, RelaxSkills: []string{"x"}}}})
			return err
		}()},
		{"zero shares", func() error {
			_, err := e.SetQueue(t0, QueueSpec{ID: "q", Channel: "chat", Split: []Share{{Pool: "v", Weight: 0}}})
			return err
		}()},
		{"agent bad level", func() error {
			_, err := e.SetAgent(t0, AgentSpec{ID: "a", Skills: map[string]int{"zh": 11}})
			return err
		}()},
		{"agent bad capacity", func() error {
			_, err := e.SetAgent(t0, AgentSpec{ID: "a", Capacity: map[string]int{"chat": -1}})
			return err
		}()},
		{"item to missing queue", func() error { _, err := e.Enqueue(t0, ItemSpec{ID: "i", Queue: "nope"}); return err }()},
	}
	for _, c := range cases {
		if k := kefu.KindOf(c.err); k != kefu.KindInvalid && k != kefu.KindNotFound {
			t.Errorf("%s: %v", c.name, c.err)
		}
	}
}

// TestInvariantsUnderRandomLoad drives the engine with random operations
// and checks after each that no item is offered twice, no capacity is
// exceeded, no vendor holds in-house-only work, and no waiting item has a
// free agent that could take it.
func TestInvariantsUnderRandomLoad(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			e := New(Options{})
			now := t0
			skills := []string{"zh", "en", "bank", "ride", "insure", "complaint"}
			pools := []string{InHouse, "vista", "apex"}
			for q := range 12 {
				spec := QueueSpec{ID: fmt.Sprint("q", q), Channel: []string{"chat", "phone", "email"}[q%3],
					Skills: []SkillReq{{Skill: skills[q%6], MinLevel: 1 + q%4}}, Policy: DefaultPolicy(), InHouseOnly: q == 5}
				spec.Policy.OfferTimeout = 20 * time.Second
				if q%4 == 1 && !spec.InHouseOnly {
					spec.Split = []Share{{Pool: InHouse, Weight: 60}, {Pool: "vista", Weight: 40}}
				}
				if !spec.InHouseOnly {
					spec.Steps = []Step{{Name: "relax", After: 15 * time.Second, LowerLevels: 2},
						{Name: "vendors", After: 30 * time.Second, AddPools: []string{"apex"}}}
				}
				if _, err := e.SetQueue(now, spec); err != nil {
					t.Fatal(err)
				}
			}
			var agents []string
			for i := range 40 {
				sk := map[string]int{}
				for _, s := range skills {
					if rng.IntN(2) == 0 {
						sk[s] = 1 + rng.IntN(5)
					}
				}
				id := fmt.Sprint("a", i)
				agents = append(agents, id)
				if _, err := e.SetAgent(now, AgentSpec{ID: id, Tier: Tiers[rng.IntN(4)], Vendor: pools[rng.IntN(3)], Skills: sk,
					Capacity: map[string]int{"chat": 1 + rng.IntN(4), "phone": 1, "email": rng.IntN(6)}}); err != nil {
					t.Fatal(err)
				}
			}
			var items []string
			next := 0
			for step := range 8000 {
				var err error
				switch op := rng.IntN(10); {
				case op < 3:
					next++
					id := fmt.Sprint("i", next)
					items = append(items, id)
					_, err = e.Enqueue(now, ItemSpec{ID: id, Queue: fmt.Sprint("q", rng.IntN(12)), Emergency: rng.IntN(50) == 0,
						CustomerTier: []string{"KA", "VIP", "standard"}[rng.IntN(3)], InHouseOnly: rng.IntN(10) == 0})
				case op < 4 && rng.IntN(20) == 0:
					// reconfigure at run time: an agent's skills, or a queue's split
					if rng.IntN(2) == 0 {
						_, err = e.SetAgent(now, AgentSpec{ID: agents[rng.IntN(len(agents))], Tier: Tiers[rng.IntN(4)],
							Vendor: pools[rng.IntN(3)], Skills: map[string]int{skills[rng.IntN(6)]: 1 + rng.IntN(5)},
							Capacity: map[string]int{"chat": rng.IntN(4), "phone": 1, "email": rng.IntN(6)}})
					} else {
						_, err = e.SetSplit(now, "q1", []Share{{Pool: InHouse, Weight: rng.IntN(10)}, {Pool: "vista", Weight: 1 + rng.IntN(10)}})
					}
				case op < 4:
					s := []State{Available, Available, Available, Away, Offline, Busy}[rng.IntN(6)]
					_, err = e.SetState(now, agents[rng.IntN(len(agents))], s, "")
				case op < 7 && len(items) > 0:
					id := items[rng.IntN(len(items))]
					if it := e.items[id]; it != nil {
						switch {
						case it.st == offered && rng.IntN(5) > 0:
							_, err = e.Accept(now, id, it.offer.id)
						case it.st == offered:
							_, err = e.Decline(now, id, it.offer.id, "no")
						case it.agent != nil && it.xfer == nil && rng.IntN(12) == 0:
							_, err = e.Transfer(now, id, Target{Agent: agents[rng.IntN(len(agents))]}, "why", time.Minute)
							if k := kefu.KindOf(err); k == kefu.KindInvalid || k == kefu.KindForbidden {
								err = nil // itself, a channel they lack, or a vendor for in-house work
							}
						case it.agent != nil && it.xfer == nil && rng.IntN(6) == 0:
							_, err = e.Transfer(now, id, Target{Queue: fmt.Sprint("q", rng.IntN(12))}, "why", time.Minute)
							if kefu.KindOf(err) == kefu.KindInvalid {
								err = nil // other channel
							}
						case it.agent != nil:
							_, err = e.Complete(now, id)
						case rng.IntN(4) == 0:
							_, err = e.Abandon(now, id)
						}
					}
				default:
					now = now.Add(time.Duration(rng.IntN(8000)) * time.Millisecond)
					e.Advance(now)
				}
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				checkInvariants(t, e, step)
			}
			if e.Decisions() < 300 {
				t.Fatalf("only %d decisions: the test did not exercise routing", e.Decisions())
			}
		})
	}
}

func checkInvariants(t *testing.T, e *Engine, step int) {
	t.Helper()
	load := map[*agent][maxChannels]int32{}
	for _, it := range e.items {
		if it.offer != nil && it.heap != nil {
			t.Fatalf("step %d: %s offered and waiting", step, it.id)
		}
		for _, a := range []*agent{it.offer, it.agent} {
			if a == nil {
				continue
			}
			l := load[a]
			l[it.q.ch]++
			load[a] = l
			if it.inHouse && a.vendor != InHouse {
				t.Fatalf("step %d: vendor %s has in-house-only %s", step, a.id, it.id)
			}
		}
		if it.offer != nil && it.offer == it.agent {
			t.Fatalf("step %d: %s offered to its own holder", step, it.id)
		}
	}
	for _, a := range e.alist {
		for c := range maxChannels {
			if a.load[c] != load[a][c] {
				t.Fatalf("step %d: agent %s load %d on %d, holds %d", step, a.id, a.load[c], c, load[a][c])
			}
			if a.load[c] > a.cap[c] && a.cap[c] > 0 {
				t.Fatalf("step %d: agent %s over capacity", step, a.id)
			}
		}
	}
	// No waiting item has a free agent that qualifies and has not refused it.
	for _, q := range e.queues {
		for s := range q.waiting {
			for k := range q.waiting[s] {
				for _, it := range q.waiting[s][k].xs {
					for p := range q.pools {
						for ring := 0; ring <= s; ring++ {
							for _, m := range q.rings[p][ring].ms {
								if !it.refuses(m.a) && !(it.inHouse && m.a.vendor != InHouse) {
									t.Fatalf("step %d: %s waits at step %d while %s is free in ring %d", step, it.id, s, m.a.id, ring)
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestHoldAndRemove(t *testing.T) {
	r := newRig(t)
	r.queue(QueueSpec{ID: "q"})
	r.agent("a", "junior", "", 1, nil)
	r.keep(r.e.Hold(r.now, ItemSpec{ID: "old", Queue: "q"}, "a"))
	r.avail("a")
	same(t, "a holds one already", offers(r.add(ItemSpec{ID: "new"})))
	if info, ok := r.e.Item("old"); !ok || info.State != "assigned" || info.Agent != "a" {
		t.Fatalf("info %+v", info)
	}
	same(t, "removing the held item frees a", offers(r.keep(r.e.Remove(r.now, "old"))), "new→a")
	r.keep(r.e.Remove(r.now, "new")) // an offered item
	if _, ok := r.e.Item("new"); ok {
		t.Fatal("still there")
	}
	st, _ := r.e.OneQueueStats(r.now, "q")
	if st.Abandoned != 0 || st.Waiting != 0 {
		t.Fatalf("removal is not abandonment: %+v", st)
	}
	if s, _ := r.e.AgentStats(r.now, "a"); s.Load["chat"] != 0 {
		t.Fatalf("load %+v", s)
	}
}
