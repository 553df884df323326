package store

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/sla"
	"github.com/kefu-project/kefu/internal/store/storetest/pgschema"
)

// ticketsForTouches opens tickets for the touch tests: open, open, pending,
// closed, and one in a second organization. Each has the customer's first
// message (message_count 1).
func ticketsForTouches(t *testing.T, s *Store, sc Scope) (open1, open2, pending, closed, elsewhere kefu.Ticket, other kefu.Org) {
	t.Helper()
	ctx := context.Background()
	root := rootOrgOf(t, s, sc)
	other, err := s.CreateOrg(ctx, sc.TenantID, System, kefu.Org{Name: "另一家子公司", Kind: kefu.OrgSubsidiary, ParentID: root})
	if err != nil {
		t.Fatal(err)
	}
	open := func(phone, orgID string, status kefu.Status) kefu.Ticket {
		tk, _, err := s.CreateTicket(ctx, sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "包裹 " + phone, OrgID: orgID},
			Customer: CustomerRef{Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: phone}}},
			Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: "我的包裹还没到"}})
		if err != nil {
			t.Fatal(err)
		}
		if status != tk.Status {
			if tk, err = s.UpdateTicket(ctx, sc, System, tk.ID, TicketPatch{Status: &status}); err != nil {
				t.Fatal(err)
			}
		}
		return tk
	}
	return open("13900000001", "", kefu.StatusOpen), open("13900000002", "", kefu.StatusOpen),
		open("13900000003", "", kefu.StatusPending), open("13900000004", "", kefu.StatusClosed),
		open("13900000005", other.ID, kefu.StatusOpen), other
}

// rootOrgOf is the id of the tenant's root organization.
func rootOrgOf(t *testing.T, s *Store, sc Scope) string {
	t.Helper()
	orgs, err := s.Orgs(context.Background(), sc.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs {
		if o.ParentID == "" {
			return o.ID
		}
	}
	t.Fatal("the tenant has no root organization")
	return ""
}

// TestTouchTickets makes one batch's touches in one statement, on
// PostgreSQL (the only store that uses them): the leading operations'
// tickets are counted once each when visible and steady, with their SLA
// facts; the others are left for the operations themselves.
func TestTouchTickets(t *testing.T) {
	base := os.Getenv("KEFU_TEST_POSTGRES")
	if base == "" {
		t.Skip("KEFU_TEST_POSTGRES not set")
	}
	s, sc := openWithTenant(t, pgschema.Fresh(t, base), Options{})
	open1, open2, pending, closed, elsewhere, _ := ticketsForTouches(t, s, sc)
	late, _, err := s.CreateTicket(context.Background(), sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "之后"},
		Customer: CustomerRef{Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000006"}}},
		Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: "还在吗"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutSLASettings(context.Background(), sc.TenantID, System, sla.Settings{Policies: []sla.Policy{{Name: "全部", FirstResponseMinutes: 30}}}); err != nil {
		t.Fatal(err)
	}
	owing, _, err := s.CreateTicket(context.Background(), sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "等回复"},
		Customer: CustomerRef{Tier: "ka", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000007"}}},
		Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: "急"}})
	if err != nil {
		t.Fatal(err)
	}
	rootOnly := Scope{TenantID: sc.TenantID, OrgIDs: []string{rootOrgOf(t, s, sc)}}
	touch := func(sc Scope, tk kefu.Ticket, kind kefu.MessageKind) *writeOp {
		return &writeOp{touch: &ticketTouch{sc: sc, ticketID: tk.ID, still: steadyStatuses(kind)}}
	}
	agent, customer := kefu.MessageAgent, kefu.MessageCustomer
	ops := []*writeOp{
		touch(sc, open1, agent),
		touch(rootOnly, open2, agent),
		touch(sc, open1, agent),                        // the same ticket again: its own UPDATE
		touch(sc, pending, customer),                   // reopens it: not steady
		touch(sc, closed, customer),                    // refused by the operation
		touch(rootOnly, elsewhere, agent),              // outside the scope
		touch(Scope{TenantID: "nobody"}, open2, agent), // another tenant's id
		touch(sc, owing, customer),                     // owes its first answer; a KA customer
		{},                                             // not a message: the run ends here
		touch(sc, late, agent),
	}
	tx, err := s.wdb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := touchTickets(tx, s, ops); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		done, counted bool
	}{{true, true}, {true, true}, {false, false}, {true, false}, {true, false}, {true, false}, {true, false}, {true, true}, {}, {false, false}}
	for i, w := range want {
		tc := ops[i].touch
		if tc == nil {
			continue
		}
		if tc.done != w.done || tc.counted != w.counted {
			t.Errorf("operation %d: done %v counted %v, want %v %v", i, tc.done, tc.counted, w.done, w.counted)
		}
		if tc.counted {
			if tc.ticket.ID != tc.ticketID || tc.ticket.MessageCount != 2 || tc.ticket.TenantID != sc.TenantID || !tc.ticket.UpdatedAt.Equal(fromUS(us(tc.at))) {
				t.Errorf("operation %d: ticket read back as %+v", i, tc.ticket)
			}
			wantOwed, wantTier := tc.ticketID == owing.ID, "standard"
			if wantOwed {
				wantTier = "ka"
			}
			if tc.answerOwed != wantOwed || tc.tier != wantTier {
				t.Errorf("operation %d: answer owed %v, tier %q; want %v, %q", i, tc.answerOwed, tc.tier, wantOwed, wantTier)
			}
		}
	}
	counts := map[string]int{}
	rows, err := tx.Query(`SELECT id, message_count FROM tickets WHERE tenant_id = $1`, sc.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		counts[id] = n
	}
	rows.Close()
	for _, c := range []struct {
		tk   kefu.Ticket
		want int
	}{{open1, 2}, {open2, 2}, {pending, 1}, {closed, 1}, {elsewhere, 1}, {late, 1}, {owing, 2}} {
		if counts[c.tk.ID] != c.want {
			t.Errorf("ticket %s counts %d messages, want %d", c.tk.Subject, counts[c.tk.ID], c.want)
		}
	}

	// One touch alone is left to its operation.
	single := []*writeOp{touch(sc, open1, agent), {}}
	if err := touchTickets(tx, s, single); err != nil {
		t.Fatal(err)
	}
	if single[0].touch.done {
		t.Error("a single touch was made by the batch")
	}
}

// TestMessagesOfOneBatch holds the writer and lets it take six messages in
// one batch: two for one ticket, one that reopens a pending ticket, one for
// a closed ticket and one outside the writer's scope. Each ends as it would
// alone, on both stores (PostgreSQL touches the tickets first).
func TestMessagesOfOneBatch(t *testing.T) {
	eachStore(t, Options{Writers: 1}, func(t *testing.T, s *Store, sc Scope) {
		ctx := context.Background()
		open1, open2, pending, closed, elsewhere, _ := ticketsForTouches(t, s, sc)
		rootOnly := Scope{TenantID: sc.TenantID, OrgIDs: []string{rootOrgOf(t, s, sc)}}
		// SLA targets from now on: a ticket opened now owes its first answer.
		if _, err := s.PutSLASettings(ctx, sc.TenantID, System, sla.Settings{Policies: []sla.Policy{{Name: "全部", FirstResponseMinutes: 30, NextResponseMinutes: 60}}}); err != nil {
			t.Fatal(err)
		}
		owing, _, err := s.CreateTicket(ctx, sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "等回复"},
			Customer: CustomerRef{Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13900000007"}}},
			Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: "急"}})
		if err != nil {
			t.Fatal(err)
		}
		opened := kefu.StatusOpen
		if owing, err = s.UpdateTicket(ctx, sc, System, owing.ID, TicketPatch{Status: &opened}); err != nil {
			t.Fatal(err)
		}

		release, holding := make(chan struct{}), make(chan struct{})
		var once sync.Once
		let := func() { once.Do(func() { close(release) }) }
		defer let()
		go s.Write(ctx, func(*Tx) error { close(holding); <-release; return nil })
		<-holding
		sends := []struct {
			sc   Scope
			tk   kefu.Ticket
			kind kefu.MessageKind
		}{
			{sc, open1, kefu.MessageAgent},
			{rootOnly, open2, kefu.MessageCustomer},
			{sc, open1, kefu.MessageAgent},
			{sc, pending, kefu.MessageCustomer},
			{sc, closed, kefu.MessageCustomer},
			{rootOnly, elsewhere, kefu.MessageAgent},
			{sc, owing, kefu.MessageAgent},
		}
		errs := make([]chan error, len(sends))
		queue := s.writer.keyed[0]
		for i, m := range sends {
			errs[i] = make(chan error, 1)
			queued := len(queue)
			go func() {
				_, err := s.AddMessage(ctx, m.sc, System, m.tk.ID, kefu.Message{Kind: m.kind, Body: "第 " + string(rune('一'+i)) + " 条"})
				errs[i] <- err
			}()
			// SQLite reads the ticket first and refuses some before the write.
			for deadline := time.Now().Add(5 * time.Second); len(queue) == queued && len(errs[i]) == 0; {
				if time.Now().After(deadline) {
					t.Fatal("the message was neither queued nor answered")
				}
				time.Sleep(time.Millisecond)
			}
		}
		let()
		for i, want := range []string{"", "", "", "", "ticket_closed", "ticket_not_found", ""} {
			err := <-errs[i]
			switch {
			case want == "" && err != nil:
				t.Errorf("message %d: %v", i, err)
			case want != "" && !isConflict(err, want):
				t.Errorf("message %d: %v, want %s", i, err, want)
			}
		}
		for _, c := range []struct {
			tk     kefu.Ticket
			count  int
			status kefu.Status
		}{{open1, 3, kefu.StatusOpen}, {open2, 2, kefu.StatusOpen}, {pending, 2, kefu.StatusOpen}, {closed, 1, kefu.StatusClosed},
			{elsewhere, 1, kefu.StatusOpen}, {owing, 2, kefu.StatusOpen}} {
			got, err := s.Ticket(ctx, sc, c.tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.MessageCount != c.count || got.Status != c.status {
				t.Errorf("ticket %s: %d messages, %s; want %d, %s", c.tk.Subject, got.MessageCount, got.Status, c.count, c.status)
			}
			msgs, _, err := s.Messages(ctx, sc, c.tk.ID, false, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != c.count {
				t.Errorf("ticket %s holds %d messages, counts %d", c.tk.Subject, len(msgs), c.count)
			}
		}
		// SLA targets as if each message came alone: the agent's answer
		// kept owing's first response; the customer's message to open2
		// (nothing owed) is owed an answer; open1 owed nothing.
		owed := func(tk kefu.Ticket) (open []kefu.CommitmentKind, kept []kefu.CommitmentKind) {
			cs, err := s.Commitments(ctx, sc, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				switch c.State {
				case kefu.CommitOpen:
					open = append(open, c.Kind)
				case kefu.CommitKept:
					kept = append(kept, c.Kind)
				}
			}
			return open, kept
		}
		for _, c := range []struct {
			tk         kefu.Ticket
			open, kept []kefu.CommitmentKind
		}{{owing, nil, []kefu.CommitmentKind{kefu.CommitFirstResponse}}, {open2, []kefu.CommitmentKind{kefu.CommitNextResponse}, nil}, {open1, nil, nil}} {
			if open, kept := owed(c.tk); !slices.Equal(open, c.open) || !slices.Equal(kept, c.kept) {
				t.Errorf("ticket %s: open %v, kept %v; want %v, %v", c.tk.Subject, open, kept, c.open, c.kept)
			}
		}
	})
}
