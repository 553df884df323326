package store

import (
	"context"
	"sync"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Ticket numbers are per tenant and human-facing (#10234). SQLite has one
// writer, so the counter is bumped inside the write and numbers are dense.
// PostgreSQL runs several writers and nodes; bumping one row inside every
// batch would serialize them, so each node takes a block of numbers in its
// own short transaction and hands them out from memory. A crash leaves a
// gap, never a duplicate.
type numberBlocks struct {
	mu   sync.Mutex
	next map[string]*block
}

type block struct{ next, end int64 }

const numberBlockSize = 64

func (tx *Tx) nextTicketNumber(tenantID string) (int64, error) {
	s := tx.s
	if s.dialect == SQLite {
		var n int64
		err := tx.queryRow(`INSERT INTO counters (tenant_id, name, value) VALUES ($1, 'ticket', 1)
			ON CONFLICT (tenant_id, name) DO UPDATE SET value = counters.value + 1 RETURNING value`, tenantID).Scan(&n)
		return n, kefu.InternalOrNil(err)
	}
	s.numbers.mu.Lock()
	defer s.numbers.mu.Unlock()
	b := s.numbers.next[tenantID]
	if b == nil || b.next > b.end {
		var end int64
		err := s.db.QueryRowContext(context.WithoutCancel(tx.ctx), `INSERT INTO counters (tenant_id, name, value) VALUES ($1, 'ticket', $2)
			ON CONFLICT (tenant_id, name) DO UPDATE SET value = counters.value + $2 RETURNING value`, tenantID, numberBlockSize).Scan(&end)
		if err != nil {
			return 0, kefu.Internal(err)
		}
		b = &block{next: end - numberBlockSize + 1, end: end}
		s.numbers.next[tenantID] = b
	}
	n := b.next
	b.next++
	return n, nil
}
