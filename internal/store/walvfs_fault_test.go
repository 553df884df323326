//go:build linux

package store

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// failWALWrites makes every pwrite to a file whose name ends in "-wal" fail
// with errno while it is set (0: none fail). The unix VFS's own pwrite is
// replaced once per process (xSetSystemCall) by one that passes the calls
// through otherwise.
var failWALWrites atomic.Int32

var hookOnce sync.Once
var realPwrite uintptr

func hookedPwrite(tls *libc.TLS, fd int32, buf uintptr, n uint64, off int64) int64 {
	if e := failWALWrites.Load(); e != 0 {
		if p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd))); err == nil && strings.HasSuffix(p, "-wal") {
			*cmem[int32](libc.X__errno_location(tls)) = e
			return -1
		}
	}
	return cCall[func(*libc.TLS, int32, uintptr, uint64, int64) int64](realPwrite)(tls, fd, buf, n, off)
}

func hookWALWrites(t *testing.T) {
	t.Helper()
	hookOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		p := sqlite3.Xsqlite3_vfs_find(tls, 0)
		vfs := cmem[sqlite3.Tsqlite3_vfs](p)
		for _, call := range []string{"pwrite64", "pwrite"} { // as the build names it
			name, err := libc.CString(call)
			if err != nil {
				return
			}
			defer libc.Xfree(tls, name)
			if realPwrite = cCall[func(*libc.TLS, uintptr, uintptr) uintptr](vfs.FxGetSystemCall)(tls, p, name); realPwrite == 0 {
				continue
			}
			if rc := cCall[func(*libc.TLS, uintptr, uintptr, uintptr) int32](vfs.FxSetSystemCall)(tls, p, name, cFunc(hookedPwrite)); rc != sqlite3.SQLITE_OK {
				realPwrite = 0
			}
			return
		}
	})
	if realPwrite == 0 {
		t.Skip("the unix VFS's pwrite cannot be replaced here")
	}
}

// TestWALVFSFailedWriteFailsTheTransaction: the write of a commit's
// gathered frames fails (EIO; then ENOSPC, for a transaction that spilled
// into the WAL before): the transaction does not commit, the next ones on
// both writer connections do (the failure is forgotten with the write
// lock), and the database is intact.
func TestWALVFSFailedWriteFailsTheTransaction(t *testing.T) {
	hookWALWrites(t)
	s, ctx := probeStore(t)
	a, b := writerConns(t, s)

	// The commit's write fails.
	tx := beginProbe(t, a, 1000, 50, 2000)
	failWALWrites.Store(5) // EIO
	err := tx.Commit()
	failWALWrites.Store(0)
	if err == nil {
		t.Fatal("a commit whose frames could not be written succeeded")
	}
	tx.Rollback()

	// A transaction that spilled into the WAL: its commit's write fails.
	spillSoon(t, a)
	tx = beginProbe(t, a, 2000, 300, 3000)
	failWALWrites.Store(28) // ENOSPC
	err = tx.Commit()
	failWALWrites.Store(0)
	if err == nil {
		t.Fatal("a spilled transaction whose last frames could not be written committed")
	}
	tx.Rollback()

	for i := range 50 {
		if _, err := a.ExecContext(ctx, `INSERT INTO walvfs_probe (id, body) VALUES ($1, $2)`, i, body(i, 2000)); err != nil {
			t.Fatalf("the first connection after the failures: %v", err)
		}
	}
	for i := 50; i < 100; i++ {
		if _, err := b.ExecContext(ctx, `INSERT INTO walvfs_probe (id, body) VALUES ($1, $2)`, i, body(i, 2000)); err != nil {
			t.Fatalf("the second connection after the failures: %v", err)
		}
	}
	checkProbe(t, s, 100, 2000)
}
