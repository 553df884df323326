package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PostgreSQL plans from each table's statistics, which autovacuum gathers
// at most once a minute (autovacuum_naptime) and only after a tenth of the
// table changed. A table that has none yet — a fresh database, a bulk load —
// is planned blind: "tenant_id = $1 AND id = $2" then takes a (tenant_id, …)
// index over the primary key and scans the whole tenant (measured: customer
// lookups 1,421/s before the first ANALYZE, 10,023/s after; creates +6 %).
// The keeper looks every few seconds at the tables the hot paths use and
// analyses one that changed by half since its last statistics (at least
// a thousand rows): often while a table is young, rarely once it is large,
// where autovacuum keeps up by itself.
//
// The keeper also empties the search indexes' pending lists. A GIN index
// (fastupdate, PostgreSQL's default) adds new entries to a pending list and
// merges the list into the index when it passes gin_pending_list_limit
// (4 MB), inside whichever insert passes it, or when a vacuum runs. That
// insert, a ticket create, then took up to 350–580 ms, and every search
// meanwhile scans the whole list (docs/benchmarks.md). Merged every second
// by the keeper, outside any request, the list stays short and no request
// pays. An advisory lock per index lets one node merge while the others
// skip, instead of queueing for the index's cleanup lock.
type statsKeeper struct {
	db *sql.DB
	// ctx ends when the keeper stops, cancelling a pass in progress.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// gin lists the GIN indexes still to clean; one this role may not clean
	// (not the owner) or that is not a GIN index is dropped, so PostgreSQL's
	// log is not filled with the same error every second.
	gin       []string
	ginPasses atomic.Uint64 // cleaning passes finished
	ginPages  atomic.Uint64 // pending-list pages merged
}

const (
	statsEvery    = 5 * time.Second
	ginCleanEvery = time.Second
)

// ginIndexes are the GIN indexes new tickets and customers go into.
var ginIndexes = []string{"tickets_search", "customers_search"}

// hotTables are the tables read by key on every create, append and lookup
// whose other indexes also start with tenant_id (the others have one way in).
// commitments: an agent's reply reads its ticket's open response targets,
// and without statistics the planner took the tenant's open-targets index
// and filtered all of them (39 ms a reply with 17,000 targets, instead of
// a look at the ticket's few).
var hotTables = []string{"tickets", "customers", "customer_identities", "commitments"}

func startStatsKeeper(db *sql.DB) *statsKeeper {
	k := &statsKeeper{db: db, gin: append([]string(nil), ginIndexes...)}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		stats := time.NewTicker(statsEvery)
		defer stats.Stop()
		gin := time.NewTicker(ginCleanEvery)
		defer gin.Stop()
		for {
			select {
			case <-k.ctx.Done():
				return
			case <-stats.C:
				k.pass()
			case <-gin.C:
				k.cleanGIN()
			}
		}
	}()
	return k
}

// cleanGIN merges the search indexes' pending lists into the indexes and
// returns how many list pages it emptied.
func (k *statsKeeper) cleanGIN() (pages int64) {
	ctx, cancel := context.WithTimeout(k.ctx, time.Minute)
	defer cancel()
	kept := k.gin[:0]
	for _, index := range k.gin {
		var n int64
		err := k.db.QueryRowContext(ctx, `SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext('kefu gin ' || $1))
			THEN COALESCE(gin_clean_pending_list(to_regclass($1)), 0) ELSE 0 END`, index).Scan(&n)
		pages += n
		if err == nil || !(strings.Contains(err.Error(), "SQLSTATE 42501") || strings.Contains(err.Error(), "SQLSTATE 42809")) {
			kept = append(kept, index)
		}
	}
	k.gin = kept
	k.ginPages.Add(uint64(pages))
	k.ginPasses.Add(1)
	return pages
}

// pass analyses the hot tables whose statistics are far behind.
func (k *statsKeeper) pass() {
	ctx, cancel := context.WithTimeout(k.ctx, time.Minute)
	defer cancel()
	rows, err := k.db.QueryContext(ctx, `SELECT relname FROM pg_stat_user_tables
		WHERE schemaname = current_schema() AND relname = ANY($1)
		AND n_mod_since_analyze >= 1000 AND n_mod_since_analyze * 2 >= n_live_tup`, hotTables)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		for _, hot := range hotTables { // only ever a name of the fixed list
			if name == hot {
				k.db.ExecContext(ctx, `ANALYZE `+hot)
			}
		}
	}
}

func (k *statsKeeper) close() {
	k.cancel()
	k.wg.Wait()
}
