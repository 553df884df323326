package store_test

import (
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

func TestRoutingPersistence(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		ten, _ := newTenant(t, s, "acme")
		other, _ := newTenant(t, s, "other")
		q, err := s.CreateQueue(ctx, ten.ID, admin, kefu.Queue{Name: "退款", Channel: "chat"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, ten.ID, admin, kefu.User{Email: "a@acme.test", Name: "小李", Kind: kefu.UserAgent, Tier: kefu.TierSenior})
		if err != nil {
			t.Fatal(err)
		}
		cfg := kefu.QueueRouting{QueueID: q.ID, Skills: []kefu.SkillLevel{{Skill: "refunds", MinLevel: 3}},
			Split: []kefu.PoolShare{{Pool: kefu.PoolInHouse, Weight: 70}, {Pool: "v1", Weight: 30}}, OfferTimeoutSeconds: 20}
		if _, err := s.PutQueueRouting(ctx, ten.ID, admin, cfg); err != nil {
			t.Fatal(err)
		}
		// Another tenant can neither write nor read it.
		_, err = s.PutQueueRouting(ctx, other.ID, admin, cfg)
		wantKind(t, err, kefu.KindNotFound)
		if m, _ := s.QueueRoutings(ctx, other.ID); len(m) != 0 {
			t.Fatalf("other tenant sees %v", m)
		}
		m, err := s.QueueRoutings(ctx, ten.ID)
		if err != nil || m[q.ID].OfferTimeoutSeconds != 20 || len(m[q.ID].Split) != 2 {
			t.Fatalf("routing data: %+v %v", m, err)
		}

		p, err := s.PutAgentProfile(ctx, ten.ID, admin, kefu.AgentProfile{UserID: u.ID, Skills: map[string]int{"refunds": 4},
			Capacity: map[string]int{"chat": 5}})
		if err != nil || p.Tier != kefu.TierSenior || p.Presence.State != "offline" || p.Capacity["chat"] != 5 {
			t.Fatalf("profile: %+v %v", p, err)
		}
		_, err = s.PutAgentProfile(ctx, other.ID, admin, kefu.AgentProfile{UserID: u.ID})
		wantKind(t, err, kefu.KindNotFound)

		for _, st := range []string{"available", "away", "available"} {
			clk.Advance(time.Minute)
			if _, err := s.SetPresence(ctx, ten.ID, u.ID, st, map[string]string{"away": "lunch"}[st]); err != nil {
				t.Fatal(err)
			}
		}
		_, err = s.SetPresence(ctx, other.ID, u.ID, "available", "")
		wantKind(t, err, kefu.KindNotFound)
		log, err := s.PresenceLog(ctx, ten.ID, u.ID, 10)
		if err != nil || len(log) != 3 || log[1].State != "away" || log[1].Reason != "lunch" {
			t.Fatalf("log: %+v %v", log, err)
		}
		ps, _ := s.AgentProfiles(ctx, ten.ID)
		if len(ps) != 1 || ps[0].Presence.State != "available" || ps[0].Skills["refunds"] != 4 {
			t.Fatalf("profiles after presence: %+v", ps)
		}

		sc := store.Whole(ten.ID)
		tk, _, err := s.CreateTicket(ctx, sc, admin, store.NewTicket{Ticket: kefu.Ticket{Subject: "退款", QueueID: q.ID},
			Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13800000001"}}}})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := s.RoutableTickets(ctx, ten.ID)
		if err != nil || len(rt) != 1 || rt[0].ID != tk.ID || rt[0].AssigneeID != "" {
			t.Fatalf("routable: %+v %v", rt, err)
		}
		got, err := s.AssignRouted(ctx, ten.ID, store.System, tk.ID, u.ID, "", map[string]any{"why": "best skill"})
		if err != nil || got.AssigneeID != u.ID || got.Status != kefu.StatusOpen {
			t.Fatalf("assign: %+v %v", got, err)
		}
		// A second, stale assignment loses.
		_, err = s.AssignRouted(ctx, ten.ID, store.System, tk.ID, u.ID, "", nil)
		wantKind(t, err, kefu.KindConflict)
		_, err = s.AssignRouted(ctx, other.ID, store.System, tk.ID, u.ID, u.ID, nil)
		wantKind(t, err, kefu.KindNotFound)
		evs, err := s.Events(ctx, ten.ID, store.EventFilter{TicketID: tk.ID, Limit: 10})
		if err != nil || evs[len(evs)-1].Type != "ticket.routed" {
			t.Fatalf("history: %+v %v", evs, err)
		}
	})
}

func TestLeases(t *testing.T) {
	storetest.Each(t, nil, func(t *testing.T, s *store.Store) {
		ok, _, err := s.AcquireLease(ctx, "routing:t1", "node-a", 200*time.Millisecond)
		if err != nil || !ok {
			t.Fatalf("first acquire: %v %v", ok, err)
		}
		if ok, _, _ := s.AcquireLease(ctx, "routing:t1", "node-b", time.Second); ok {
			t.Fatal("a held lease was taken")
		}
		if ok, _, _ := s.AcquireLease(ctx, "routing:t1", "node-a", 200*time.Millisecond); !ok {
			t.Fatal("the holder could not renew")
		}
		if l, _ := s.ExpiredLeases(ctx, "routing:"); len(l) != 0 {
			t.Fatalf("expired too soon: %v", l)
		}
		time.Sleep(250 * time.Millisecond)
		if l, _ := s.ExpiredLeases(ctx, "routing:"); len(l) != 1 {
			t.Fatalf("expired: %v", l)
		}
		if ok, _, _ := s.AcquireLease(ctx, "routing:t1", "node-b", time.Second); !ok {
			t.Fatal("an expired lease was not taken over")
		}
		if h, _, _ := s.Lease(ctx, "routing:t1"); h != "node-b" {
			t.Fatalf("holder %q", h)
		}
		if err := s.ReleaseLease(ctx, "routing:t1", "node-b"); err != nil {
			t.Fatal(err)
		}
		if h, _, _ := s.Lease(ctx, "routing:t1"); h != "" {
			t.Fatalf("released lease held by %q", h)
		}
	})
}

func TestRoleCapacityIsTheDefault(t *testing.T) {
	storetest.Each(t, nil, func(t *testing.T, s *store.Store) {
		ten, _ := newTenant(t, s, "acme")
		r, err := s.CreateRole(ctx, ten.ID, admin, kefu.Role{Name: "chat agent", Permissions: []kefu.Permission{kefu.PermTicketsRead},
			Capacity: map[string]int{"chat": 4, "email": 8}})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Role(ctx, ten.ID, r.ID); got.Capacity["chat"] != 4 {
			t.Fatalf("role capacity not kept: %+v", got)
		}
		u, err := s.CreateUser(ctx, ten.ID, admin, kefu.User{Email: "c@acme.test", Name: "c", Kind: kefu.UserAgent,
			Grants: []kefu.Grant{{RoleID: r.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.PutAgentProfile(ctx, ten.ID, admin, kefu.AgentProfile{UserID: u.ID, Capacity: map[string]int{"chat": 2}})
		if err != nil {
			t.Fatal(err)
		}
		eff := p.EffectiveCapacity()
		if eff["chat"] != 2 || eff["email"] != 8 {
			t.Fatalf("effective capacity %v (own %v, roles %v)", eff, p.Capacity, p.RoleCapacity)
		}
	})
}

func TestEmergencies(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		ten, _ := newTenant(t, s, "acme")
		other, _ := newTenant(t, s, "other")
		sc := store.Whole(ten.ID)
		q, _ := s.CreateQueue(ctx, ten.ID, admin, kefu.Queue{Name: "安全", Channel: "chat", InHouseOnly: true})
		if _, err := s.PutIntakeSettings(ctx, other.ID, admin, kefu.IntakeSettings{SafetyQueueID: q.ID}); kefu.KindOf(err) != kefu.KindInvalid {
			t.Fatalf("another tenant's queue as safety queue: %v", err)
		}
		if _, err := s.PutIntakeSettings(ctx, ten.ID, admin, kefu.IntakeSettings{SafetyQueueID: q.ID}); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.IntakeSettings(ctx, ten.ID); st.SafetyQueueID != q.ID {
			t.Fatalf("settings: %+v", st)
		}
		tk, msg, err := s.CreateTicket(ctx, sc, admin, store.NewTicket{Ticket: kefu.Ticket{Subject: "救命", Priority: kefu.PriorityEmergency, QueueID: q.ID},
			Customer:  store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000009"}}},
			Message:   &kefu.Message{Body: "救命 他拿着刀"},
			Emergency: &kefu.Emergency{Kind: "weapon", Score: 3.2, Reason: "signs: 刀"}})
		if err != nil {
			t.Fatal(err)
		}
		open, err := s.Emergencies(ctx, sc, true, "")
		if err != nil || len(open) != 1 || open[0].TicketID != tk.ID || open[0].MessageID != msg.ID || open[0].Kind != "weapon" {
			t.Fatalf("open: %+v %v", open, err)
		}
		if l, _ := s.Emergencies(ctx, store.Whole(other.ID), true, ""); len(l) != 0 {
			t.Fatalf("another tenant sees %v", l)
		}
		_, err = s.AckEmergency(ctx, store.Whole(other.ID), admin, open[0].ID)
		wantKind(t, err, kefu.KindNotFound)
		clk.Advance(30 * time.Second)
		e, err := s.AckEmergency(ctx, sc, store.Actor{ID: "u-safety", Kind: "user"}, open[0].ID)
		if err != nil || e.AckedBy != "u-safety" || e.AckedAt == nil || e.AckedAt.Sub(e.RaisedAt) != 30*time.Second {
			t.Fatalf("ack: %+v %v", e, err)
		}
		again, _ := s.AckEmergency(ctx, sc, store.Actor{ID: "u-late", Kind: "user"}, open[0].ID)
		if again.AckedBy != "u-safety" {
			t.Fatalf("a second ack replaced the first: %+v", again)
		}
		if l, _ := s.Emergencies(ctx, sc, true, ""); len(l) != 0 {
			t.Fatalf("still open: %+v", l)
		}
		// A later message raises another on an ordinary ticket.
		tk2, _, _ := s.CreateTicket(ctx, sc, admin, store.NewTicket{Ticket: kefu.Ticket{Subject: "订单"},
			Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000010"}}}})
		got, _, err := s.RaiseEmergency(ctx, sc, admin, kefu.Emergency{TicketID: tk2.ID, Kind: "fire", Score: 2, Reason: "着火"}, q.ID)
		if err != nil || got.Priority != kefu.PriorityEmergency || got.QueueID != q.ID {
			t.Fatalf("raise: %+v %v", got, err)
		}
		_, _, err = s.RaiseEmergency(ctx, store.Whole(other.ID), admin, kefu.Emergency{TicketID: tk2.ID, Kind: "fire"}, "")
		wantKind(t, err, kefu.KindNotFound)
		if l, _ := s.Emergencies(ctx, sc, false, tk2.ID); len(l) != 1 || l[0].Kind != "fire" {
			t.Fatalf("ticket's emergencies: %+v", l)
		}

		// Nobody acknowledges the fire: it goes up the ladder, one rung per
		// target passed, each rung recorded once however often the pass runs.
		if _, err := s.PutIntakeSettings(ctx, ten.ID, admin, kefu.IntakeSettings{SafetyQueueID: q.ID, AckTargetSeconds: 60,
			Ladder: []string{"team_lead", "supervisor"}}); err != nil {
			t.Fatal(err)
		}
		_, err = s.PutIntakeSettings(ctx, ten.ID, admin, kefu.IntakeSettings{AckTargetSeconds: 1})
		wantKind(t, err, kefu.KindInvalid)
		clk.Advance(59 * time.Second)
		if n, err := s.EscalateEmergencies(ctx); err != nil || len(n) != 0 {
			t.Fatalf("before the target: %v %v", n, err)
		}
		clk.Advance(2 * time.Second)
		if n, _ := s.EscalateEmergencies(ctx); len(n) != 1 || n[0].Emergency.EscalatedTo != "team_lead" || n[0].TenantID != ten.ID {
			t.Fatalf("after one target: %+v", n)
		}
		if n, _ := s.EscalateEmergencies(ctx); len(n) != 0 {
			t.Fatalf("the same rung twice: %+v", n)
		}
		clk.Advance(10 * time.Minute)
		if n, _ := s.EscalateEmergencies(ctx); len(n) != 1 || n[0].Emergency.EscalatedTo != "supervisor" {
			t.Fatalf("the ladder has two rungs; took %+v more", n)
		}
		l, _ := s.Emergencies(ctx, sc, true, "")
		if len(l) != 1 || l[0].Level != 2 || l[0].EscalatedAt == nil {
			t.Fatalf("escalated: %+v", l)
		}
		evs, _ := s.Events(ctx, ten.ID, store.EventFilter{TicketID: tk2.ID, Type: "emergency.", Limit: 10})
		var rungs []string
		for _, ev := range evs {
			if ev.Type == "emergency.escalated" {
				rungs = append(rungs, ev.Type)
			}
		}
		if len(rungs) != 2 {
			t.Fatalf("escalation events: %d", len(rungs))
		}
	})
}
