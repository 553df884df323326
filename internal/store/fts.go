package store

import (
	"strings"

	"github.com/kefu-project/kefu/internal/kefu"
)

// SQLite FTS5 flushes its pending terms at every statement that writes it,
// so one INSERT per ticket leaves a trail of tiny segments to merge. The
// rows a batch indexes are gathered here and written in one statement per
// table just before the batch commits: same transaction, far less work.
type ftsBatch struct {
	docs  map[ftsKey]string
	order []ftsKey
}

type ftsKey struct{ table, id string }

// index records the search text of a tickets or customers row. replace
// removes the row's previous text (it may have been indexed by an earlier batch).
func (tx *Tx) index(table, tenantID, id, doc string, replace bool) error {
	if tx.s.dialect != SQLite {
		return nil // PostgreSQL indexes the search column itself
	}
	b := tx.fts
	k := ftsKey{table, id}
	doc = tenantTerm(tenantID) + " " + doc
	if _, pending := b.docs[k]; pending {
		b.docs[k] = doc
		return nil
	}
	if replace {
		if _, err := tx.exec(`DELETE FROM `+table+`_fts WHERE rowid = (SELECT rowid FROM `+table+` WHERE id = $1)`, id); err != nil {
			return kefu.Internal(err)
		}
	}
	if b.docs == nil {
		b.docs = map[ftsKey]string{}
	}
	b.docs[k] = doc
	b.order = append(b.order, k)
	return nil
}

const ftsChunk = 200

// flush writes the gathered rows, a chunk per statement.
func (b *ftsBatch) flush(tx *Tx) error {
	for _, table := range []string{"tickets", "customers"} {
		var args []any
		var vals strings.Builder
		n := 0
		write := func() error {
			if n == 0 {
				return nil
			}
			_, err := tx.sqlTx.ExecContext(tx.ctx, `INSERT INTO `+table+`_fts (rowid, search) SELECT t.rowid, v.column2 FROM (VALUES `+
				vals.String()+`) v JOIN `+table+` t ON t.id = v.column1`, args...)
			args, n = args[:0], 0
			vals.Reset()
			return err
		}
		for _, k := range b.order {
			if k.table != table {
				continue
			}
			if n > 0 {
				vals.WriteString(", ")
			}
			writeTuple(&vals, &args, []string{k.id, b.docs[k]})
			n++
			if n == ftsChunk {
				if err := write(); err != nil {
					return kefu.Internal(err)
				}
			}
		}
		if err := write(); err != nil {
			return kefu.Internal(err)
		}
	}
	return nil
}
