package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite writes each WAL frame with two pwrite calls, its 24-byte header
// and its page, and a commit of a batch writes a hundred frames or more:
// under load those system calls were a fifth of the single writer's time
// (docs/benchmarks.md). The writer's connections therefore open the
// database through walVFS, the platform's own VFS with one change: a WAL
// file gathers consecutive writes in memory and hands them to the real
// file in one write (per walWriteMax) when SQLite syncs it, reads what it
// gathered, sizes it, truncates it or closes it, or when the gathered
// bytes would pass walBufferMax.
//
// Nothing else can see the gathered bytes before that:
//   - Other connections read only frames the WAL index lists, and SQLite
//     lists a commit's frames only after it synced the WAL. The writer's
//     connections run with synchronous=FULL so that every commit syncs,
//     and walVFS takes that sync as the moment to write the frames.
//   - A transaction that spilled pages into the WAL and then rolled back
//     leaves no call on the WAL file, only the release of the WAL's write
//     lock on the database file. walVFS therefore also wraps the database
//     file's shared-memory lock: when the connection releases the write
//     lock, whatever its WAL still gathers was never committed and is
//     dropped, before another connection can write frames where those
//     would have gone (a review found this; TestWALVFSDropsRolledBackFrames).
//   - A failed write of gathered bytes fails every later write and sync
//     of the transaction, so it cannot commit frames that never reached
//     the file, and a read of those bytes fails rather than read older ones.
//   - Should a commit ever publish frames without syncing the WAL (another
//     synchronous level set on the connection), the database file's
//     shared-memory barrier, which SQLite calls between the two copies of
//     the WAL index header it writes to publish a commit, writes them
//     first; if that write fails, every write of the process stops
//     (walVFSFailure, checked by walSyncer.err).
//
// Durability stays with walSyncer, which fsyncs the WAL after each commit
// (walsync.go): a commit's sync (SQLITE_SYNC_NORMAL) writes the frames and
// returns, while a checkpoint's sync and the sync of a new WAL's header
// (SQLITE_SYNC_FULL, through checkpoint_fullfsync) also reach the disk, as
// before. A process that dies with gathered bytes dies inside a
// transaction that never committed.
const walVFSName = "kefu-wal"

// walBufferMax bounds the bytes a WAL file gathers (a batch writes about
// 0.5 MB; a migration or a large import writes through in steps of this).
const walBufferMax = 8 << 20

// walWriteMax is the most the unix VFS writes in one call (it masks the
// length with 0x1ffff).
const walWriteMax = 0x1ffff &^ 0xfff

// A file opened through walVFS is the real VFS's object followed, at
// walVFS.extOffset, by kefu's extension of it: a walFile for a WAL, a
// dbFile for a database. The file's io methods are a copy of the real ones
// with a few replaced (wrappedMethods); the others are the real functions,
// which find their object where they expect it. Both extensions live in
// memory SQLite allocated, so they hold no Go pointers.

// walFile extends a WAL file.
type walFile struct {
	methods uintptr // the real io methods
	db      uintptr // the connection's database file, or 0: then nothing is gathered
	buf     uintptr // gathered bytes (libc memory), cap bytes long
	cap     int64
	n       int64 // bytes gathered
	off     int64 // file offset of the first gathered byte
	failed  int32 // a failed write of gathered bytes, until the write lock is released
	lostOff int64 // the bytes that failed, [lostOff, lostEnd): reads of them fail too
	lostEnd int64
}

// dbFile extends a database file.
type dbFile struct {
	methods uintptr // the real io methods
	wal     uintptr // the connection's WAL file, or 0
}

func walOf(pFile uintptr) *walFile { return cmem[walFile](pFile + walVFS.extOffset) }
func dbOf(pFile uintptr) *dbFile   { return cmem[dbFile](pFile + walVFS.extOffset) }

// real is the real io methods of a file opened through walVFS.
func (f *walFile) real() *sqlite3.Tsqlite3_io_methods {
	return cmem[sqlite3.Tsqlite3_io_methods](f.methods)
}
func (e *dbFile) real() *sqlite3.Tsqlite3_io_methods {
	return cmem[sqlite3.Tsqlite3_io_methods](e.methods)
}

// walStats counts, over the process, what walVFS did: SQLite's writes to
// WAL files it gathered, the writes it made of them, the commits' syncs it
// left to walSyncer and the syncs it passed on to the disk (a
// checkpoint's or a new header's), and the gathered writes it dropped at
// the end of a transaction that did not commit them. Tests read them.
var walStats struct{ gathered, written, held, synced, dropped atomic.Uint64 }

// walVFSFailure is set when gathered bytes failed to be written where
// SQLite could not be told (xShmBarrier): frames may have been published
// that are not in the file, so the process writes nothing more.
var walVFSFailure atomic.Pointer[error]

var walVFS struct {
	once      sync.Once
	err       error
	real      uintptr // the platform's VFS
	extOffset uintptr // where a file's walFile or dbFile lies

	mu        sync.Mutex
	byWALName map[uintptr]uintptr // a database's WAL file name (SQLite's pointer) → the database file
	wrapped   map[wrapKey]uintptr // real io methods → their wrapped copy
}

type wrapKey struct {
	real uintptr
	wal  bool
}

// registerWALVFS installs walVFS once per process.
func registerWALVFS() error {
	walVFS.once.Do(func() {
		walVFS.byWALName = map[uintptr]uintptr{}
		walVFS.wrapped = map[wrapKey]uintptr{}
		walVFS.real, walVFS.extOffset, walVFS.err = registerVFS(walVFSName,
			max(unsafe.Sizeof(walFile{}), unsafe.Sizeof(dbFile{})), cFunc(walOpen))
	})
	return walVFS.err
}

// registerVFS installs, under name, a copy of the platform's VFS whose
// files open through open (a cFunc) and carry ext bytes of kefu's own at
// extOffset. It returns the platform's VFS, which open calls on.
func registerVFS(name string, ext, open uintptr) (real, extOffset uintptr, err error) {
	tls := libc.NewTLS()
	defer tls.Close()
	real = sqlite3.Xsqlite3_vfs_find(tls, 0)
	if real == 0 {
		return 0, 0, errors.New("sqlite: no default VFS")
	}
	p := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	cname, err := libc.CString(name)
	if p == 0 || err != nil {
		return 0, 0, fmt.Errorf("sqlite: out of memory registering the %s VFS", name)
	}
	vfs := cmem[sqlite3.Tsqlite3_vfs](p)
	*vfs = *cmem[sqlite3.Tsqlite3_vfs](real)
	extOffset = (uintptr(vfs.FszOsFile) + 15) &^ 15
	vfs.FszOsFile = int32(extOffset + ext)
	vfs.FzName = cname
	vfs.FpNext = 0
	vfs.FxOpen = open
	if rc := sqlite3.Xsqlite3_vfs_register(tls, p, 0); rc != sqlite3.SQLITE_OK {
		return 0, 0, fmt.Errorf("sqlite: registering the %s VFS failed", name)
	}
	return real, extOffset, nil
}

// walOpen opens every file through the real VFS. A database file gets its
// shared-memory lock and barrier and its close wrapped; a WAL file of such
// a database gets the methods that gather its writes; any other file is
// just the real one.
func walOpen(tls *libc.TLS, _ uintptr, zName uintptr, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := cCall[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32](cmem[sqlite3.Tsqlite3_vfs](walVFS.real).FxOpen)
	if rc := open(tls, walVFS.real, zName, pFile, flags, pOutFlags); rc != sqlite3.SQLITE_OK {
		return rc
	}
	file := cmem[sqlite3.Tsqlite3_file](pFile)
	switch {
	case flags&sqlite3.SQLITE_OPEN_MAIN_DB != 0 && zName != 0:
		*dbOf(pFile) = dbFile{methods: file.FpMethods}
		walVFS.mu.Lock()
		defer walVFS.mu.Unlock()
		if m := wrappedMethods(tls, file.FpMethods, false); m != 0 {
			file.FpMethods = m
			walVFS.byWALName[sqlite3.Xsqlite3_filename_wal(tls, zName)] = pFile
		} // else (no memory) the file stays as it is, and its WAL will not gather
	case flags&sqlite3.SQLITE_OPEN_WAL != 0:
		walVFS.mu.Lock()
		db, linked := walVFS.byWALName[zName]
		m := wrappedMethods(tls, file.FpMethods, true)
		walVFS.mu.Unlock()
		// Gather only when the write lock's release can be seen, and when
		// SQLite will not pad a commit to a sector boundary (it would sync
		// halfway through the padding and list frames written after it):
		// it pads unless the database file is powersafe-overwrite.
		if !linked || m == 0 || dbCharacteristics(tls, db)&sqlite3.SQLITE_IOCAP_POWERSAFE_OVERWRITE == 0 {
			return sqlite3.SQLITE_OK // the real file, unwrapped
		}
		*walOf(pFile) = walFile{methods: file.FpMethods, db: db}
		file.FpMethods = m
		dbOf(db).wal = pFile
	}
	return sqlite3.SQLITE_OK
}

// wrappedMethods is a copy of a file's real io methods with those of a
// WAL file (wal) or of a database file replaced, or 0 without memory
// (walVFS.mu held).
func wrappedMethods(tls *libc.TLS, real uintptr, wal bool) uintptr {
	k := wrapKey{real, wal}
	if m, ok := walVFS.wrapped[k]; ok {
		return m
	}
	m := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
	if m == 0 {
		return 0
	}
	w := cmem[sqlite3.Tsqlite3_io_methods](m)
	*w = *cmem[sqlite3.Tsqlite3_io_methods](real)
	if wal {
		w.FxClose = cFunc(walClose)
		w.FxRead = cFunc(walRead)
		w.FxWrite = cFunc(walWrite)
		w.FxTruncate = cFunc(walTruncate)
		w.FxSync = cFunc(walSync)
		w.FxFileSize = cFunc(walFileSize)
		w.FxFileControl = cFunc(walFileControl)
	} else {
		w.FxShmLock = cFunc(dbShmLock)
		w.FxShmBarrier = cFunc(dbShmBarrier)
		w.FxClose = cFunc(dbClose)
	}
	walVFS.wrapped[k] = m
	return m
}

func dbCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	return cCall[func(*libc.TLS, uintptr) int32](dbOf(pFile).real().FxDeviceCharacteristics)(tls, pFile)
}

// dbShmLock: when the connection releases the WAL's write lock (offset 0),
// what its WAL still gathers was never committed (a commit writes at its
// sync): it is dropped, and a failure forgotten, before another connection
// can take the lock.
func dbShmLock(tls *libc.TLS, pFile uintptr, ofst, n, flags int32) int32 {
	e := dbOf(pFile)
	if ofst == 0 && flags == sqlite3.SQLITE_SHM_UNLOCK|sqlite3.SQLITE_SHM_EXCLUSIVE && e.wal != 0 {
		f := walOf(e.wal)
		if f.n > 0 {
			walStats.dropped.Add(1)
		}
		f.n, f.failed, f.lostOff, f.lostEnd = 0, 0, 0, 0
	}
	return cCall[func(*libc.TLS, uintptr, int32, int32, int32) int32](e.real().FxShmLock)(tls, pFile, ofst, n, flags)
}

// dbShmBarrier writes what the connection's WAL gathered before SQLite
// goes on: it is called between the two copies of the WAL index header
// that publish a commit. A commit's sync has written its frames already,
// so this finds nothing to write unless the connection's synchronous
// level was changed; if the write fails, the process stops writing.
func dbShmBarrier(tls *libc.TLS, pFile uintptr) {
	e := dbOf(pFile)
	if e.wal != 0 {
		if f := walOf(e.wal); f.n > 0 && f.flush(tls, e.wal) != sqlite3.SQLITE_OK {
			err := errors.New("writing the WAL's frames failed as a commit was published")
			walVFSFailure.CompareAndSwap(nil, &err)
		}
	}
	cCall[func(*libc.TLS, uintptr)](e.real().FxShmBarrier)(tls, pFile)
}

func dbClose(tls *libc.TLS, pFile uintptr) int32 {
	walVFS.mu.Lock()
	for name, db := range walVFS.byWALName {
		if db == pFile {
			delete(walVFS.byWALName, name)
		}
	}
	walVFS.mu.Unlock()
	e := dbOf(pFile)
	if e.wal != 0 { // SQLite closes the WAL first; in case it did not
		walOf(e.wal).db = 0
		e.wal = 0
	}
	return cCall[func(*libc.TLS, uintptr) int32](e.real().FxClose)(tls, pFile)
}

func realWrite(tls *libc.TLS, pFile, buf uintptr, n int32, off int64) int32 {
	return cCall[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](walOf(pFile).real().FxWrite)(tls, pFile, buf, n, off)
}

// flush hands the gathered bytes to the real file. A failure fails the
// transaction's later writes and syncs (see walFile.failed).
func (f *walFile) flush(tls *libc.TLS, pFile uintptr) int32 {
	if f.failed != 0 {
		return f.failed
	}
	n := f.n
	f.n = 0
	for done := int64(0); done < n; done += walWriteMax {
		if rc := realWrite(tls, pFile, f.buf+uintptr(done), int32(min(walWriteMax, n-done)), f.off+done); rc != sqlite3.SQLITE_OK {
			f.failed, f.lostOff, f.lostEnd = rc, f.off+done, f.off+n
			return rc
		}
		walStats.written.Add(1)
	}
	return sqlite3.SQLITE_OK
}

func walWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walOf(pFile)
	if f.db == 0 {
		return realWrite(tls, pFile, zBuf, iAmt, iOfst)
	}
	if f.failed != 0 {
		return f.failed
	}
	amt := int64(iAmt)
	if f.n > 0 && (iOfst != f.off+f.n || f.n+amt > walBufferMax) {
		if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if f.n+amt > f.cap {
		c := max(min(f.cap*2, walBufferMax), 1<<20, f.n+amt)
		b := libc.Xrealloc(tls, f.buf, types.Size_t(c))
		if b == 0 {
			f.failed = sqlite3.SQLITE_IOERR_NOMEM
			return f.failed
		}
		f.buf, f.cap = b, c
	}
	if f.n == 0 {
		f.off = iOfst
	}
	copy(unsafe.Slice(cmem[byte](f.buf+uintptr(f.n)), amt), unsafe.Slice(cmem[byte](zBuf), amt))
	f.n += amt
	walStats.gathered.Add(1)
	return sqlite3.SQLITE_OK
}

func walRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walOf(pFile)
	if f.failed != 0 && iOfst < f.lostEnd && iOfst+int64(iAmt) > f.lostOff {
		return f.failed
	}
	if f.n > 0 && iOfst < f.off+f.n && iOfst+int64(iAmt) > f.off {
		if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	return cCall[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](f.real().FxRead)(tls, pFile, zBuf, iAmt, iOfst)
}

// walSync writes the gathered bytes; only a checkpoint's sync or a new
// WAL header's (SQLITE_SYNC_FULL) goes on to the disk here. A commit's
// sync is walSyncer's.
func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	f := walOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if flags&0x0f != sqlite3.SQLITE_SYNC_FULL {
		walStats.held.Add(1)
		return sqlite3.SQLITE_OK
	}
	walStats.synced.Add(1)
	// As SQLITE_SYNC_NORMAL: checkpoint_fullfsync only marks the sync
	// here, it does not ask for macOS's F_FULLFSYNC.
	return cCall[func(*libc.TLS, uintptr, int32) int32](f.real().FxSync)(tls, pFile, flags&^0x0f|sqlite3.SQLITE_SYNC_NORMAL)
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	f := walOf(pFile)
	rc := f.flush(tls, pFile)
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf, f.cap, f.n = 0, 0, 0
	}
	if f.db != 0 {
		dbOf(f.db).wal = 0
		f.db = 0
	}
	if rc2 := cCall[func(*libc.TLS, uintptr) int32](f.real().FxClose)(tls, pFile); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	f := walOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cCall[func(*libc.TLS, uintptr, int64) int32](f.real().FxTruncate)(tls, pFile, size)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	f := walOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cCall[func(*libc.TLS, uintptr, uintptr) int32](f.real().FxFileSize)(tls, pFile, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	f := walOf(pFile)
	if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return cCall[func(*libc.TLS, uintptr, int32, uintptr) int32](f.real().FxFileControl)(tls, pFile, op, pArg)
}

// cmem is the object at p in C memory (allocated by SQLite or libc, never
// by Go, so the garbage collector has no say in it).
func cmem[T any](p uintptr) *T { return (*T)(unsafe.Add(nil, p)) }

// cFunc is a Go function as the transpiled SQLite calls function pointers
// (modernc.org/sqlite does the same for its callbacks).
func cFunc[T any](f T) uintptr { return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f})) }

// cCall is the function a pointer from SQLite names, callable from Go.
func cCall[T any](fp uintptr) T { return *(*T)(unsafe.Pointer(&fp)) }
