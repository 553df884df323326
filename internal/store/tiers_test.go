package store

import (
	"context"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// TestBatchSeesTierChanges: the tier a batch records for a customer (for
// SLA policies and routing) follows what the batch itself did to them.
func TestBatchSeesTierChanges(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, s *Store, sc Scope) {
		ctx := context.Background()
		phone := []kefu.Identity{{Kind: kefu.IdentityPhone, Value: "13912345678"}}
		c, err := s.CreateCustomer(ctx, sc, System, kefu.Customer{Name: "陳先生", Identities: phone})
		if err != nil {
			t.Fatal(err)
		}
		ka := "ka"
		err = s.Write(ctx, func(tx *Tx) error {
			cid, created, err := tx.resolveCustomer(sc, System, CustomerRef{Identities: phone}, "")
			if err != nil || created || cid != c.ID {
				t.Fatalf("resolved %q (created %v, %v), want %s", cid, created, err, c.ID)
			}
			if got := tx.appends.tiers[c.ID]; got != "standard" {
				t.Errorf("found the customer with tier %q, want standard", got)
			}
			if _, err := tx.updateCustomer(sc, System, c.ID, CustomerPatch{Tier: &ka}); err != nil {
				return err
			}
			if got := tx.appends.tiers[c.ID]; got != "ka" {
				t.Errorf("after the batch made them KA the batch sees tier %q", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
