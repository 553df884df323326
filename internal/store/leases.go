package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Leases name the one node that may do a job (a tenant's routing). They
// run on the wall clock, not the injectable one: they guard processes,
// not business time, and must expire while a test's clock stands still.

// AcquireLease takes the lease for holder if it is free, expired or
// already held by holder, for ttl from now; it reports whether holder
// has it and until when.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, time.Time, error) {
	now := time.Now()
	until := now.Add(ttl)
	var held bool
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at < $4`, name, holder, us(until), us(now))
		if err != nil {
			return kefu.Internal(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return kefu.Internal(err)
		}
		held = n == 1
		return nil
	})
	return held, until, err
}

// ReleaseLease gives a lease up at once (on shutdown) so another node can
// take it without waiting for it to expire.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
		return kefu.InternalOrNil(err)
	})
}

// Lease says who holds a lease and until when ("" when nobody does).
func (s *Store) Lease(ctx context.Context, name string) (string, time.Time, error) {
	var holder string
	var until int64
	err := s.db.QueryRowContext(ctx, `SELECT holder, expires_at FROM leases WHERE name = $1`, name).Scan(&holder, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, kefu.Internal(err)
	}
	return holder, fromUS(until), nil
}

// ExpiredLeases lists leases with the given prefix whose holder stopped
// renewing them: work another node should take over.
func (s *Store) ExpiredLeases(ctx context.Context, prefix string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM leases WHERE expires_at < $1 AND name LIKE $2`, us(time.Now()), prefix+"%")
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, kefu.Internal(err)
		}
		out = append(out, n)
	}
	return out, kefu.InternalOrNil(rows.Err())
}
