package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Tx is one write operation's view of a batch transaction. Operations only
// touch the database through it, and record history with Event.
type Tx struct {
	s       *Store
	sqlTx   *sql.Tx
	ctx     context.Context
	events  []kefu.Event
	after   []func()
	result  any
	fts     *ftsBatch    // shared by the batch's operations
	appends *appendBatch // shared by the batch's operations
	idem    *idemBatch   // shared by the batch's operations (PostgreSQL)
	nums    numberBatch  // shared by the batch's operations (SQLite)
	stmts   txStmts      // shared by the batch's operations (SQLite)
	op      int          // this operation's place in the batch
	self    *writeOp     // the operation this runs
	nth     int          // how many of self.numbers this run has used (PostgreSQL; see nextTicketNumber)
}

// SetResult names what the operation produced. When the request carries an
// Idempotency-Key, this value is saved with the key in the same transaction.
func (tx *Tx) SetResult(v any) { tx.result = v }

// IdemSlot asks the writer to save the result of the write it travels with
// (through the context) under an Idempotency-Key, atomically with the write.
type IdemSlot struct {
	TenantID, Principal, Key, RequestHash string
	Status                                int
}

type idemCtxKey struct{}

// WithIdempotency attaches a slot to ctx for the next write made with it.
func WithIdempotency(ctx context.Context, slot *IdemSlot) context.Context {
	return context.WithValue(ctx, idemCtxKey{}, slot)
}

// WithoutIdempotency is ctx for a write that must not take the request's
// Idempotency-Key: a first write of a request that makes two (the key
// belongs to the last, which carries the response).
func WithoutIdempotency(ctx context.Context) context.Context {
	return context.WithValue(ctx, idemCtxKey{}, (*IdemSlot)(nil))
}

// Actor says who makes a change, for the history.
type Actor struct {
	ID   string // user or customer id; "" for the system
	Kind string // user, customer, system, token
}

// System is the actor for changes kefu makes by itself.
var System = Actor{Kind: "system"}

// Event appends one entry to the history and queues webhook deliveries for
// it, in the same transaction as the change it describes.
func (tx *Tx) Event(tenantID string, a Actor, typ, entityKind, entityID, ticketID string, before, after any) error {
	e := kefu.Event{ID: newID(), At: tx.s.Now(), ActorID: a.ID, ActorKind: a.Kind, Type: typ,
		EntityKind: entityKind, EntityID: entityID, TicketID: ticketID, TenantID: tenantID}
	var err error
	if before != nil {
		if e.Before, err = marshal(before); err != nil {
			return kefu.Internal(err)
		}
	}
	if after != nil {
		if e.After, err = marshal(after); err != nil {
			return kefu.Internal(err)
		}
	}
	if err := tx.insertLater("events", "id, tenant_id, at, actor_id, actor_kind, type, entity_kind, entity_id, ticket_id, before, after",
		e.ID, tenantID, us(e.At), e.ActorID, e.ActorKind, e.Type, e.EntityKind, e.EntityID, e.TicketID, nullJSON(e.Before), nullJSON(e.After)); err != nil {
		return err
	}
	if err := tx.s.enqueueDeliveries(tx, e); err != nil {
		return err
	}
	tx.events = append(tx.events, e)
	return nil
}

// marshal is json.Marshal, except that JSON an operation encoded already
// (json.RawMessage: typically the same value is its event's data and its
// saved Idempotency-Key result) is taken as it is, not compacted again.
func marshal(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

// AfterCommit runs f once the batch holding this operation has committed,
// before the next batch runs. On SQLite that may be just before the batch
// is durable (walsync.go): f is for caches and wake-ups, not for effects
// outside kefu, which read what they act on and wait for Store.durable.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

func nullJSON(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// NewID makes a time-ordered id (UUIDv7) for any row.
func NewID() string { return newID() }

// writer commits operations in batches (group commit): while one batch is
// being committed, the next one gathers, so one fsync acknowledges many
// requests without loosening durability.
type writer struct {
	batches  atomic.Uint64
	done     atomic.Uint64
	s        *Store
	ops      chan *writeOp   // any writer may take these
	keyed    []chan *writeOp // writes about one ticket go to one writer
	maxBatch int
	unsynced chan struct{} // SQLite: closed once the last committed batch is durable
	wg       sync.WaitGroup
	once     sync.Once
}

type writeOp struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
	tx   *Tx
	// careful: the operation runs alone after its batch's queued rows were
	// refused, and writes what may conflict at once (see insertFirst).
	careful bool
	numbers []takenNumber // the ticket numbers it was given (PostgreSQL; see nextTicketNumber)
	touch   *ticketTouch  // a message's count on its ticket (made with the batch's leading ones, or by the operation)
}

func newWriter(s *Store, n, maxBatch int) *writer {
	w := &writer{s: s, ops: make(chan *writeOp, 4096), maxBatch: maxBatch}
	for i := 0; i < n; i++ {
		w.keyed = append(w.keyed, make(chan *writeOp, 1024))
	}
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go w.loop(w.keyed[i])
	}
	return w
}

func (w *writer) stop() {
	w.once.Do(func() {
		close(w.ops)
		for _, c := range w.keyed {
			close(c)
		}
	})
	w.wg.Wait()
}

// loop gathers a batch from the shared queue and this writer's own queue
// and commits it, until both are closed and drained.
func (w *writer) loop(own chan *writeOp) {
	defer w.wg.Done()
	var l *lane
	if w.s.dialect == Postgres {
		l = &lane{}
		defer l.drop()
	}
	shared := w.ops
	batch := make([]*writeOp, 0, w.maxBatch)
	for shared != nil || own != nil {
		var op *writeOp
		var ok bool
		select {
		case op, ok = <-shared:
			if !ok {
				shared = nil
				continue
			}
		case op, ok = <-own:
			if !ok {
				own = nil
				continue
			}
		}
		batch = append(batch[:0], op)
	gather:
		for len(batch) < w.maxBatch {
			select {
			case more, ok := <-own:
				if !ok {
					own = nil
					break gather
				}
				batch = append(batch, more)
			case more, ok := <-shared:
				if !ok {
					shared = nil
					break gather
				}
				batch = append(batch, more)
			default:
				break gather
			}
		}
		w.commit(batch, l)
	}
}

// lane is a PostgreSQL writer's own connection. pgx prepares each
// statement text once per connection, and a batch's flush has a text per
// mix of rows: through the shared pool a text was parsed again on each of
// its twenty connections; pinned, on each of the writers' (server log of
// 4,500 creates: 847 of 2,019 flushes parsed their text, then 483 of 1,896).
type lane struct{ conn *sql.Conn }

func (l *lane) drop() {
	if l != nil && l.conn != nil {
		l.conn.Close() // back to the pool, which discards it if broken
		l.conn = nil
	}
}

// begin starts a batch's transaction, on the lane's connection if any.
// A pinned connection may have died since its last batch, and the pool's
// idle ones with it (a database restart ends them all): while BEGIN fails,
// the connection is dropped (the pool discards a broken one) and the next
// taken, at most once for every connection the pool may hold. BEGIN
// changes nothing, so trying again is safe.
func (w *writer) begin(l *lane) (*sql.Tx, error) {
	if l == nil {
		return w.s.wdb.BeginTx(context.Background(), nil)
	}
	for tries := 1; ; tries++ {
		if l.conn == nil {
			c, err := w.s.wdb.Conn(context.Background())
			if err != nil {
				return nil, err
			}
			l.conn = c
		}
		tx, err := l.conn.BeginTx(context.Background(), nil)
		if err == nil {
			return tx, nil
		}
		l.drop()
		if tries > w.s.wdb.Stats().MaxOpenConnections {
			return nil, err
		}
	}
}

// commit runs the batch in one transaction. An operation that fails is
// dropped and the rest re-run from the start, so one bad request never
// takes others down with it and never leaves half a write behind.
func (w *writer) commit(batch []*writeOp, l *lane) {
	live := make([]*writeOp, 0, len(batch))
	var stopped error
	if w.s.walSync != nil {
		stopped = w.s.walSync.err()
	}
	for _, op := range batch {
		if stopped != nil {
			op.done <- stopped
			continue
		}
		if op.ctx.Err() != nil {
			op.done <- op.ctx.Err()
			continue
		}
		live = append(live, op)
	}
	for len(live) > 0 {
		failed, err := w.try(live, l)
		for attempt := 0; err != nil && isRetryable(err) && attempt < 8; attempt++ {
			// Deadlock or serialization failure: nobody's fault, run again,
			// after a short random pause so the two sides do not meet again.
			time.Sleep(time.Duration(1+attempt) * time.Duration(2+rand.IntN(8)) * time.Millisecond)
			failed, err = w.try(live, l)
		}
		if err == nil {
			// Caches are forgotten at once, before the next batch reads
			// them; answers and events wait for the batch to be durable.
			for _, op := range live {
				for _, f := range op.tx.after {
					f()
				}
			}
			if w.s.walSync == nil {
				w.acknowledge(live, nil)
				return
			}
			synced := make(chan struct{})
			if !w.s.walSync.after(func(err error) { w.acknowledge(live, err); close(synced) }) {
				// Not while the writer runs (Close stops it first); if ever,
				// sync here rather than answer what may not be on disk.
				w.acknowledge(live, w.s.walSync.sync())
				close(synced)
			}
			// One batch's fsync overlaps the next batch's work, not more:
			// before gathering again, wait for the batch before this one.
			// Requests arriving meanwhile join the next batch, which keeps
			// batches large (a free-running writer committed batches of 4
			// instead of 15 and spent the saved time on per-commit work).
			if w.unsynced != nil {
				<-w.unsynced
			}
			w.unsynced = synced
			w.s.checkpoints.catchUp(w.s.wdb)
			return
		}
		if failed < 0 && (len(live) > 1 || !live[0].careful) && isDataError(err) {
			// The batch's queued rows were refused (the rows of all go in one
			// statement): nothing was written, so each runs alone, carefully,
			// and only the one at fault fails. A new customer's identity that
			// somebody took meanwhile is found taken and looked up instead.
			for _, op := range live {
				op.careful = true
				w.commit([]*writeOp{op}, l)
			}
			return
		}
		if failed < 0 { // begin, flush or commit failed: nobody's write happened
			for _, op := range live {
				w.answer(op, err)
			}
			return
		}
		w.answer(live[failed], err)
		live = append(live[:failed], live[failed+1:]...)
	}
}

// acknowledge answers a committed batch once it is durable and publishes
// its events. err is a failed sync of the committed batch (SQLite): its
// requests are told, and nothing is published of what may not be on disk.
func (w *writer) acknowledge(live []*writeOp, err error) {
	if err != nil {
		for _, op := range live {
			op.done <- err
		}
		return
	}
	for _, op := range live {
		op.done <- nil
	}
	var evs []kefu.Event
	for _, op := range live {
		evs = append(evs, op.tx.events...)
	}
	w.batches.Add(1)
	w.done.Add(uint64(len(live)))
	w.s.publish(evs)
}

// answer tells an operation that failed. On SQLite the answer waits, in
// order, for the batches committed before it to be durable: the failure may
// come from their rows (a key taken, a state changed), and what the caller
// does next (replay a saved response) must not rest on rows a power loss
// could still take back.
func (w *writer) answer(op *writeOp, err error) {
	if w.s.walSync == nil || !w.s.walSync.after(func(error) { op.done <- err }) {
		op.done <- err
	}
}

// try returns the index of the failing op and its error, or -1 and the error
// when the transaction itself failed.
func (w *writer) try(ops []*writeOp, l *lane) (int, error) {
	sqlTx, err := w.begin(l)
	if err != nil {
		return -1, kefu.Internal(fmt.Errorf("begin: %w", err))
	}
	if w.s.dialect == Postgres {
		if err := touchTickets(sqlTx, w.s, ops); err != nil {
			sqlTx.Rollback()
			return -1, err
		}
	}
	fts, appends, idem, nums, stmts := &ftsBatch{}, &appendBatch{}, &idemBatch{}, numberBatch{}, txStmts{}
	for i, op := range ops {
		op.tx = &Tx{s: w.s, sqlTx: sqlTx, ctx: context.WithoutCancel(op.ctx), fts: fts, appends: appends, idem: idem, nums: nums, stmts: stmts, op: i, self: op}
		err := runOp(op)
		if err == nil {
			err = saveIdempotent(op)
		}
		if appends.failed != nil { // earlier operations' queued rows, not this one's fault
			sqlTx.Rollback()
			return -1, appends.failed
		}
		if err != nil {
			sqlTx.Rollback()
			return i, err
		}
	}
	last := ops[len(ops)-1].tx
	if len(fts.order) > 0 {
		if err := fts.flush(last); err != nil {
			sqlTx.Rollback()
			return -1, err
		}
	}
	if err := nums.flush(last); err != nil {
		sqlTx.Rollback()
		return -1, err
	}
	if lost, err := flushBatch(last, appends, idem); err != nil {
		sqlTx.Rollback()
		return lost, err
	}
	if err := sqlTx.Commit(); err != nil {
		return -1, kefu.Internal(fmt.Errorf("commit: %w", err))
	}
	return -1, nil
}

// errRace marks an operation that lost a race with another writer (a unique
// key taken meanwhile); the batch runs again and the operation sees the
// winner's row.
var errRace = kefu.Conflict("write_race", "lost a race with a concurrent write; try again")

func isConflict(err error, code string) bool {
	var e *kefu.Error
	return errors.As(err, &e) && e.Code == code
}

// isRetryable recognises PostgreSQL deadlock and serialization failures and
// SQLite's busy answers, which a re-run of the same batch resolves.
func isRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errRace) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 40P01") || strings.Contains(msg, "SQLSTATE 40001") ||
		strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

// isDataError recognises PostgreSQL's refusal of a value (data exception,
// class 22) or of a constraint (class 23): the statement wrote nothing.
func isDataError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 22") || strings.Contains(msg, "SQLSTATE 23")
}

func saveIdempotent(op *writeOp) error {
	slot, ok := op.ctx.Value(idemCtxKey{}).(*IdemSlot)
	if !ok || slot == nil || op.tx.result == nil {
		return nil
	}
	body, err := marshal(op.tx.result)
	if err != nil {
		return kefu.Internal(err)
	}
	return op.tx.SaveIdempotent(slot.TenantID, slot.Principal, slot.Key, Saved{RequestHash: slot.RequestHash, Status: slot.Status, Body: body})
}

func runOp(op *writeOp) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = kefu.Internal(fmt.Errorf("panic in write: %v", r))
		}
	}()
	return op.fn(op.tx)
}

// WriteStats counts committed batches and operations since start; ops per
// batch is the group-commit factor.
type WriteStats struct {
	Batches, Ops uint64
	// SearchPendingMerged counts the pages of the search indexes' pending
	// lists merged in the background (PostgreSQL; see statsKeeper).
	SearchPendingMerged uint64
}

// WriteStats reports the writer's counters.
func (s *Store) WriteStats() WriteStats {
	ws := WriteStats{Batches: s.writer.batches.Load(), Ops: s.writer.done.Load()}
	if s.stats != nil {
		ws.SearchPendingMerged = s.stats.ginPages.Load()
	}
	return ws
}

// Write runs fn inside a batched transaction and returns once it is durably
// committed (or failed, with nothing of it written). fn may run more than
// once if another operation in its batch fails, so it must not have side
// effects outside tx (use tx.AfterCommit).
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	return s.write(ctx, s.writer.ops, fn)
}

// WriteAbout is Write for a change to one ticket (or other row named by
// key): all writes about the same key go to the same writer, so two
// PostgreSQL writers never lock the same rows in opposite orders (which
// PostgreSQL only resolves after deadlock_timeout, a second by default).
func (s *Store) WriteAbout(ctx context.Context, key string, fn func(*Tx) error) error {
	return s.writeAbout(ctx, key, nil, fn)
}

// writeAbout is WriteAbout with the ticket touch the operation begins with,
// if any (see ticketTouch).
func (s *Store) writeAbout(ctx context.Context, key string, touch *ticketTouch, fn func(*Tx) error) error {
	h := fnv.New32a()
	h.Write([]byte(key))
	return s.enqueue(ctx, s.writer.keyed[int(h.Sum32()%uint32(len(s.writer.keyed)))], &writeOp{fn: fn, touch: touch})
}

func (s *Store) write(ctx context.Context, queue chan *writeOp, fn func(*Tx) error) error {
	return s.enqueue(ctx, queue, &writeOp{fn: fn})
}

// enqueue hands op to a writer through queue and waits for its answer.
func (s *Store) enqueue(ctx context.Context, queue chan *writeOp, op *writeOp) error {
	op.ctx, op.done = ctx, make(chan error, 1)
	select {
	case queue <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the op will be answered; wait for it even if ctx ends, so
	// the caller never reports failure for a write that then commits.
	return <-op.done
}
