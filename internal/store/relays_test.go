package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// relayWorld is a tenant with an admin (who owns the commitments), a
// passenger's ticket and a driver.
func relayWorld(t *testing.T, s *store.Store, slug string) (store.Scope, store.Actor, kefu.Ticket, store.Party) {
	t.Helper()
	tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: slug, Name: slug, Locale: "zh-Hans", TimeZone: "Asia/Shanghai"}, RootOrg: "root",
		Tiers: []kefu.CustomerTier{{Code: "standard", Name: "S", Rank: 9}},
		Roles: []kefu.Role{{Name: "admin", Permissions: kefu.AllPermissions}}, AdminRole: "admin",
		Admin: &kefu.User{Email: "owner@" + slug + ".test", Name: "客服小张", Kind: kefu.UserAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	sc := store.Whole(tc.Tenant.ID)
	a := store.Actor{ID: tc.Admin.ID, Kind: "user"}
	tk, _, err := s.CreateTicket(ctx, sc, a, store.NewTicket{Ticket: kefu.Ticket{Subject: "手机落在车上", Channel: kefu.ChannelApp},
		Customer: store.CustomerRef{Name: "乘客", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13911112222"}}},
		Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: "我的手机落在车上了"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateParty(ctx, sc, a, store.PartyIn{Kind: "driver", Name: "王师傅", Phone: "+86 138 1234 5678", ExternalID: "D-" + slug})
	if err != nil {
		t.Fatal(err)
	}
	return sc, a, tk, p
}

func TestPartiesNeverShowThePhone(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 11, 6, 0, 0, 0, time.UTC))
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		sc, a, _, p := relayWorld(t, s, "parties")
		if p.Phone != "138****5678" || p.Restricted {
			t.Fatalf("party = %+v", p)
		}
		b, _ := json.Marshal(p)
		if strings.Contains(string(b), "12345678") {
			t.Fatalf("the phone leaks in JSON: %s", b)
		}
		l, err := s.Parties(ctx, sc, store.PartyFilter{Kind: "driver", ExternalID: "D-parties"})
		if err != nil || len(l) != 1 || l[0].ID != p.ID {
			t.Fatalf("lookup by external id: %v %v", l, err)
		}
		// external ids are unique per kind, not across kinds
		_, err = s.CreateParty(ctx, sc, a, store.PartyIn{Kind: "driver", Name: "李师傅", Phone: "13900000000", ExternalID: "D-parties"})
		wantKind(t, err, kefu.KindInvalid)
		if _, err := s.CreateParty(ctx, sc, a, store.PartyIn{Kind: "merchant", Name: "小店", Phone: "13900000000", ExternalID: "D-parties"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []store.PartyIn{{Kind: "pilot", Name: "x", Phone: "13900000000"}, {Kind: "driver", Phone: "13900000000"},
			{Kind: "driver", Name: "x"}, {Kind: "driver", Name: "x", Phone: "call me"}} {
			_, err := s.CreateParty(ctx, sc, a, bad)
			wantKind(t, err, kefu.KindInvalid)
		}
		name, phone := "王建国师傅", "13700001111"
		up, err := s.UpdateParty(ctx, sc, a, p.ID, store.PartyPatch{Name: &name, Phone: &phone})
		if err != nil || up.Name != name || up.Phone != "137****1111" {
			t.Fatalf("update: %+v %v", up, err)
		}
		evs, err := s.PartyHistory(ctx, sc, p.ID, 0, 50)
		if err != nil || len(evs) != 2 {
			t.Fatalf("history: %d %v", len(evs), err)
		}
		for _, e := range evs {
			if strings.Contains(string(e.Before)+string(e.After), "12345678") || strings.Contains(string(e.Before)+string(e.After), "00001111") {
				t.Fatalf("the history holds a whole phone: %s %s", e.Before, e.After)
			}
		}
		// another tenant sees none of it
		other, _ := newTenant(t, s, "others")
		if _, err := s.Party(ctx, store.Whole(other.ID), p.ID); !kefu.IsNotFound(err) {
			t.Fatalf("another tenant reads the party: %v", err)
		}
		if l, _ := s.Parties(ctx, store.Whole(other.ID), store.PartyFilter{}); len(l) != 0 {
			t.Fatalf("another tenant lists %d parties", len(l))
		}
	})
}

func TestRelayKeepsTheTicketOpenUntilClosed(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 11, 6, 0, 0, 0, time.UTC))
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		sc, a, tk, p := relayWorld(t, s, "relay")
		due := clk.Now().Add(24 * time.Hour)
		op, err := s.OpenRelayOn(ctx, sc, a, tk.ID, store.OpenRelay{PartyID: p.ID, Body: "乘客的手机落在您车上了，乘客电话13911112222，请查看后座", DueAt: due})
		if err != nil {
			t.Fatal(err)
		}
		r := op.Relay
		if len(r.Code) != 6 || r.State != "open" || op.Commitment.Kind != kefu.CommitFollowUp || op.Commitment.OwnerID != a.ID || !op.Commitment.DueAt.Equal(due) {
			t.Fatalf("opened = %+v", op)
		}
		if !op.Message.Masked || strings.Contains(op.Message.Body, "13911112222") || op.Message.Delivery != "pending" {
			t.Fatalf("the first message crossed unmasked: %+v", op.Message)
		}
		// a second relay to the same party on the same ticket is refused
		_, err = s.OpenRelayOn(ctx, sc, a, tk.ID, store.OpenRelay{PartyID: p.ID, Body: "again", DueAt: due})
		wantKind(t, err, kefu.KindConflict)

		// the outbox holds the SMS: whole number to the channel, masked text, the code
		out, err := s.DueRelaySMS(ctx, 10)
		if err != nil || len(out) != 1 {
			t.Fatalf("outbox: %v %v", out, err)
		}
		if out[0].Phone != "+8613812345678" || !strings.Contains(out[0].Text, r.Code) || strings.Contains(out[0].Text, "13911112222") {
			t.Fatalf("sms = %+v", out[0])
		}
		// claimed: another node finds nothing until the lease runs out
		if again, _ := s.DueRelaySMS(ctx, 10); len(again) != 0 {
			t.Fatalf("claimed twice: %v", again)
		}
		if err := s.RelaySMSResult(ctx, out[0], 1, nil, nil); err != nil {
			t.Fatal(err)
		}

		// sending relays does not settle anything: the ticket stays open
		solved := kefu.StatusSolved
		_, err = s.UpdateTicket(ctx, sc, a, tk.ID, store.TicketPatch{Status: &solved})
		wantKind(t, err, kefu.KindConflict)
		// nor can the relay's commitment be kept by hand while it is open
		_, err = s.SettleCommitment(ctx, sc, a, tk.ID, op.Commitment.ID, kefu.CommitKept, "")
		wantKind(t, err, kefu.KindConflict)

		// the driver replies by code, from his number; the customer sees it masked
		in, err := s.ReceiveFromParty(ctx, sc, a, strings.ToLower(r.Code), "找到了，黑色的。我电话 138 1234 5678，明天送到建国路88号", "13812345678")
		if err != nil || !in.Relayed || in.TicketID != tk.ID {
			t.Fatalf("inbound: %+v %v", in, err)
		}
		msgs, _, err := s.Messages(ctx, sc, tk.ID, true, 50, "")
		if err != nil {
			t.Fatal(err)
		}
		var seen string
		for _, m := range msgs {
			seen += m.Body + "\n"
		}
		if !strings.Contains(seen, "司机回复：找到了，黑色的") || strings.Contains(seen, "1234 5678") || strings.Contains(seen, "建国路88号") {
			t.Fatalf("the customer sees:\n%s", seen)
		}
		// a reply from another number is not relayed
		_, err = s.ReceiveFromParty(ctx, sc, a, r.Code, "我是司机", "13700000000")
		wantKind(t, err, kefu.KindConflict)
		_, err = s.ReceiveFromParty(ctx, sc, a, "ZZZZZZ", "?", "")
		wantKind(t, err, kefu.KindNotFound)

		// closing unresolved needs a reason
		_, err = s.CloseRelay(ctx, sc, a, tk.ID, r.ID, "unreachable", "", "")
		wantKind(t, err, kefu.KindInvalid)
		closed, err := s.CloseRelay(ctx, sc, a, tk.ID, r.ID, "resolved", "司机明天送回", "")
		if err != nil || closed.State != "closed" || closed.Outcome != "resolved" {
			t.Fatalf("close: %+v %v", closed, err)
		}
		cs, _ := s.Commitments(ctx, sc, tk.ID)
		for _, c := range cs {
			if c.ID == op.Commitment.ID && c.State != kefu.CommitKept {
				t.Fatalf("the relay's commitment is %s", c.State)
			}
		}
		// a reply after closing is held for the agents, not passed on
		late, err := s.ReceiveFromParty(ctx, sc, a, r.Code, "已送到", "")
		if err != nil || late.Relayed || late.Message.Delivery != "held" {
			t.Fatalf("late reply: %+v %v", late, err)
		}
		_, err = s.SendToParty(ctx, sc, a, tk.ID, r.ID, "agent", "还在吗")
		wantKind(t, err, kefu.KindConflict)

		full, err := s.RelayOf(ctx, sc, tk.ID, r.ID)
		if err != nil || len(full.Messages) != 3 {
			t.Fatalf("relay messages: %+v %v", full.Messages, err)
		}
		if _, err := s.UpdateTicket(ctx, sc, a, tk.ID, store.TicketPatch{Status: &solved}); err != nil {
			t.Fatalf("solve after the relay closed: %v", err)
		}
	})
}

func TestRelayOutboxRetriesAndGivesUp(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 11, 6, 0, 0, 0, time.UTC))
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		sc, a, tk, p := relayWorld(t, s, "retry")
		op, err := s.OpenRelayOn(ctx, sc, a, tk.ID, store.OpenRelay{PartyID: p.ID, Body: "您好", DueAt: clk.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := s.DueRelaySMS(ctx, 10)
		next := clk.Now().Add(5 * time.Second)
		if err := s.RelaySMSResult(ctx, out[0], 1, errors.New("gateway down"), &next); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.DueRelaySMS(ctx, 10); len(l) != 0 {
			t.Fatal("retried before its time")
		}
		clk.Advance(6 * time.Second)
		out, _ = s.DueRelaySMS(ctx, 10)
		if len(out) != 1 || out[0].Attempts != 1 {
			t.Fatalf("retry: %+v", out)
		}
		if err := s.RelaySMSResult(ctx, out[0], 2, errors.New("rejected"), nil); err != nil {
			t.Fatal(err)
		}
		r, _ := s.RelayOf(ctx, sc, tk.ID, op.Relay.ID)
		if m := r.Messages[0]; m.Delivery != "dead" || m.Attempts != 2 || m.LastError != "rejected" {
			t.Fatalf("dead message: %+v", m)
		}
		evs, _ := s.Events(ctx, sc.TenantID, store.EventFilter{TicketID: tk.ID, Type: "relay.undelivered"})
		if len(evs) != 1 {
			t.Fatalf("the ticket's history does not say the message was lost: %d", len(evs))
		}
	})
}

func TestRestrictParty(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 11, 11, 6, 0, 0, 0, time.UTC))
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		sc, a, tk, p := relayWorld(t, s, "restrict")
		_, err := s.RestrictParty(ctx, sc, a, p.ID, tk.ID, "", true)
		wantKind(t, err, kefu.KindInvalid)
		_, err = s.RestrictParty(ctx, sc, a, p.ID, "", "x", true)
		wantKind(t, err, kefu.KindInvalid)
		res, err := s.RestrictParty(ctx, sc, a, p.ID, tk.ID, "乘客投诉，调查期间限制接单", true)
		if err != nil || !res.Party.Restricted || res.Party.RestrictedBy != a.ID || res.Action.Action != kefu.ActionRestrictParty {
			t.Fatalf("restrict: %+v %v", res, err)
		}
		_, err = s.RestrictParty(ctx, sc, a, p.ID, tk.ID, "again", true)
		wantKind(t, err, kefu.KindConflict)
		if got, _ := s.Party(ctx, sc, p.ID); !got.Restricted {
			t.Fatal("not shown as restricted")
		}
		tev, _ := s.Events(ctx, sc.TenantID, store.EventFilter{TicketID: tk.ID, Type: "party.restricted"})
		pev, _ := s.PartyHistory(ctx, sc, p.ID, 0, 50)
		if len(tev) != 1 || pev[len(pev)-1].Type != "party.restricted" {
			t.Fatalf("not audited: ticket %d, party %v", len(tev), pev)
		}
		acts, _ := s.ActionRequests(ctx, sc, "", tk.ID, 10)
		if len(acts) != 1 || acts[0].State != kefu.ApprovalApproved {
			t.Fatalf("actions: %+v", acts)
		}
		if res, err := s.RestrictParty(ctx, sc, a, p.ID, tk.ID, "调查结束", false); err != nil || res.Party.Restricted {
			t.Fatalf("lift: %+v %v", res, err)
		}
	})
}
