package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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
// catch-up holds the writer for 4–16 ms under such a load (it copies a few
// hundred frames and syncs the WAL and the database file), so it waits for
// a WAL of 1 GiB, not every second: once every 15–25 s at 1,000–1,600
// creates/s, which keeps it out of the p99.
//
// A checkpoint that fails to write or sync leaves pages of the database
// file in doubt that the WAL may soon no longer hold, so it stops writes
// exactly as a failed WAL sync does (fail).
type checkpointer struct {
	db            *sql.DB
	halted        func() error // non-nil after a failed sync: checkpoint nothing
	fail          func(error)  // stops writes after a failed checkpoint write or sync
	stop          chan struct{}
	wg            sync.WaitGroup
	restartFrames atomic.Int64 // a WAL this long (in frames) is started over
	pending       atomic.Bool  // the writer is to catch up and let the WAL start over
	dbPath        string
	dbFile        *os.File     // the database file, for syncDB (the checkpoint goroutine's)
	tid           atomic.Int64 // the thread the checkpoints run on (Linux), for tests
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

func startCheckpointer(db *sql.DB, dbPath string, halted func() error, fail func(error)) *checkpointer {
	c := &checkpointer{db: db, dbPath: dbPath, halted: halted, fail: fail, stop: make(chan struct{})}
	c.restartFrames.Store(walRestartFrames)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		// At a lower priority: the copy and the fsync of a second's pages
		// competed for the two cores with the requests they delayed
		// (routing create→offer p99, docs/benchmarks.md).
		c.tid.Store(int64(runInBackground()))
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				if !c.pass() {
					return
				}
			}
		}
	}()
	return c
}

// pass checkpoints in the background once; false once checkpoints stop.
func (c *checkpointer) pass() bool {
	if c.halted() != nil {
		return false
	}
	var busy, frames, copied int64
	err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	if err != nil {
		c.failOnIO(err)
		return c.halted() == nil
	}
	if err := c.syncDB(); err != nil {
		c.fail(fmt.Errorf("sync database file after a checkpoint: %w", err))
		return false
	}
	// A pass cut short by a long read (a backup) leaves frames the catch-up
	// could not copy either.
	if frames >= c.restartFrames.Load() && copied == frames {
		c.pending.Store(true)
	}
	return true
}

// syncDB makes the pages the checkpoint just copied into the database file
// durable. SQLite syncs the database file only after a checkpoint that
// copied the whole WAL, which under steady load is the writer's catch-up:
// it then flushed every page copied since the last one, holding the writer
// 60–100 ms (strace: fsync of kefu.db 64, 96, 89, 88 ms). Synced here after
// each background pass, the catch-up's own sync finds little left: it took
// 4–16 ms instead of 60–90; this sync takes 20–40 ms each second, beside
// the writer, with no change in throughput.
//
// The descriptor stays open until every SQLite connection is closed
// (releaseFile): SQLite locks the file with POSIX locks, which belong to the
// process, and closing any descriptor of the file drops them all.
func (c *checkpointer) syncDB() error {
	if c.dbFile == nil {
		f, err := os.OpenFile(c.dbPath, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		c.dbFile = f
	}
	return syncData(c.dbFile)
}

// failOnIO stops writes when a checkpoint failed to read, write or sync
// (SQLITE_IOERR: pages copied by earlier passes may be in doubt) or found
// the file damaged (SQLITE_CORRUPT). A busy one, or a full disk (the pages
// stay in the WAL, and the copy is tried again), does not stop them.
func (c *checkpointer) failOnIO(err error) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT:
		c.fail(fmt.Errorf("checkpoint: %w", err))
	}
}

// releaseFile closes the database file's descriptor, once SQLite's
// connections are closed.
func (c *checkpointer) releaseFile() {
	if c.dbFile != nil {
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
	if _, err := wdb.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		c.failOnIO(err)
	}
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
