package store

import (
	"context"
	"strings"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// On SQLite the search column stays empty (stored): the FTS5 tables hold
// the terms. On PostgreSQL, whose search index is built on the column, the
// customer's column holds them, and a ticket's are in ticket_terms. Both after the row is made and after a change
// re-indexes it; that search finds rows by their current text after such
// changes is TestSearchFindsWhatWasJustWritten's (store_test, both stores).
func TestSearchColumnOnlyWherePostgreSQLReadsIt(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, s *Store, sc Scope) {
		ctx := context.Background()
		body := strings.Repeat("您好，我的包裹三天没有更新物流信息，麻烦帮忙查询快递单号。", 40) // an e-mail's length
		tk, _, err := s.CreateTicket(ctx, sc, System, NewTicket{
			Ticket:   kefu.Ticket{Subject: "物流查询", Channel: kefu.ChannelEmail},
			Customer: CustomerRef{Name: "王小明", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13912345678"}}},
			Message:  &kefu.Message{Body: body},
		})
		if err != nil {
			t.Fatal(err)
		}
		ts, _, err := s.Tickets(ctx, sc, TicketFilter{Query: "快递单号"}) // only in the message
		if err != nil || len(ts) != 1 || ts[0].ID != tk.ID {
			t.Fatalf("the new ticket is not found by its message: %v %v", ts, err)
		}
		subject, newName := "退款申请", "李大伟"
		if _, err := s.UpdateTicket(ctx, sc, System, tk.ID, TicketPatch{Subject: &subject}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateCustomer(ctx, sc, System, tk.CustomerID, CustomerPatch{Name: &newName}); err != nil {
			t.Fatal(err)
		}
		var ticketTerms, customerTerms int
		if err := s.rdb.QueryRowContext(ctx, `SELECT length(search) FROM tickets WHERE id = $1`, tk.ID).Scan(&ticketTerms); err != nil {
			t.Fatal(err)
		}
		if err := s.rdb.QueryRowContext(ctx, `SELECT length(search) FROM customers WHERE id = $1`, tk.CustomerID).Scan(&customerTerms); err != nil {
			t.Fatal(err)
		}
		if ticketTerms != 0 {
			t.Fatalf("the ticket row keeps %d characters of search terms", ticketTerms)
		}
		if s.dialect == SQLite && customerTerms != 0 {
			t.Fatalf("SQLite rows keep %d characters of search terms nothing reads", customerTerms)
		}
		if s.dialect == Postgres {
			// The ticket's terms live beside it (see migration 0008_ticket_terms),
			// the new subject's among them; the customer's in its row.
			var terms string
			if err := s.rdb.QueryRowContext(ctx, `SELECT search FROM ticket_terms WHERE id = $1`, tk.ID).Scan(&terms); err != nil {
				t.Fatal(err)
			}
			words := " " + terms + " "
			if !strings.Contains(words, " 申请 ") || strings.Contains(words, " 流查 ") || customerTerms == 0 { // 流查: the old subject's alone
				t.Fatalf("PostgreSQL keeps the ticket's terms %q and %d characters of the customer's; its index needs them", terms, customerTerms)
			}
		}
	})
}
