package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// TestKnownReferences: a reference a committed write found is not checked
// again, but only once committed, and only for its own tenant.
func TestKnownReferences(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, s *Store, sc Scope) {
		ctx := context.Background()
		newTicket := func(sc Scope, queueID, phone string) error {
			_, _, err := s.CreateTicket(ctx, sc, System, NewTicket{
				Ticket:   kefu.Ticket{Subject: "退款", Channel: kefu.ChannelChat, QueueID: queueID},
				Customer: CustomerRef{Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: phone}}},
			})
			return err
		}
		refused := func(err error) bool {
			var e *kefu.Error
			return errors.As(err, &e) && e.Kind == kefu.KindInvalid && e.Fields["queue_id"] != ""
		}

		// A queue written and found in a write that then fails is
		// gone with it: it must not be remembered as found.
		ghost := newID()
		boom := errors.New("the write fails after the check")
		err := s.Write(ctx, func(tx *Tx) error {
			if _, err := tx.exec(`INSERT INTO queues (id, tenant_id, name, channel, skills, in_house_only, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				ghost, sc.TenantID, "幽靈", "chat", "[]", 0, us(s.Now())); err != nil {
				return err
			}
			if err := tx.checkRef("queues", "queue_id", sc.TenantID, ghost); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("the failing write: %v", err)
		}
		if key, _ := lastingRef("queues", sc.TenantID, ghost); s.refs.has(key) {
			t.Fatal("a queue of a write that failed is remembered")
		}
		if err := newTicket(sc, ghost, "13800000001"); !refused(err) {
			t.Fatalf("a ticket in a queue that was never committed: %v, want a field error on queue_id", err)
		}

		q, err := s.CreateQueue(ctx, sc.TenantID, System, kefu.Queue{Name: "售後", Channel: "chat"})
		if err != nil {
			t.Fatal(err)
		}
		if err := newTicket(sc, q.ID, "13800000002"); err != nil {
			t.Fatal(err)
		}
		if key, _ := lastingRef("queues", sc.TenantID, q.ID); !s.refs.has(key) {
			t.Fatal("a queue a committed write found is not remembered")
		}
		if err := newTicket(sc, q.ID, "13800000003"); err != nil {
			t.Fatalf("a second ticket in a remembered queue: %v", err)
		}

		other, err := s.CreateTenant(ctx, System, NewTenant{Tenant: kefu.Tenant{Slug: "u", Name: "U"},
			Tiers: []kefu.CustomerTier{{Code: "standard", Name: "S", Rank: 9}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := newTicket(Whole(other.Tenant.ID), q.ID, "13800000004"); !refused(err) {
			t.Fatalf("another tenant's ticket in the remembered queue: %v, want a field error on queue_id", err)
		}
	})
}

func TestDefaultWriters(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want int
	}{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", 2},
		{"postgres://kefu@localhost/kefu", 2},
		{"postgresql://kefu@[::1]:5432/kefu", 2},
		{"postgres:///kefu", 2},                                   // the default socket
		{"postgres://kefu@/kefu?host=/var/run/postgresql", 2},     // a socket directory
		{"postgres://kefu@127.0.0.1:5432,localhost:5433/kefu", 2}, // several, all here
		{"postgres://kefu@db.internal:5432/kefu", 4},
		{"postgres://kefu@10.0.0.7/kefu", 4},
		{"postgres://kefu@127.0.0.1:5432,db2.internal:5432/kefu", 4}, // one across the network
		{"postgres://kefu@localhost/kefu?host=db.internal", 4},
	} {
		if got := DefaultWriters(c.dsn); got != c.want {
			t.Errorf("DefaultWriters(%q) = %d, want %d", c.dsn, got, c.want)
		}
	}
	// A DSN without a host connects where PGHOST says, as pgx will.
	t.Setenv("PGHOST", "db.internal")
	if got := DefaultWriters("postgres:///kefu"); got != 4 {
		t.Errorf("with PGHOST=db.internal, DefaultWriters(postgres:///kefu) = %d, want 4", got)
	}
}

// TestLastingTablesStay guards knownRefs' premise: nothing in the store
// deletes a row of a lasting table or moves it to another tenant. A change
// that starts to must also forget the remembered references.
func TestLastingTablesStay(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for table := range lastingTables {
		gone := regexp.MustCompile(`(?i)(DELETE\s+FROM\s+` + table + `\b|UPDATE\s+` + table + `\s+SET\s+(.*,\s*)?tenant_id\s*=)`)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m := gone.Find(src); m != nil {
				t.Errorf("%s: %q: rows of %s are remembered as lasting (knownRefs)", f, m, table)
			}
		}
	}
	for _, dir := range []string{"migrations/sqlite", "migrations/postgres"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		if len(files) == 0 {
			t.Fatalf("no migrations in %s", dir)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for table := range lastingTables {
				// A cascade in a lasting table's own definition would delete
				// its rows with the row they reference.
				def := regexp.MustCompile(`(?is)(CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?|ALTER\s+TABLE\s+)` + table + `\b.*?;`)
				for _, d := range def.FindAll(src, -1) {
					if regexp.MustCompile(`(?i)ON\s+DELETE\s+CASCADE`).Match(d) {
						t.Errorf("%s: %s deletes with what it references: its rows are remembered as lasting (knownRefs)", f, table)
					}
				}
			}
		}
	}
}
