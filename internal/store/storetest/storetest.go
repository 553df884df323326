// Package storetest opens fresh stores for tests: SQLite always, and
// PostgreSQL when KEFU_TEST_POSTGRES holds a DSN. Each PostgreSQL store
// gets its own schema, dropped when the test ends.
package storetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest/pgschema"
)

// Backend names one database to test against.
type Backend struct {
	Name string
	DSN  func(t testing.TB) string
}

// Backends lists SQLite, plus PostgreSQL when configured.
func Backends() []Backend {
	bs := []Backend{{Name: "sqlite", DSN: func(t testing.TB) string { return filepath.Join(t.TempDir(), "kefu.db") }}}
	if pg := os.Getenv("KEFU_TEST_POSTGRES"); pg != "" {
		bs = append(bs, Backend{Name: "postgres", DSN: func(t testing.TB) string { return FreshSchema(t, pg) }})
	}
	return bs
}

// Cluster is what tests of several nodes need: PostgreSQL (KEFU_TEST_POSTGRES)
// and a NATS server (KEFU_TEST_NATS). It skips the test when either is
// missing; .ci/run sets both.
func Cluster(t testing.TB) (pg Backend, natsURL string) {
	t.Helper()
	natsURL = os.Getenv("KEFU_TEST_NATS")
	for _, b := range Backends() {
		if b.Name == "postgres" {
			pg = b
		}
	}
	if natsURL == "" || pg.DSN == nil {
		t.Skip("needs KEFU_TEST_POSTGRES and KEFU_TEST_NATS (.ci/run sets both)")
	}
	return pg, natsURL
}

// FreshSchema creates an empty schema and returns a DSN that uses it.
func FreshSchema(t testing.TB, base string) string { return pgschema.Fresh(t, base) }

// Each runs f once per backend as a subtest with a fresh store on clk.
func Each(t *testing.T, clk clock.Clock, f func(t *testing.T, s *store.Store)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			s := Open(t, b, clk)
			f(t, s)
		})
	}
}

// Open opens a fresh store on one backend, closed at test end.
func Open(t testing.TB, b Backend, clk clock.Clock) *store.Store {
	t.Helper()
	if clk == nil {
		clk = clock.System{}
	}
	s, err := store.Open(context.Background(), store.Options{DSN: b.DSN(t), Clock: clk})
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
