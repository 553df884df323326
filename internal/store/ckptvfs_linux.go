package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// The background checkpoint copies a second's pages into the database file
// and then syncs it: 10–20 MB under a load of 1,000 new tickets a second,
// handed to the disk at once. Every commit's WAL fsync issued meanwhile
// waited behind that burst (a disk's cache flush waits for every write
// before it), and the slowest percent of requests were the ones around each
// checkpoint (routing create→offer p99, docs/benchmarks.md). So the
// checkpoint's connection opens the database through ckptVFS, where the
// database file's writes are handed to the disk as they are made, a slice
// at a time (sync_file_range), with a pause as long as the slice took
// before the next one: a commit's fsync then waits for one slice at most,
// and the final sync finds little left. This is PostgreSQL's spread
// checkpoint with checkpoint_flush_after, for SQLite.
//
// Only when pages reach the disk changes: nothing is durable before the
// sync that SQLite (or checkpointer.syncDB) makes, exactly as before. A
// slice that fails to reach the disk fails the checkpoint's write (the
// kernel reports a failed writeback once per descriptor, so the later sync
// might not see it), which stops writes as a failed sync does.
const ckptVFSName = "kefu-ckpt"

// ckptSlice is how many written bytes go to the disk together. Under the
// burst above a slice takes 2–5 ms on a shared cloud disk.
const ckptSlice = 512 << 10

// ckptPauseMin keeps the pause meaningful on a disk so fast that a slice
// takes microseconds (there nothing waits long anyway).
const ckptPauseMin = time.Millisecond

// pacedDB extends a database file opened through ckptVFS.
type pacedDB struct {
	methods uintptr // the real io methods
	lo, hi  int64   // the span of the bytes written since the last slice
	n       int64   // bytes written since the last slice
	off     int32   // 1: the file system cannot write a range; write as SQLite does
}

// ckptStats counts the slices written and their bytes, for tests.
var ckptStats struct{ slices, bytes atomic.Uint64 }

// ckptWriteBack is sync_file_range; a test sets ckptWriteBackFault to fail it.
func ckptWriteBack(fd int, off, n int64) error {
	if f := ckptWriteBackFault.Load(); f != nil {
		return *f
	}
	for {
		if err := unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER); err != unix.EINTR {
			return err
		}
	}
}

var ckptWriteBackFault atomic.Pointer[error]

var ckptVFS struct {
	once      sync.Once
	err       error
	real      uintptr
	extOffset uintptr
	mu        sync.Mutex
	wrapped   map[uintptr]uintptr // real io methods → their paced copy
}

func pacedOf(pFile uintptr) *pacedDB { return cmem[pacedDB](pFile + ckptVFS.extOffset) }

// checkpointVFS registers ckptVFS once per process and returns its name.
func checkpointVFS() (string, error) {
	ckptVFS.once.Do(func() {
		ckptVFS.wrapped = map[uintptr]uintptr{}
		ckptVFS.real, ckptVFS.extOffset, ckptVFS.err = registerVFS(ckptVFSName, unsafe.Sizeof(pacedDB{}), cFunc(ckptOpen))
	})
	return ckptVFSName, ckptVFS.err
}

// ckptOpen opens every file through the real VFS; the database file gets
// its writes paced. (The unix VFS's file object begins with its io methods
// and holds the descriptor, TunixFile.)
func ckptOpen(tls *libc.TLS, _ uintptr, zName uintptr, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := cCall[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32](cmem[sqlite3.Tsqlite3_vfs](ckptVFS.real).FxOpen)
	if rc := open(tls, ckptVFS.real, zName, pFile, flags, pOutFlags); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if flags&sqlite3.SQLITE_OPEN_MAIN_DB == 0 {
		return sqlite3.SQLITE_OK
	}
	file := cmem[sqlite3.Tsqlite3_file](pFile)
	*pacedOf(pFile) = pacedDB{methods: file.FpMethods}
	ckptVFS.mu.Lock()
	defer ckptVFS.mu.Unlock()
	m, ok := ckptVFS.wrapped[file.FpMethods]
	if !ok {
		if m = libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{}))); m == 0 {
			return sqlite3.SQLITE_OK // without memory the file stays as it is, unpaced
		}
		w := cmem[sqlite3.Tsqlite3_io_methods](m)
		*w = *cmem[sqlite3.Tsqlite3_io_methods](file.FpMethods)
		w.FxWrite = cFunc(pacedWrite)
		ckptVFS.wrapped[file.FpMethods] = m
	}
	file.FpMethods = m
	return sqlite3.SQLITE_OK
}

// pacedWrite writes as the real file does, and hands each ckptSlice of
// written bytes to the disk before it goes on.
func pacedWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	p := pacedOf(pFile)
	rc := cCall[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](cmem[sqlite3.Tsqlite3_io_methods](p.methods).FxWrite)(tls, pFile, zBuf, iAmt, iOfst)
	if rc != sqlite3.SQLITE_OK || p.off != 0 {
		return rc
	}
	end := iOfst + int64(iAmt)
	if p.n == 0 {
		p.lo, p.hi = iOfst, end
	} else {
		p.lo, p.hi = min(p.lo, iOfst), max(p.hi, end)
	}
	p.n += int64(iAmt)
	if p.n < ckptSlice {
		return sqlite3.SQLITE_OK
	}
	fd := int(cmem[sqlite3.TunixFile](pFile).Fh)
	start := time.Now()
	err := ckptWriteBack(fd, p.lo, p.hi-p.lo)
	took := time.Since(start)
	n := p.n
	p.n = 0
	switch {
	case err == nil:
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ESPIPE):
		p.off = 1 // not a failure of the disk: this file system cannot do it
		return sqlite3.SQLITE_OK
	default:
		return sqlite3.SQLITE_IOERR_WRITE
	}
	ckptStats.slices.Add(1)
	ckptStats.bytes.Add(uint64(n))
	time.Sleep(max(took, ckptPauseMin))
	return sqlite3.SQLITE_OK
}
