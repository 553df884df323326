package store

import (
	"encoding/json"

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

// stored is what a customers row keeps in its search column (a ticket's
// is always empty: see index). PostgreSQL's search index is built on the
// column. SQLite's FTS5 tables hold the terms themselves and nothing reads
// the column there (a row is re-indexed from its fields and messages), so
// it stays empty instead of repeating up to 8 KB of terms per row: a long
// text would otherwise be stored twice more, once as terms in the row and
// once in the index.
func (tx *Tx) stored(doc string) string {
	if tx.s.dialect == SQLite {
		return ""
	}
	return doc
}

// index records the search text of a tickets or customers row. replace
// removes the row's previous text (it may have been indexed by an earlier batch).
func (tx *Tx) index(table, tenantID, id, doc string, replace bool) error {
	if tx.s.dialect != SQLite {
		if table != "tickets" {
			return nil // PostgreSQL indexes the row's search column itself
		}
		// A ticket's terms live beside it (migration 0008_ticket_terms).
		if replace {
			_, err := tx.exec(`UPDATE ticket_terms SET search = $2 WHERE id = $1`, id, doc)
			return kefu.InternalOrNil(err)
		}
		return tx.insertLater("ticket_terms", "id, tenant_id, search", id, tenantID, doc)
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

// flush writes the gathered rows, one statement per table. The documents
// travel as one JSON array, so the statement's text is the same for every
// batch and stays prepared: a multi-row VALUES list, a new text for each
// batch size, was parsed afresh each time (a third of the flush, ~380 µs a
// batch under load). One statement it stays: FTS5 writes a segment at
// every statement that writes it.
func (b *ftsBatch) flush(tx *Tx) error {
	for _, table := range []string{"tickets", "customers"} {
		var rows [][2]string
		for _, k := range b.order {
			if k.table == table {
				rows = append(rows, [2]string{k.id, b.docs[k]})
			}
		}
		if len(rows) == 0 {
			continue
		}
		docs, err := json.Marshal(rows)
		if err != nil {
			return kefu.Internal(err)
		}
		if _, err := tx.exec(`INSERT INTO `+table+`_fts (rowid, search) SELECT t.rowid, d.value ->> 1 FROM json_each($1) d JOIN `+
			table+` t ON t.id = d.value ->> 0`, string(docs)); err != nil {
			return kefu.Internal(err)
		}
	}
	return nil
}
