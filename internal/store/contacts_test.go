package store_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// sameSubject is a RepeatCheck whose intake calls a contact a repeat of the
// customer's latest ticket with the same subject.
func sameSubject(subject string) store.RepeatCheck {
	return store.RepeatCheck{WindowDays: 7, Threshold: 3, Match: func(past []store.PastTicket) (*store.PastTicket, string) {
		for i := range past {
			if past[i].Subject == subject {
				return &past[i], "same subject"
			}
		}
		return nil, ""
	}}
}

func contact(phone, subject string) store.NewTicket {
	return store.NewTicket{Ticket: kefu.Ticket{Subject: subject, Channel: kefu.ChannelChat},
		Customer: store.CustomerRef{Name: "王先生", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: phone}}},
		Message:  &kefu.Message{Kind: kefu.MessageCustomer, Body: subject + "，请尽快处理"},
		Intake:   &kefu.IntakeRecord{Steps: []kefu.IntakeStep{{Step: "screen", Decision: "no emergency", Why: "test"}}}}
}

// intakeSteps reads a ticket's intake decisions, "step=decision" each.
func intakeSteps(t *testing.T, s *store.Store, tenantID, ticketID string) [][]string {
	t.Helper()
	evs, err := s.Events(ctx, tenantID, store.EventFilter{TicketID: ticketID, Type: "intake.decided"})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, e := range evs {
		var r kefu.IntakeRecord
		if err := json.Unmarshal(e.After, &r); err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, st := range r.Steps {
			steps = append(steps, st.Step+"="+st.Decision)
		}
		out = append(out, steps)
	}
	return out
}

// OpenContact: a new customer opens a ticket; the same matter again joins
// it; another matter opens another; once the ticket is settled the matter
// coming back opens a new ticket linked to it. Each decision is on the
// intake record with the customer's.
func TestOpenContact(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := storetest.Open(t, b, clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)))
			sc, _, _ := timerWorld(t, s)
			first, joined, err := s.OpenContact(ctx, sc, store.System, contact("13700001111", "退款没到"), sameSubject("退款没到"))
			if err != nil || joined != nil || first.ID == "" || first.Message == nil {
				t.Fatalf("a new customer's first contact: %+v, joined %v, %v", first, joined, err)
			}
			if got := intakeSteps(t, s, sc.TenantID, first.ID); len(got) != 1 || strings.Join(got[0], " ") != "customer=new customer screen=no emergency" {
				t.Fatalf("first contact's decisions: %v", got)
			}

			// The customer writes again, now also giving an e-mail address.
			c := contact("13700001111", "退款没到")
			c.Customer.Identities = append(c.Customer.Identities, kefu.Identity{Kind: kefu.IdentityEmail, Value: "wang@example.cn"})
			again, joined, err := s.OpenContact(ctx, sc, store.System, c, sameSubject("退款没到"))
			if err != nil || joined == nil || again.ID != "" {
				t.Fatalf("the same matter again: created %+v, joined %v, %v", again, joined, err)
			}
			if joined.ID != first.ID || joined.RepeatCount != 1 || joined.Priority != kefu.PriorityHigh || joined.Message == nil || joined.Reason != "same subject" {
				t.Fatalf("joined: %+v", joined)
			}
			if id, known, err := s.ResolveCustomerID(ctx, sc, store.CustomerRef{Identities: []kefu.Identity{{Kind: kefu.IdentityEmail, Value: "wang@example.cn"}}}, ""); err != nil || !known || id != first.CustomerID {
				t.Fatalf("the e-mail address of the joining contact: customer %q, known %v, %v; want %s", id, known, err, first.CustomerID)
			}
			got := intakeSteps(t, s, sc.TenantID, first.ID)
			if len(got) != 2 || strings.Join(got[1], " ") != fmt.Sprintf("customer=known customer %s screen=no emergency repeat=joins open ticket #%d", first.CustomerID, first.Number) {
				t.Fatalf("the repeat's decisions: %v", got)
			}

			other, joined, err := s.OpenContact(ctx, sc, store.System, contact("13700001111", "想改地址"), sameSubject("想改地址"))
			if err != nil || joined != nil || other.ID == first.ID || other.CustomerID != first.CustomerID {
				t.Fatalf("another matter: %+v, joined %v, %v", other, joined, err)
			}
			if got := intakeSteps(t, s, sc.TenantID, other.ID); len(got) != 1 || got[0][len(got[0])-1] != "repeat=a new matter" {
				t.Fatalf("another matter's decisions: %v", got)
			}

			solved := kefu.StatusSolved
			if _, err := s.UpdateTicket(ctx, sc, store.System, first.ID, store.TicketPatch{Status: &solved}); err != nil {
				t.Fatal(err)
			}
			back, joined, err := s.OpenContact(ctx, sc, store.System, contact("13700001111", "退款没到"), sameSubject("退款没到"))
			if err != nil || joined != nil || back.ID == first.ID || back.RepeatCount != 2 {
				t.Fatalf("the settled matter came back: %+v, joined %v, %v", back, joined, err)
			}
			links, err := s.Links(ctx, sc, back.ID)
			if err != nil || len(links) != 1 || links[0].Kind != kefu.LinkRepeat {
				t.Fatalf("the new ticket's links: %+v, %v", links, err)
			}
			if got := intakeSteps(t, s, sc.TenantID, back.ID); len(got) != 1 || !strings.HasPrefix(got[0][len(got[0])-1], "repeat=repeats settled ticket #") {
				t.Fatalf("the returning matter's decisions: %v", got)
			}
		})
	}
}

// Contacts written at once share batches with a request that fails, so
// the writer runs the others again: every contact is decided once (one
// customer step on its record), and on SQLite, where the check runs inside
// the write, the same customer's contacts about one matter end on one
// ticket however they were batched.
func TestOpenContactsInOneBatch(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := storetest.Open(t, b, clock.NewManual(time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)))
			sc, _, _ := timerWorld(t, s)
			const n = 24
			type result struct {
				created store.TicketCreated
				joined  *store.RepeatRecorded
				err     error
			}
			results := make([]result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					c := contact(fmt.Sprintf("1360000%04d", i%6), "快递丢了")
					if i == n/2 {
						c.Ticket.QueueID = "no-such-queue" // refused inside the write: the batch runs again without it
					}
					results[i].created, results[i].joined, results[i].err = s.OpenContact(ctx, sc, store.System, c, sameSubject("快递丢了"))
				})
			}
			wg.Wait()
			tickets := map[string]map[string]bool{} // customer → tickets
			for i, r := range results {
				if i == n/2 {
					if r.err == nil {
						t.Fatal("a contact with an unknown queue was accepted")
					}
					continue
				}
				if r.err != nil {
					t.Fatalf("contact %d: %v", i, r.err)
				}
				id, cust := r.created.ID, r.created.CustomerID
				if r.joined != nil {
					id, cust = r.joined.ID, r.joined.CustomerID
				}
				if tickets[cust] == nil {
					tickets[cust] = map[string]bool{}
				}
				tickets[cust][id] = true
				for _, steps := range intakeSteps(t, s, sc.TenantID, id) {
					customers := 0
					for _, st := range steps {
						if strings.HasPrefix(st, "customer=") {
							customers++
						}
					}
					if customers != 1 {
						t.Fatalf("a contact decided %d times: %v", customers, steps)
					}
				}
			}
			if len(tickets) != 6 {
				t.Fatalf("%d customers, want 6", len(tickets))
			}
			if b.Name == "sqlite" {
				for cust, ids := range tickets {
					if len(ids) != 1 {
						t.Errorf("customer %s's contacts about one matter are on %d tickets", cust, len(ids))
					}
				}
			}
		})
	}
}
