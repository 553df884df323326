package store

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// When a B-tree page splits, SQLite puts the new pages in file order by
// swapping page numbers through a temporary one: the page that holds the
// pending byte (1 GiB / page size + 1), which never holds data. Its page
// cache (pcache1) remembers the highest page number it was ever given
// until the next truncate, and every commit truncates the cache to the
// database's size: with that number far above the size, the truncate
// walks every chain of the cache's hash table instead of the few slots
// past the end. Under the create load that walk was 5 % of the server's
// CPU, all of it in the single writer at each commit (docs/benchmarks.md).
//
// kefu therefore wraps pcache1's rekey: a page moved to that temporary
// number is filed under 0 instead, a number no page ever has, and moved
// back from there, so the highest number stays the database's size.
// SQLite itself still sees the number it asked for; the three moves of a
// swap follow each other with nothing in between that could look the
// page up. Everything else goes straight to pcache1.
//
// SQLite takes a page cache only before it is initialised, so this runs
// at package init, before any connection exists.
var pageCacheKeys struct {
	real      sqlite3.Tsqlite3_pcache_methods2
	installed bool
	temporary sync.Map     // uintptr (a cache) → uint32 (its temporary page number)
	moved     atomic.Int64 // pages filed under 0 (for tests)
}

// sqlitePendingByte is SQLite's PENDING_BYTE, the first byte of the page
// it never uses (sqlite3PendingByte, changed only by its own test suite).
const sqlitePendingByte = 0x40000000

func init() { installPageCacheKeys() }

func installPageCacheKeys() {
	tls := libc.NewTLS()
	defer tls.Close()
	methods := libc.Xcalloc(tls, 1, types.Size_t(unsafe.Sizeof(sqlite3.Tsqlite3_pcache_methods2{})))
	va := libc.Xmalloc(tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	defer libc.Xfree(tls, methods)
	defer libc.Xfree(tls, va)
	if methods == 0 || va == 0 {
		return
	}
	if sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_GETPCACHE2, libc.VaList(va, methods)) != sqlite3.SQLITE_OK {
		return // SQLite is already initialised; pcache1 stays as it is
	}
	m := cmem[sqlite3.Tsqlite3_pcache_methods2](methods)
	if m.FxCreate == 0 || m.FxRekey == 0 || m.FxDestroy == 0 {
		return
	}
	pageCacheKeys.real = *m
	m.FxCreate = cFunc(pcacheCreate)
	m.FxRekey = cFunc(pcacheRekey)
	m.FxDestroy = cFunc(pcacheDestroy)
	// SQLite copies the methods; the C struct may go after this call.
	if sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PCACHE2, libc.VaList(va, methods)) == sqlite3.SQLITE_OK {
		pageCacheKeys.installed = true
	}
}

func pcacheCreate(tls *libc.TLS, szPage, szExtra, bPurgeable int32) uintptr {
	p := cCall[func(*libc.TLS, int32, int32, int32) uintptr](pageCacheKeys.real.FxCreate)(tls, szPage, szExtra, bPurgeable)
	if p != 0 && szPage > 0 {
		pageCacheKeys.temporary.Store(p, uint32(sqlitePendingByte/szPage+1))
	}
	return p
}

func pcacheRekey(tls *libc.TLS, p, pPg uintptr, iOld, iNew uint32) {
	if k, ok := pageCacheKeys.temporary.Load(p); ok {
		switch k.(uint32) {
		case iNew:
			iNew = 0
			pageCacheKeys.moved.Add(1)
		case iOld:
			iOld = 0
		}
	}
	cCall[func(*libc.TLS, uintptr, uintptr, uint32, uint32)](pageCacheKeys.real.FxRekey)(tls, p, pPg, iOld, iNew)
}

func pcacheDestroy(tls *libc.TLS, p uintptr) {
	pageCacheKeys.temporary.Delete(p)
	cCall[func(*libc.TLS, uintptr)](pageCacheKeys.real.FxDestroy)(tls, p)
}
