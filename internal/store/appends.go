package store

import (
	"strings"

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
	order  []string
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
		ph := make([]string, len(vals))
		for i := range vals {
			ph[i] = placeholder(i + 1)
		}
		_, err := tx.exec("INSERT INTO "+table+" ("+cols+") VALUES ("+strings.Join(ph, ", ")+")", vals...)
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
		b.order = append(b.order, table)
	}
	t.rows = append(t.rows, vals)
	return nil
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
			for i, row := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteByte('(')
				for j, v := range row {
					if j > 0 {
						q.WriteString(", ")
					}
					args = append(args, v)
					q.WriteString(placeholder(len(args)))
				}
				q.WriteByte(')')
			}
			if _, err := tx.sqlTx.ExecContext(tx.ctx, q.String(), args...); err != nil {
				return kefu.Internal(err)
			}
		}
	}
	b.tables, b.order = nil, nil
	return nil
}
