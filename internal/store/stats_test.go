package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store/storetest/pgschema"
)

// The keeper merges a GIN index's pending list into the index, so that no
// insert has to when the list passes gin_pending_list_limit; an index that
// does not exist (yet) costs nothing and is tried again next time.
func TestKeeperMergesSearchPendingList(t *testing.T) {
	base := os.Getenv("KEFU_TEST_POSTGRES")
	if base == "" {
		t.Skip("needs KEFU_TEST_POSTGRES (.ci/run sets it)")
	}
	db, err := sql.Open("pgx", pgschema.Fresh(t, base))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one session: the schema's search_path holds throughout
	for _, q := range []string{
		`CREATE TABLE docs (id BIGINT PRIMARY KEY, search TEXT NOT NULL) WITH (autovacuum_enabled = off)`,
		`CREATE INDEX tickets_search ON docs USING gin ((string_to_array(search, ' '))) WITH (fastupdate = on)`,
		`INSERT INTO docs SELECT n, 'refund 退款 order' || n || ' 订单' || (n % 97) FROM generate_series(1, 3000) AS n`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	k := &statsKeeper{db: db, ctx: context.Background(), gin: []string{"tickets_search", "customers_search"}}
	pages := k.cleanGIN()
	if pages <= 0 {
		t.Fatalf("the keeper merged %d pending-list pages; 3,000 new rows should have left some", pages)
	}
	var left int64
	if err := db.QueryRow(`SELECT gin_clean_pending_list('tickets_search')`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d pending-list pages were left after the keeper's pass", left)
	}
	if got := k.ginPages.Load(); got != uint64(pages) || k.ginPasses.Load() != 1 {
		t.Fatalf("counters: pages %d passes %d; want %d and 1", got, k.ginPasses.Load(), pages)
	}
	if strings.Join(k.gin, ",") != "tickets_search,customers_search" {
		t.Fatalf("indexes still cleaned: %v; a missing index must stay on the list", k.gin)
	}
	// The search still finds what went through the pending list.
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM docs WHERE string_to_array(search, ' ') @> ARRAY['订单5']`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 31 { // n % 97 = 5 for n = 5, 102, …, 2915
		t.Fatalf("search found %d rows after the merge; want 31", n)
	}
}

// Without statistics PostgreSQL answered an agent's reply's look at its
// ticket's open response targets through the tenant's open-targets index,
// filtering every open target of the tenant (39 ms a reply with 17,000).
// The keeper analyses commitments once they have grown, and the ticket's
// own index is taken.
func TestKeeperAnalysesCommitments(t *testing.T) {
	base := os.Getenv("KEFU_TEST_POSTGRES")
	if base == "" {
		t.Skip("needs KEFU_TEST_POSTGRES (.ci/run sets it)")
	}
	ctx := context.Background()
	s, sc := openWithTenant(t, pgschema.Fresh(t, base), Options{})
	var tickets []string
	for i := range 2 {
		tk, _, err := s.CreateTicket(ctx, sc, System, NewTicket{Ticket: kefu.Ticket{Subject: "目标"},
			Customer: CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: fmt.Sprintf("1370000%04d", i)}}}})
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk.ID)
	}
	conn, err := s.rdb.Conn(ctx) // one session: the schema's search_path and the statistics it sees
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ALTER TABLE commitments SET (autovacuum_enabled = off)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO commitments (id, tenant_id, ticket_id, kind, due_at, state, made_by, made_at)
		SELECT 'c' || n, $1, $2, 'first_response', n, 'open', '', n FROM generate_series(1, 3000) AS n`, sc.TenantID, tickets[0]); err != nil {
		t.Fatal(err)
	}
	plan := func() string {
		rows, err := conn.QueryContext(ctx, `EXPLAIN SELECT id FROM commitments c WHERE tenant_id = $1 AND ticket_id = $2
			AND kind IN ('first_response', 'next_response') AND state IN ('open', 'missed')`, sc.TenantID, tickets[1])
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
		}
		return b.String()
	}
	if p := plan(); strings.Contains(p, "commitments_ticket") {
		t.Logf("the planner took the ticket's index even without statistics:\n%s", p)
	}
	// The insert reaches pg_stat_user_tables, which the keeper reads, within a second or so.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int64
		if err := conn.QueryRowContext(ctx, `SELECT n_mod_since_analyze FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = 'commitments'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= 3000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pg_stat_user_tables shows %d changed rows of commitments after 10 s", n)
		}
	}
	k := &statsKeeper{db: s.rdb, ctx: ctx}
	k.pass()
	if p := plan(); !strings.Contains(p, "commitments_ticket") {
		t.Fatalf("after the keeper's pass the ticket's targets are not read through its index:\n%s", p)
	}
}
