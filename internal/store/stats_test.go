package store

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

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
