package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/kefu-project/kefu/internal/kefu"
)

// SQLite's commit with synchronous=FULL writes a batch's pages into the WAL
// and then fsyncs it, on the writer's thread: under load a third of every
// batch was the writer waiting for the disk while the next requests waited
// for the writer. kefu's commit writes the pages into the WAL without
// syncing them (walVFS takes the commit's sync as the signal to write the
// gathered frames, walvfs.go) and hands the batch to walSyncer,
// which fsyncs the WAL and only then acknowledges it, while the writer
// already runs the next batch (one batch ahead, no more: see
// writer.commit). An acknowledged write is on disk exactly as before; the
// fsync overlaps the next batch instead of delaying it.
//
// The WAL is only ever appended to between checkpoints, and SQLite replays
// it in order, stopping at the first frame that is not whole: a durable
// batch therefore implies every batch before it is durable too. What
// changes is visibility: a reader may see a write up to one fsync (about
// 2 ms) before its writer is told it is done; if the machine, not just the
// process, dies in that moment the write is lost, as any unacknowledged
// write may be. Checkpoints fsync the WAL themselves before copying it
// (SQLite does so at every synchronous level but OFF).
//
// On Linux the syncs after a WAL file's first are fdatasync (syncData), as
// PostgreSQL's WAL uses; the first is a full fsync with the directory's, so
// a WAL SQLite has just made keeps its name.
type walSyncer struct {
	path    string
	pending chan syncedBatch
	qmu     sync.RWMutex // guards closing pending against late senders
	closed  bool
	wg      sync.WaitGroup
	mu      sync.Mutex // guards f, fi, fresh and fullSyncs; held through each fsync
	f       *os.File
	fi      os.FileInfo // f's file, to notice a WAL made anew
	// fresh: f was just opened, so its first sync is a full fsync with the
	// directory's (the file's name and size); the later ones sync its data
	// (see syncData). fullSyncs counts the full ones, for tests.
	fresh     bool
	fullSyncs int
	failed    atomic.Pointer[error] // the failure that stopped writes
}

// syncedBatch is a committed batch waiting for the fsync that makes it
// durable; ack then answers its requests.
type syncedBatch struct{ ack func(error) }

func startWALSyncer(dbPath string) *walSyncer {
	ws := &walSyncer{path: dbPath + "-wal", pending: make(chan syncedBatch, 1024)}
	ws.wg.Add(1)
	go ws.loop()
	return ws
}

// loop takes every batch committed so far, syncs once, and acknowledges
// them in commit order.
func (ws *walSyncer) loop() {
	defer ws.wg.Done()
	var group []syncedBatch
	for b := range ws.pending {
		group = append(group[:0], b)
	gather:
		for {
			select {
			case more, ok := <-ws.pending:
				if !ok {
					break gather
				}
				group = append(group, more)
			default:
				break gather
			}
		}
		err := ws.sync()
		for _, b := range group {
			b.ack(err)
		}
	}
}

// after queues ack to run once everything committed so far is on disk (or
// the sync failed). Acks run in the order they were queued. It reports
// false when the syncer is closed and ack will not run.
func (ws *walSyncer) after(ack func(error)) bool {
	ws.qmu.RLock()
	defer ws.qmu.RUnlock()
	if ws.closed {
		return false
	}
	ws.pending <- syncedBatch{ack: ack}
	return true
}

// sync fsyncs the WAL. A failed fsync leaves the kernel's copy of the pages
// in doubt (it may drop them and report success next time), so after one
// failure every later write is refused, checkpoints stop and the database
// is not closed cleanly (closing would checkpoint pages that may never have
// reached the WAL on disk), until kefu restarts and SQLite recovers from
// what is really on disk — PostgreSQL does the same.
func (ws *walSyncer) sync() error {
	if err := ws.err(); err != nil {
		return err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	err := ws.open()
	if err == nil && ws.fresh {
		if err = ws.f.Sync(); err == nil {
			err = syncDir(filepath.Dir(ws.path))
		}
		if err == nil {
			ws.fresh = false
			ws.fullSyncs++
		}
	} else if err == nil {
		err = syncData(ws.f)
	}
	if err != nil {
		ws.fail(fmt.Errorf("sync write-ahead log: %w", err))
		return ws.err()
	}
	return nil
}

// open keeps a descriptor on the WAL file SQLite is writing; fsync flushes
// the file's pages whichever descriptor wrote them. The WAL keeps its inode
// while kefu runs (SQLite resets it in place), but it is checked each time
// so a WAL deleted and made again is never missed.
func (ws *walSyncer) open() error {
	st, err := os.Stat(ws.path)
	if err != nil {
		return err
	}
	if ws.f != nil {
		if os.SameFile(ws.fi, st) {
			return nil
		}
		ws.f.Close()
		ws.f = nil
	}
	f, err := os.OpenFile(ws.path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	ws.f, ws.fi, ws.fresh = f, fi, true
	return nil
}

// fail stops every later write after a failed sync: of the WAL (sync), or
// of the database file after a checkpoint (the checkpointer). The first
// failure is the one reported.
func (ws *walSyncer) fail(cause error) {
	var err error = kefu.Internal(fmt.Errorf("%w (writes since the last sync may or may not be saved; kefu refuses writes until restarted)", cause))
	ws.failed.CompareAndSwap(nil, &err)
}

// err is the failure that stopped writes, if any.
func (ws *walSyncer) err() error {
	if p := ws.failed.Load(); p != nil {
		return *p
	}
	if p := walVFSFailure.Load(); p != nil {
		ws.fail(*p)
		return ws.err()
	}
	return nil
}

// close acknowledges what is queued and releases the file; the writer has
// stopped, so nothing more arrives.
func (ws *walSyncer) close() {
	ws.qmu.Lock()
	ws.closed = true
	close(ws.pending)
	ws.qmu.Unlock()
	ws.wg.Wait()
	ws.mu.Lock()
	if ws.f != nil {
		ws.f.Close()
	}
	ws.mu.Unlock()
}

// syncDir makes a file's name in dir durable (a WAL SQLite has just made).
// Windows cannot flush a directory handle; NTFS journals names itself. Some
// file systems (FUSE, network and bind mounts) refuse to fsync a directory
// at all; like PostgreSQL and SQLite, kefu then goes on without it, as an
// I/O error it does not.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) && !errors.Is(err, syscall.EBADF) {
		return err
	}
	return nil
}

// syncFile fsyncs the file at path.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// durable returns once every write committed before the call is on disk.
// Whatever acts outside kefu on rows it read (a replayed response, an alert
// sent) waits for it first: on SQLite a reader may see a batch before its
// fsync (walsync.go). On PostgreSQL a commit is durable before it is
// visible, and this returns at once.
func (s *Store) durable(ctx context.Context) error {
	if s.walSync == nil {
		return nil
	}
	done := make(chan error, 1)
	if !s.walSync.after(func(err error) { done <- err }) {
		return kefu.Internal(errors.New("store closed"))
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
