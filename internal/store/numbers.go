package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Ticket numbers are per tenant and human-facing (#10234). SQLite has one
// writer, so the counter is bumped inside the write and numbers are dense:
// read once per batch, counted in memory, and written back once before the
// commit (a batch that runs again starts from the stored value again).
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
		n, ok := tx.nums[tenantID]
		if !ok {
			err := tx.queryRow(`SELECT value FROM counters WHERE tenant_id = $1 AND name = 'ticket'`, tenantID).Scan(&n)
			if err != nil && err != sql.ErrNoRows {
				return 0, kefu.Internal(err)
			}
		}
		n++
		tx.nums[tenantID] = n
		return n, nil
	}
	// A batch that runs again gives its operations the numbers they had:
	// nothing of the first run was written, and nothing else has them.
	op := tx.self
	if tx.nth < len(op.numbers) && op.numbers[tx.nth].tenantID == tenantID {
		tx.nth++
		return op.numbers[tx.nth-1].n, nil
	}
	n, err := s.takeTicketNumber(tx.ctx, tenantID)
	if err == nil {
		op.numbers = append(op.numbers[:tx.nth], takenNumber{tenantID, n})
		tx.nth++
	}
	return n, err
}

// takenNumber is a ticket number an operation was given (PostgreSQL).
type takenNumber struct {
	tenantID string
	n        int64
}

// takeTicketNumber hands out the node's next number for the tenant.
func (s *Store) takeTicketNumber(ctx context.Context, tenantID string) (int64, error) {
	s.numbers.mu.Lock()
	defer s.numbers.mu.Unlock()
	b := s.numbers.next[tenantID]
	if b == nil || b.next > b.end {
		var end int64
		err := s.db.QueryRowContext(context.WithoutCancel(ctx), `INSERT INTO counters (tenant_id, name, value) VALUES ($1, 'ticket', $2)
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

// numberBatch is a SQLite batch's last ticket number per tenant.
type numberBatch map[string]int64

func (b numberBatch) flush(tx *Tx) error {
	for tenantID, n := range b {
		if _, err := tx.exec(`INSERT INTO counters (tenant_id, name, value) VALUES ($1, 'ticket', $2)
			ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value`, tenantID, n); err != nil {
			return kefu.Internal(err)
		}
	}
	return nil
}
