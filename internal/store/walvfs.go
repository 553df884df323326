package store

import (
	"errors"
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

// walFile is the head of a WAL file object opened through walVFS; the
// real VFS's file object follows it. It lives in memory SQLite allocated,
// so it holds no Go pointers.
type walFile struct {
	methods uintptr // sqlite3_file.pMethods: walVFS.walMethods
	db      uintptr // the dbFile of the connection's database, or 0: then nothing is gathered
	buf     uintptr // gathered bytes (libc memory), cap bytes long
	cap     int64
	n       int64 // bytes gathered
	off     int64 // file offset of the first gathered byte
	failed  int32 // a failed write of gathered bytes, until the write lock is released
	lostOff int64 // the bytes that failed, [lostOff, lostEnd): reads of them fail too
	lostEnd int64
}

// dbFile follows the real VFS's object of a database file opened through
// walVFS (at dbFileOffset): what the wrapped methods need.
type dbFile struct {
	methods uintptr // the real io methods
	wal     uintptr // the connection's walFile, or 0
}

var walFileHead = (unsafe.Sizeof(walFile{}) + 15) &^ 15

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
	once         sync.Once
	err          error
	real         uintptr // the platform's VFS
	walMethods   uintptr
	dbFileOffset uintptr // where a database file's dbFile lies

	mu        sync.Mutex
	byWALName map[uintptr]uintptr // a database's WAL file name (SQLite's pointer) → its dbFile
	dbMethods map[uintptr]uintptr // real io methods → their wrapped copy
}

// registerWALVFS installs walVFS once per process.
func registerWALVFS() error {
	walVFS.once.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		real := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if real == 0 {
			walVFS.err = errors.New("sqlite: no default VFS")
			return
		}
		p := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
		m := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		name, err := libc.CString(walVFSName)
		if p == 0 || m == 0 || err != nil {
			walVFS.err = errors.New("sqlite: out of memory registering the WAL VFS")
			return
		}
		methods := cmem[sqlite3.Tsqlite3_io_methods](m)
		methods.FiVersion = 1 // a WAL file has no shared memory and no mmap
		methods.FxClose = cFunc(walClose)
		methods.FxRead = cFunc(walRead)
		methods.FxWrite = cFunc(walWrite)
		methods.FxTruncate = cFunc(walTruncate)
		methods.FxSync = cFunc(walSync)
		methods.FxFileSize = cFunc(walFileSize)
		methods.FxLock = cFunc(walLock)
		methods.FxUnlock = cFunc(walUnlock)
		methods.FxCheckReservedLock = cFunc(walCheckReservedLock)
		methods.FxFileControl = cFunc(walFileControl)
		methods.FxSectorSize = cFunc(walSectorSize)
		methods.FxDeviceCharacteristics = cFunc(walDeviceCharacteristics)

		vfs := cmem[sqlite3.Tsqlite3_vfs](p)
		*vfs = *cmem[sqlite3.Tsqlite3_vfs](real)
		realSize := (uintptr(vfs.FszOsFile) + 15) &^ 15
		// A database file is the real object followed by a dbFile; a WAL
		// file is a walFile followed by the real object.
		vfs.FszOsFile = int32(realSize + max(walFileHead, unsafe.Sizeof(dbFile{})))
		vfs.FzName = name
		vfs.FpNext = 0
		vfs.FxOpen = cFunc(walOpen)
		walVFS.real, walVFS.walMethods, walVFS.dbFileOffset = real, m, realSize
		walVFS.byWALName = map[uintptr]uintptr{}
		walVFS.dbMethods = map[uintptr]uintptr{}
		if rc := sqlite3.Xsqlite3_vfs_register(tls, p, 0); rc != sqlite3.SQLITE_OK {
			walVFS.err = errors.New("sqlite: registering the WAL VFS failed")
		}
	})
	return walVFS.err
}

// walOpen opens every file through the real VFS. A database file keeps the
// real object first, with its shared-memory lock and close wrapped; a WAL
// file gets walFile in front of the real object; any other file is just
// the real one.
func walOpen(tls *libc.TLS, _ uintptr, zName uintptr, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := cCall[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32](cmem[sqlite3.Tsqlite3_vfs](walVFS.real).FxOpen)
	switch {
	case flags&sqlite3.SQLITE_OPEN_MAIN_DB != 0 && zName != 0:
		if rc := open(tls, walVFS.real, zName, pFile, flags, pOutFlags); rc != sqlite3.SQLITE_OK {
			return rc
		}
		file := cmem[sqlite3.Tsqlite3_file](pFile)
		ext := pFile + walVFS.dbFileOffset
		*cmem[dbFile](ext) = dbFile{methods: file.FpMethods}
		walVFS.mu.Lock()
		if m := wrappedDBMethods(tls, file.FpMethods); m != 0 {
			file.FpMethods = m
			walVFS.byWALName[sqlite3.Xsqlite3_filename_wal(tls, zName)] = ext
		} // else (no memory) the file stays as it is, and its WAL will not gather
		walVFS.mu.Unlock()
		return sqlite3.SQLITE_OK
	case flags&sqlite3.SQLITE_OPEN_WAL != 0:
		f := cmem[walFile](pFile)
		*f = walFile{}
		if rc := open(tls, walVFS.real, zName, pFile+walFileHead, flags, pOutFlags); rc != sqlite3.SQLITE_OK {
			return rc // f.methods stays 0: SQLite will not close what did not open
		}
		f.methods = walVFS.walMethods
		walVFS.mu.Lock()
		ext, ok := walVFS.byWALName[zName]
		walVFS.mu.Unlock()
		// Gather only when the write lock's release can be seen, and when
		// SQLite will not pad a commit to a sector boundary (it would sync
		// halfway through the padding and list frames written after it):
		// it pads unless the database file is powersafe-overwrite.
		if ok && dbCharacteristics(tls, ext)&sqlite3.SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0 {
			f.db = ext
			cmem[dbFile](ext).wal = pFile
		}
		return sqlite3.SQLITE_OK
	default:
		return open(tls, walVFS.real, zName, pFile, flags, pOutFlags)
	}
}

// wrappedDBMethods is a copy of a database file's real io methods with
// xShmLock, xShmBarrier and xClose replaced, or 0 without memory
// (walVFS.mu held).
func wrappedDBMethods(tls *libc.TLS, real uintptr) uintptr {
	if m, ok := walVFS.dbMethods[real]; ok {
		return m
	}
	m := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
	if m == 0 {
		return 0
	}
	w := cmem[sqlite3.Tsqlite3_io_methods](m)
	*w = *cmem[sqlite3.Tsqlite3_io_methods](real)
	w.FxShmLock = cFunc(dbShmLock)
	w.FxShmBarrier = cFunc(dbShmBarrier)
	w.FxClose = cFunc(dbClose)
	walVFS.dbMethods[real] = m
	return m
}

func dbCharacteristics(tls *libc.TLS, ext uintptr) int32 {
	m := cmem[sqlite3.Tsqlite3_io_methods](cmem[dbFile](ext).methods)
	return cCall[func(*libc.TLS, uintptr) int32](m.FxDeviceCharacteristics)(tls, ext-walVFS.dbFileOffset)
}

// dbShmLock: when the connection releases the WAL's write lock (offset 0),
// what its WAL still gathers was never committed (a commit writes at its
// sync): it is dropped, and a failure forgotten, before another connection
// can take the lock.
func dbShmLock(tls *libc.TLS, pFile uintptr, ofst, n, flags int32) int32 {
	e := cmem[dbFile](pFile + walVFS.dbFileOffset)
	if ofst == 0 && flags == sqlite3.SQLITE_SHM_UNLOCK|sqlite3.SQLITE_SHM_EXCLUSIVE && e.wal != 0 {
		f := cmem[walFile](e.wal)
		if f.n > 0 {
			walStats.dropped.Add(1)
		}
		f.n, f.failed, f.lostOff, f.lostEnd = 0, 0, 0, 0
	}
	m := cmem[sqlite3.Tsqlite3_io_methods](e.methods)
	return cCall[func(*libc.TLS, uintptr, int32, int32, int32) int32](m.FxShmLock)(tls, pFile, ofst, n, flags)
}

// dbShmBarrier writes what the connection's WAL gathered before SQLite
// goes on: it is called between the two copies of the WAL index header
// that publish a commit. A commit's sync has written its frames already,
// so this finds nothing to write unless the connection's synchronous
// level was changed; if the write fails, the process stops writing.
func dbShmBarrier(tls *libc.TLS, pFile uintptr) {
	e := cmem[dbFile](pFile + walVFS.dbFileOffset)
	if e.wal != 0 {
		if f := cmem[walFile](e.wal); f.n > 0 && f.flush(tls, e.wal) != sqlite3.SQLITE_OK {
			err := errors.New("writing the WAL's frames failed as a commit was published")
			walVFSFailure.CompareAndSwap(nil, &err)
		}
	}
	m := cmem[sqlite3.Tsqlite3_io_methods](e.methods)
	cCall[func(*libc.TLS, uintptr)](m.FxShmBarrier)(tls, pFile)
}

func dbClose(tls *libc.TLS, pFile uintptr) int32 {
	ext := pFile + walVFS.dbFileOffset
	walVFS.mu.Lock()
	for name, e := range walVFS.byWALName {
		if e == ext {
			delete(walVFS.byWALName, name)
		}
	}
	walVFS.mu.Unlock()
	e := cmem[dbFile](ext)
	if e.wal != 0 { // SQLite closes the WAL first; in case it did not
		cmem[walFile](e.wal).db = 0
		e.wal = 0
	}
	m := cmem[sqlite3.Tsqlite3_io_methods](e.methods)
	return cCall[func(*libc.TLS, uintptr) int32](m.FxClose)(tls, pFile)
}

// realFile is the real VFS's object and methods behind a walFile.
func realFile(pFile uintptr) (uintptr, *sqlite3.Tsqlite3_io_methods) {
	p := pFile + walFileHead
	return p, cmem[sqlite3.Tsqlite3_io_methods](cmem[sqlite3.Tsqlite3_file](p).FpMethods)
}

func realWrite(tls *libc.TLS, pFile, buf uintptr, n int32, off int64) int32 {
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxWrite)(tls, p, buf, n, off)
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
	f := cmem[walFile](pFile)
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
	f := cmem[walFile](pFile)
	if f.failed != 0 && iOfst < f.lostEnd && iOfst+int64(iAmt) > f.lostOff {
		return f.failed
	}
	if f.n > 0 && iOfst < f.off+f.n && iOfst+int64(iAmt) > f.off {
		if rc := f.flush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](m.FxRead)(tls, p, zBuf, iAmt, iOfst)
}

// walSync writes the gathered bytes; only a checkpoint's sync or a new
// WAL header's (SQLITE_SYNC_FULL) goes on to the disk here. A commit's
// sync is walSyncer's.
func walSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	f := cmem[walFile](pFile)
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
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, int32) int32](m.FxSync)(tls, p, flags&^0x0f|sqlite3.SQLITE_SYNC_NORMAL)
}

func walClose(tls *libc.TLS, pFile uintptr) int32 {
	f := cmem[walFile](pFile)
	rc := f.flush(tls, pFile)
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf, f.cap, f.n = 0, 0, 0
	}
	if f.db != 0 {
		cmem[dbFile](f.db).wal = 0
		f.db = 0
	}
	p, m := realFile(pFile)
	if rc2 := cCall[func(*libc.TLS, uintptr) int32](m.FxClose)(tls, p); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := cmem[walFile](pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, int64) int32](m.FxTruncate)(tls, p, size)
}

func walFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := cmem[walFile](pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, uintptr) int32](m.FxFileSize)(tls, p, pSize)
}

func walFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := cmem[walFile](pFile).flush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, int32, uintptr) int32](m.FxFileControl)(tls, p, op, pArg)
}

func walLock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, int32) int32](m.FxLock)(tls, p, lock)
}

func walUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, int32) int32](m.FxUnlock)(tls, p, lock)
}

func walCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr, uintptr) int32](m.FxCheckReservedLock)(tls, p, pResOut)
}

func walSectorSize(tls *libc.TLS, pFile uintptr) int32 {
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr) int32](m.FxSectorSize)(tls, p)
}

func walDeviceCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	p, m := realFile(pFile)
	return cCall[func(*libc.TLS, uintptr) int32](m.FxDeviceCharacteristics)(tls, p)
}

// cmem is the object at p in C memory (allocated by SQLite or libc, never
// by Go, so the garbage collector has no say in it).
func cmem[T any](p uintptr) *T { return (*T)(unsafe.Add(nil, p)) }

// cFunc is a Go function as the transpiled SQLite calls function pointers
// (modernc.org/sqlite does the same for its callbacks).
func cFunc[T any](f T) uintptr { return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f})) }

// cCall is the function a pointer from SQLite names, callable from Go.
func cCall[T any](fp uintptr) T { return *(*T)(unsafe.Pointer(&fp)) }
