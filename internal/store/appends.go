package store

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Rows that are only ever appended and never read back inside a write
// (events, contacts, messages, webhook deliveries) are, on PostgreSQL,
// gathered per batch and written with one multi-row INSERT per table just
// before the commit: every statement there is a round trip. SQLite has no
// round trips, and a prepared single-row INSERT beats parsing a fresh
// multi-row one (measured: a third of the batch time), so there the row is
// written at once. Same transaction, same durability either way.
type appendBatch struct {
	tables map[string]*appendTable
	order  []string // tables that others refer to first (see referenced)
	// parents counts queued rows that a later statement of the batch may
	// refer to or read (insertFirst); Tx.ready writes them before it.
	parents int
	// failed is an error of writing the queue before another statement:
	// it belongs to the batch, not to the operation that ran that statement.
	failed error
	// tiers holds the tier of each customer this batch created, found or
	// changed, as the batch sees it (sawTier): an SLA policy may need it
	// before a new customer is written (slaPolicy), and routing after.
	tiers map[string]string
}

type appendTable struct {
	cols string
	n    int
	rows [][]any
}

// insertLater queues one row of table; cols must be the same for every
// row of a table.
func (tx *Tx) insertLater(table, cols string, vals ...any) error {
	if tx.s.dialect == SQLite {
		_, err := tx.exec(insertSQL(table, cols, len(vals)), vals...)
		return kefu.InternalOrNil(err)
	}
	b := tx.appends
	if b.tables == nil {
		b.tables = map[string]*appendTable{}
	}
	t := b.tables[table]
	if t == nil {
		t = &appendTable{cols: cols, n: len(vals)}
		b.tables[table] = t
		// Parents before children, for a flush that takes a statement
		// per table (one statement checks its foreign keys at its end).
		at := len(b.order)
		for at > 0 && tableRank(b.order[at-1]) > tableRank(table) {
			at--
		}
		b.order = slices.Insert(b.order, at, table)
	}
	t.rows = append(t.rows, vals)
	return nil
}

// referenced ranks the tables whose queued rows other rows refer to.
var referenced = map[string]int{"customers": 1, "customer_identities": 2, "tickets": 3}

func tableRank(table string) int {
	if r, ok := referenced[table]; ok {
		return r
	}
	return len(referenced) + 1
}

// insertFirst queues a new row that later statements of the batch may
// refer to or read: a new customer, its identities, a new ticket, its SLA
// targets. On
// PostgreSQL it waits with the appended rows, so that a batch of new
// tickets is written with one statement instead of two or three round
// trips per ticket; any other statement of the batch writes the queue
// first (Tx.ready), so it sees the rows as if they had been written at once.
// SQLite writes the row at once.
func (tx *Tx) insertFirst(table, cols string, vals ...any) error {
	if err := tx.insertLater(table, cols, vals...); err != nil {
		return err
	}
	if tx.s.dialect != SQLite {
		tx.appends.parents++
	}
	return nil
}

// ready writes the queued rows that the statement about to run may refer
// to or read. A failure is the batch's (see appendBatch.failed); the
// statement then fails on the aborted transaction.
func (tx *Tx) ready() {
	b := tx.appends
	if b == nil || b.parents == 0 || b.failed != nil {
		return
	}
	if _, err := flushBatch(tx, b, &idemBatch{}); err != nil {
		b.failed = err
	}
}

// insertSQLs holds the single-row INSERT of each appended table (a handful),
// by table and columns: a key made without building a string, as this
// runs for every event, message and contact.
var insertSQLs sync.Map

type insertKey struct{ table, cols string }

func insertSQL(table, cols string, n int) string {
	k := insertKey{table, cols}
	if q, ok := insertSQLs.Load(k); ok {
		return q.(string)
	}
	ph := make([]string, n)
	for i := range ph {
		ph[i] = placeholder(i + 1)
	}
	q := "INSERT INTO " + table + " (" + cols + ") VALUES (" + strings.Join(ph, ", ") + ")"
	insertSQLs.Store(k, q)
	return q
}

// flushAppends writes the queued rows now; an operation calls it before it
// reads or changes rows of those tables.
func (tx *Tx) flushAppends() error { return tx.appends.flush(tx) }

// maxParams stays under SQLite's and PostgreSQL's bind-parameter limits.
const maxParams = 30000

func (b *appendBatch) flush(tx *Tx) error {
	for _, name := range b.order {
		t := b.tables[name]
		per := maxParams / t.n
		for len(t.rows) > 0 {
			chunk := t.rows
			if len(chunk) > per {
				chunk = chunk[:per]
			}
			t.rows = t.rows[len(chunk):]
			var q strings.Builder
			q.WriteString("INSERT INTO " + name + " (" + t.cols + ") VALUES ")
			args := make([]any, 0, len(chunk)*t.n)
			writeValues(&q, &args, chunk)
			if _, err := tx.sqlTx.ExecContext(tx.ctx, q.String(), args...); err != nil {
				return kefu.Internal(err)
			}
		}
	}
	b.tables, b.order, b.parents = nil, nil, 0
	return nil
}

// writeValues appends "($n, …), (…)" for rows to q, and their values to args.
func writeValues(q *strings.Builder, args *[]any, rows [][]any) {
	for i, row := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		writeTuple(q, args, row)
	}
}

// flushBatch writes what a batch gathered, just before its commit. On
// PostgreSQL every table's rows and the Idempotency-Keys go in one
// statement (data-modifying CTEs, each INSERT runs whether or not it is
// referenced): one round trip per batch instead of one per table. lost is
// as for idemBatch.flush.
func flushBatch(tx *Tx, b *appendBatch, idem *idemBatch) (lost int, err error) {
	n := len(idem.rows) * idemCols
	for _, t := range b.tables {
		n += len(t.rows) * t.n
	}
	if n == 0 {
		return -1, nil
	}
	if n > maxParams { // a very large batch: a statement per table (and chunk)
		if err := b.flush(tx); err != nil {
			return -1, err
		}
		return idem.flush(tx)
	}
	var q strings.Builder
	args := make([]any, 0, n)
	last := len(b.order) - 1
	if len(idem.rows) > 0 {
		last = len(b.order)
	}
	for i, name := range b.order {
		t := b.tables[name]
		if i < last {
			if i == 0 {
				q.WriteString("WITH ")
			} else {
				q.WriteString(", ")
			}
			q.WriteString("a" + strconv.Itoa(i) + " AS (")
		}
		q.WriteString("INSERT INTO " + name + " (" + t.cols + ") VALUES ")
		writeValues(&q, &args, t.rows)
		if i < last {
			q.WriteString(") ")
		}
	}
	b.tables, b.order, b.parents = nil, nil, 0
	if len(idem.rows) == 0 {
		_, err := tx.sqlTx.ExecContext(tx.ctx, q.String(), args...)
		return -1, kefu.InternalOrNil(err)
	}
	return idem.insert(tx, &q, args)
}
