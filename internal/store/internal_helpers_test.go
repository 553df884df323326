package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store/storetest/pgschema"
)

// bothStores names the databases an internal test runs on: SQLite in a
// temporary directory and, when KEFU_TEST_POSTGRES is set (.ci/run sets
// it), PostgreSQL in a fresh schema.
func bothStores(t *testing.T) map[string]string {
	stores := map[string]string{"sqlite": filepath.Join(t.TempDir(), "kefu.db")}
	if base := os.Getenv("KEFU_TEST_POSTGRES"); base != "" {
		stores["postgres"] = pgschema.Fresh(t, base)
	}
	return stores
}

// eachStore runs f on each of bothStores, opened with o and holding one
// tenant (openWithTenant).
func eachStore(t *testing.T, o Options, f func(t *testing.T, s *Store, sc Scope)) {
	for name, dsn := range bothStores(t) {
		t.Run(name, func(t *testing.T) {
			s, sc := openWithTenant(t, dsn, o)
			f(t, s, sc)
		})
	}
}

// openWithTenant opens a store with o (its DSN set to dsn) holding one
// tenant with the tiers ka and standard (the default), closed when the
// test ends, and returns the tenant's scope.
func openWithTenant(t *testing.T, dsn string, o Options) (*Store, Scope) {
	t.Helper()
	ctx := context.Background()
	o.DSN = dsn
	s, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tc, err := s.CreateTenant(ctx, System, NewTenant{Tenant: kefu.Tenant{Slug: "t", Name: "T"},
		Tiers: []kefu.CustomerTier{{Code: "ka", Name: "KA", Rank: 1}, {Code: "standard", Name: "S", Rank: 9}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, Whole(tc.Tenant.ID)
}
