package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

// Store hot paths, run in parallel so group commit can batch:
//
//	go test ./internal/store -run XXX -bench . -cpu 2
func BenchmarkCreateTicket(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s := storetest.Open(b, be, nil)
			tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "b", Name: "b"},
				Tiers: []kefu.CustomerTier{{Code: "standard", Name: "S", Rank: 9}}})
			if err != nil {
				b.Fatal(err)
			}
			sc := store.Whole(tc.Tenant.ID)
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					_, _, err := s.CreateTicket(ctx, sc, store.System, store.NewTicket{
						Ticket:   kefu.Ticket{Subject: fmt.Sprintf("退款申请：订单 %d 还没到账", i), Channel: kefu.ChannelChat},
						Customer: store.CustomerRef{Name: "客户", Identities: []kefu.Identity{{Kind: kefu.IdentityPhone, Value: fmt.Sprintf("139%08d", i%50000)}}},
						Message:  &kefu.Message{Body: "您好，请帮我查询一下订单状态，谢谢。"},
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkAddMessage(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			s := storetest.Open(b, be, nil)
			tc, _ := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "b", Name: "b"}})
			sc := store.Whole(tc.Tenant.ID)
			var ids []string
			for i := 0; i < 256; i++ {
				t, _, err := s.CreateTicket(ctx, sc, store.System, store.NewTicket{Ticket: kefu.Ticket{Subject: "x"},
					Customer: store.CustomerRef{Name: "c", Identities: []kefu.Identity{{Kind: kefu.IdentityApp, Value: fmt.Sprint(i)}}}})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, t.ID)
			}
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if _, err := s.AddMessage(ctx, sc, store.System, ids[i%int64(len(ids))], kefu.Message{Kind: kefu.MessageAgent, Body: "已为您加急处理"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkTokenPrincipal: an API request's token check, after the first.
func BenchmarkTokenPrincipal(b *testing.B) {
	s := storetest.Open(b, storetest.Backends()[0], nil)
	tc, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "b", Name: "b"},
		Roles: []kefu.Role{{Name: "agent", Permissions: []kefu.Permission{kefu.PermTicketsRead}}}})
	if err != nil {
		b.Fatal(err)
	}
	u, err := s.CreateUser(ctx, tc.Tenant.ID, store.System, kefu.User{Email: "a@b.c", Name: "a", Kind: kefu.UserAgent, Grants: []kefu.Grant{{RoleID: tc.Roles[0].ID}}})
	if err != nil {
		b.Fatal(err)
	}
	hash := make([]byte, 32)
	tk, err := s.CreateToken(ctx, tc.Tenant.ID, store.System, kefu.Token{UserID: u.ID, Name: "t", SecretHash: hash})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.TokenPrincipal(ctx, tk.ID, hash); err != nil {
			b.Fatal(err)
		}
	}
}
