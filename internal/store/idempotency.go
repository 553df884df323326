package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Saved is a response kept for an Idempotency-Key.
type Saved struct {
	RequestHash string
	Status      int
	Body        []byte
}

// Idempotent looks up a saved response for (tenant, principal, key).
func (s *Store) Idempotent(ctx context.Context, tenantID, principal, key string) (*Saved, error) {
	var sv Saved
	err := s.db.QueryRowContext(ctx, `SELECT request_hash, status, body FROM idempotency WHERE tenant_id = $1 AND principal = $2 AND key = $3`,
		tenantID, principal, key).Scan(&sv.RequestHash, &sv.Status, &sv.Body)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, kefu.Internal(err)
	}
	// The saved response is answered again: the write it belongs to must
	// be durable first, not merely visible.
	if err := s.durable(ctx); err != nil {
		return nil, err
	}
	return &sv, nil
}

// SaveIdempotent stores the response of a request inside the same write as
// its effects, so a retry finds either both or neither. A concurrent twin
// loses on the primary key and the caller replays the winner's response.
func (tx *Tx) SaveIdempotent(tenantID, principal, key string, sv Saved) error {
	if tx.s.dialect == Postgres && tx.idem != nil {
		return tx.idem.add(tx.op, []any{tenantID, principal, key, sv.RequestHash, sv.Status, sv.Body, us(tx.s.Now())})
	}
	_, err := tx.exec(`INSERT INTO idempotency (tenant_id, principal, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tenantID, principal, key, sv.RequestHash, sv.Status, sv.Body, us(tx.s.Now()))
	if isUniqueViolation(err) {
		return kefu.Conflict("idempotency_replay", "a request with this Idempotency-Key was just completed")
	}
	return kefu.InternalOrNil(err)
}

// PruneIdempotency forgets keys older than keep (default policy: 24 h).
func (s *Store) PruneIdempotency(ctx context.Context, keep time.Duration) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM idempotency WHERE created_at < $1`, us(s.Now().Add(-keep)))
		return kefu.InternalOrNil(err)
	})
}

// idemBatch gathers a PostgreSQL batch's keys and writes them with one
// statement just before the commit (every statement there is a round trip).
// A key another transaction saved first is skipped by ON CONFLICT and shows
// up missing from what the statement returns: the operation that carried it
// lost the race, exactly as if its own INSERT had failed, and the batch runs
// again without it.
type idemBatch struct {
	rows [][]any
	ops  []int
	seen map[[3]string]bool
}

var errIdemReplay = kefu.Conflict("idempotency_replay", "a request with this Idempotency-Key was just completed")

func (b *idemBatch) add(op int, row []any) error {
	k := [3]string{row[0].(string), row[1].(string), row[2].(string)}
	if b.seen[k] {
		return errIdemReplay // its twin is in this very batch, ahead of it
	}
	if b.seen == nil {
		b.seen = map[[3]string]bool{}
	}
	b.seen[k] = true
	b.rows, b.ops = append(b.rows, row), append(b.ops, op)
	return nil
}

const idemCols = 7

// flush writes the keys; lost is the index of an operation whose key was
// taken meanwhile (with errIdemReplay), or -1.
func (b *idemBatch) flush(tx *Tx) (lost int, err error) {
	if len(b.rows) == 0 {
		return -1, nil
	}
	var q strings.Builder
	return b.insert(tx, &q, make([]any, 0, len(b.rows)*idemCols))
}

// insert appends the keys' INSERT to q (which may hold CTEs before it) and runs it.
func (b *idemBatch) insert(tx *Tx, q *strings.Builder, args []any) (lost int, err error) {
	q.WriteString("INSERT INTO idempotency (tenant_id, principal, key, request_hash, status, body, created_at) VALUES ")
	writeValues(q, &args, b.rows)
	q.WriteString(" ON CONFLICT DO NOTHING RETURNING tenant_id, principal, key")
	rows, err := tx.sqlTx.QueryContext(tx.ctx, q.String(), args...)
	if err != nil {
		return -1, kefu.Internal(err)
	}
	saved := make(map[[3]string]bool, len(b.rows))
	for rows.Next() {
		var k [3]string
		if err := rows.Scan(&k[0], &k[1], &k[2]); err != nil {
			rows.Close()
			return -1, kefu.Internal(err)
		}
		saved[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return -1, kefu.Internal(err)
	}
	for i, row := range b.rows {
		if !saved[[3]string{row[0].(string), row[1].(string), row[2].(string)}] {
			return b.ops[i], errIdemReplay
		}
	}
	return -1, nil
}
