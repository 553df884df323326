package store

import (
	"context"
	"database/sql"
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
	return &sv, nil
}

// SaveIdempotent stores the response of a request inside the same write as
// its effects, so a retry finds either both or neither. A concurrent twin
// loses on the primary key and the caller replays the winner's response.
func (tx *Tx) SaveIdempotent(tenantID, principal, key string, sv Saved) error {
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
