// Package pgschema gives a PostgreSQL test its own schema. It stands apart
// from storetest so that the store package's own tests can use it too.
package pgschema

import (
	"database/sql"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

var seq atomic.Int64

// Fresh creates an empty schema, dropped when the test ends, and returns a
// DSN based on base that uses it.
func Fresh(t testing.TB, base string) string {
	t.Helper()
	schema := fmt.Sprintf("t%d_%d", time.Now().UnixNano(), seq.Add(1))
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
