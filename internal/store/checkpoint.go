package store

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite copies the WAL back into the database file in checkpoints. Left to
// itself it does so inside a commit, every 1,000 pages, on the writer's
// thread — copying pages and fsyncing the database file while every waiting
// request waits too. kefu turns that off and checkpoints from its own
// connection in the background (PASSIVE: it never blocks the writer or
// readers), so the writer only ever appends to the WAL.
//
// Under a steady load that alone lets the WAL grow without end (640 MB in
// 15 s of creates over a 100 MB database): SQLite starts the WAL over from
// its beginning only when a write begins after a checkpoint copied all of it,
// and the writer has always added frames while the background copy ran. So
// once the WAL holds more than restartFrames, the writer, between two
// batches, copies the frames added since the background checkpoint itself
// (catchUp); the next batch then rewrites the WAL from its start. The
// catch-up holds the writer for 8–16 ms under such a load (it copies a few
// hundred frames and syncs the WAL and the database file), so it waits for
// a WAL of 1 GiB, not every second: once every 15–25 s at 1,000–1,600
// creates/s, which keeps it out of the p99.
type checkpointer struct {
	db            *sql.DB
	halted        func() error // non-nil after a failed WAL sync: checkpoint nothing
	stop          chan struct{}
	wg            sync.WaitGroup
	restartFrames atomic.Int64 // a WAL this long (in frames) is started over
	pending       atomic.Bool  // the writer is to catch up and let the WAL start over
	dbPath        string
	dbFile        *os.File // the database file, for syncDB (the checkpoint goroutine's)
}

// walRestartFrames: 262,144 frames is 1 GiB of 4 KiB pages. At ordinary
// loads the writer pauses often enough for the background checkpoint alone
// to let the WAL start over, long before.
const walRestartFrames = 262144

// checkpointEvery: every checkpoint copies the pages written since the last
// one into the database file and fsyncs it, on the disk the commits fsync
// the WAL on. A second apart (instead of 250 ms) copies a hot page once
// instead of four times and leaves the commits' fsyncs more alone: under a
// full create load +4 % throughput and a p99 of 21 ms instead of 27–31 ms
// (docs/benchmarks.md). A WAL copied is not always started over: see catchUp.
const checkpointEvery = time.Second

func startCheckpointer(db *sql.DB, dbPath string, halted func() error) *checkpointer {
	c := &checkpointer{db: db, dbPath: dbPath, halted: halted, stop: make(chan struct{})}
	c.restartFrames.Store(walRestartFrames)
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
				var busy, frames, copied int64
				err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
				if err != nil {
					continue
				}
				c.syncDB()
				if frames >= c.restartFrames.Load() {
					c.pending.Store(true)
				}
			}
		}
	}()
	return c
}

// syncDB makes the pages the checkpoint just copied into the database file
// durable. SQLite syncs the database file only after a checkpoint that
// copied the whole WAL, which under steady load is the writer's catch-up:
// it then flushed every page copied since the last one, holding the writer
// 60–100 ms (strace: fsync of kefu.db 64, 96, 89, 88 ms). Synced here after
// each background pass, the catch-up's own sync finds little left. A failed
// sync here is left to SQLite's: the kernel reports a write-back error to
// every descriptor open when it happened, and the copied pages stay in the
// WAL until a checkpoint's own sync succeeds. With it the catch-up took
// 4–16 ms instead of 60–90; this sync takes 20–40 ms each second, beside
// the writer, with no change in throughput.
func (c *checkpointer) syncDB() {
	if c.dbFile == nil {
		f, err := os.OpenFile(c.dbPath, os.O_RDWR, 0)
		if err != nil {
			return
		}
		c.dbFile = f
	}
	if syncData(c.dbFile) != nil {
		c.dbFile.Close()
		c.dbFile = nil
	}
}

// catchUp runs on the writer's goroutine between batches: after a
// background checkpoint found the WAL long, it checkpoints the frames
// written since, on the writer's connection, while no batch can add more,
// so that the next batch starts the WAL over.
func (c *checkpointer) catchUp(wdb *sql.DB) {
	if c == nil || !c.pending.CompareAndSwap(true, false) || c.halted() != nil {
		return
	}
	wdb.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
}

// close stops the background checkpoints and folds the whole WAL back into
// the database file, so a stopped kefu leaves one self-contained file.
// After a failed WAL sync it leaves everything as it is (see walSyncer.sync).
func (c *checkpointer) close() {
	close(c.stop)
	c.wg.Wait()
	if c.dbFile != nil {
		c.dbFile.Close()
	}
	if c.halted() != nil {
		return
	}
	c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
	c.db.Close()
}
