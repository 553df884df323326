package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite copies the WAL back into the database file in checkpoints. Left to
// itself it does so inside a commit, every 1,000 pages, on the writer's
// thread — copying pages and fsyncing the database file while every waiting
// request waits too. kefu turns that off and checkpoints from its own
// connection in the background (PASSIVE: it never blocks the writer or
// readers), so the writer only ever appends to the WAL.
type checkpointer struct {
	db     *sql.DB
	halted func() error // non-nil after a failed WAL sync: checkpoint nothing
	stop   chan struct{}
	wg     sync.WaitGroup
}

// checkpointEvery: every checkpoint copies the pages written since the last
// one into the database file and fsyncs it, on the disk the commits fsync
// the WAL on. A second apart (instead of 250 ms) copies a hot page once
// instead of four times and leaves the commits' fsyncs more alone: under a
// full create load +4 % throughput and a p99 of 21 ms instead of 27–31 ms
// (docs/benchmarks.md). The WAL then holds up to a second of writes (tens of MB).
const checkpointEvery = time.Second

func startCheckpointer(db *sql.DB, halted func() error) *checkpointer {
	c := &checkpointer{db: db, halted: halted, stop: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				if c.halted() != nil {
					return
				}
				c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	return c
}

// close stops the background checkpoints and folds the whole WAL back into
// the database file, so a stopped kefu leaves one self-contained file.
// After a failed WAL sync it leaves everything as it is (see walSyncer.sync).
func (c *checkpointer) close() {
	close(c.stop)
	c.wg.Wait()
	if c.halted() != nil {
		return
	}
	c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
	c.db.Close()
}
