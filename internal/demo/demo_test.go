package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
	"github.com/kefu-project/kefu/internal/store/storetest"
)

var ctx = context.Background()

var cst = time.FixedZone("CST", 8*3600)

// testNow puts Double 11 inside the sixty days of history.
var testNow = time.Date(2025, 11, 20, 10, 30, 0, 0, cst)

const (
	adminEmail    = "Admin@Hualian.example"
	adminPassword = "demo-admin-password-1"
)

func load(t *testing.T, s *store.Store, clk *clock.Manual, o Options) Summary {
	t.Helper()
	if clk != nil {
		clk.Set(testNow)
	}
	o.Clock = clk
	if o.Now.IsZero() {
		o.Now = testNow
	}
	start := time.Now()
	sum, err := Load(ctx, s, o)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Logf("loaded %d+%d tickets in %v", sum.Tenants[0].Tickets, sum.Tenants[1].Tickets, time.Since(start).Round(time.Millisecond))
	return sum
}

func allTickets(t *testing.T, s *store.Store, sc store.Scope, f store.TicketFilter) []kefu.Ticket {
	t.Helper()
	var out []kefu.Ticket
	f.Limit = 200
	for {
		page, next, err := s.Tickets(ctx, sc, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		f.Cursor = next
	}
}

func allUsers(t *testing.T, s *store.Store, tenantID string) []kefu.User {
	t.Helper()
	us, err := s.Users(ctx, tenantID, store.UserFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return us
}

func TestLoad(t *testing.T) {
	clk := clock.NewManual(testNow)
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		sum := load(t, s, clk, Options{Seed: 7, Tickets: 300, AdminEmail: adminEmail, AdminPassword: adminPassword, HashPassword: auth.HashPassword})
		if got := clk.Now(); !got.Equal(testNow) {
			t.Errorf("clock left at %v, want Now %v", got, testNow)
		}
		if len(sum.Tenants) != 2 || sum.Tenants[0].Slug != "hualian" || sum.Tenants[1].Slug != "northwind" {
			t.Fatalf("tenants = %+v", sum.Tenants)
		}
		for _, ts := range sum.Tenants {
			got, err := s.Tenant(ctx, ts.ID)
			if err != nil || got.Slug != ts.Slug {
				t.Fatalf("tenant %s: %v %+v", ts.Slug, err, got)
			}
		}
		h, nw := sum.Tenants[0], sum.Tenants[1]
		hsc, nsc := store.Whole(h.ID), store.Whole(nw.ID)
		tickets := allTickets(t, s, hsc, store.TicketFilter{Sort: "created_at"})
		nwTickets := allTickets(t, s, nsc, store.TicketFilter{})
		if len(tickets) != 300 || h.Tickets != 300 || len(nwTickets) != nw.Tickets || nw.Tickets < 15 {
			t.Fatalf("tickets: %d listed, summary %d; northwind %d/%d", len(tickets), h.Tickets, len(nwTickets), nw.Tickets)
		}
		t.Logf("hualian: %+v", h)

		t.Run("statuses", func(t *testing.T) {
			by := map[kefu.Status]int{}
			for _, tk := range tickets {
				by[tk.Status]++
			}
			for st, n := range h.ByStatus {
				if by[st] != n {
					t.Errorf("summary says %d %s, store has %d", n, st, by[st])
				}
			}
			done := by[kefu.StatusSolved] + by[kefu.StatusClosed]
			live := by[kefu.StatusNew] + by[kefu.StatusOpen] + by[kefu.StatusPending] + by[kefu.StatusOnHold]
			if done < 200 || by[kefu.StatusClosed] < by[kefu.StatusSolved] {
				t.Errorf("most history should be solved and closed: %v", by)
			}
			if live < 3 || live > 75 || by[kefu.StatusOpen] == 0 || by[kefu.StatusOnHold] == 0 {
				t.Errorf("a few tickets should be in progress now: %v", by)
			}
			for _, tk := range tickets {
				if (tk.Status == kefu.StatusClosed) != (tk.ClosedAt != nil) || (tk.Status == kefu.StatusSolved && tk.SolvedAt == nil) {
					t.Fatalf("#%d %s with solved_at %v closed_at %v", tk.Number, tk.Status, tk.SolvedAt, tk.ClosedAt)
				}
			}
		})

		t.Run("dates", func(t *testing.T) {
			from := testNow.Add(-historyDays*24*time.Hour - time.Hour)
			days := map[string]int{}
			for i, tk := range tickets {
				if tk.CreatedAt.Before(from) || tk.CreatedAt.After(testNow) || tk.UpdatedAt.After(testNow) {
					t.Fatalf("#%d created %v updated %v, outside the sixty days before %v", tk.Number, tk.CreatedAt, tk.UpdatedAt, testNow)
				}
				if i > 0 && tk.Number > tickets[i-1].Number { // newest first
					t.Fatalf("ticket numbers do not follow creation: #%d created after #%d", tickets[i-1].Number, tk.Number)
				}
				days[tk.CreatedAt.In(cst).Format("2006-01-02")]++
			}
			if len(days) < 45 {
				t.Errorf("history on %d days only", len(days))
			}
			if peak, avg := days["2025-11-11"], float64(len(tickets))/historyDays; float64(peak) < 2*avg {
				t.Errorf("no Double 11 peak: %d tickets on 11 Nov, %.1f a day on average", peak, avg)
			}
			night, day := 0, 0
			for _, tk := range tickets {
				switch h := tk.CreatedAt.In(cst).Hour(); {
				case h >= 2 && h < 6:
					night++
				case h >= 9 && h < 18:
					day++
				}
			}
			if day < 5*night+20 {
				t.Errorf("no daytime pattern: %d tickets 09-18h, %d 02-06h", day, night)
			}
		})

		t.Run("organization", func(t *testing.T) {
			orgs, err := s.Orgs(ctx, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[kefu.OrgKind]int{}
			for _, o := range orgs {
				kinds[o.Kind]++
			}
			if kinds[kefu.OrgGroup] != 1 || kinds[kefu.OrgSubsidiary] != 3 || kinds[kefu.OrgBrand] < 1 {
				t.Errorf("org tree %v", kinds)
			}
			depts, _ := s.Departments(ctx, h.ID)
			if len(depts) != 5 {
				t.Errorf("%d departments", len(depts))
			}
			for _, d := range depts {
				if !strings.Contains(d.Email, "@") {
					t.Errorf("department %s has no email", d.Name)
				}
			}
			queues, _ := s.Queues(ctx, h.ID)
			inHouse := 0
			for _, q := range queues {
				if q.InHouseOnly {
					inHouse++
				}
				if len(q.Skills) == 0 {
					t.Errorf("queue %s has no skills", q.Name)
				}
			}
			if inHouse < 2 {
				t.Errorf("%d in-house-only queues", inHouse)
			}
		})

		t.Run("people", func(t *testing.T) {
			users := allUsers(t, s, h.ID)
			if len(users) != h.Users || len(users) < 45 {
				t.Fatalf("%d users, summary %d", len(users), h.Users)
			}
			roles, _ := s.Roles(ctx, h.ID)
			roleName := map[string]string{}
			for _, r := range roles {
				roleName[r.ID] = r.Name
			}
			vendors, _ := s.Vendors(ctx, h.ID)
			if len(vendors) != 1 {
				t.Fatalf("vendors %v", vendors)
			}
			kinds, tiers := map[kefu.UserKind]int{}, map[kefu.Tier]int{}
			var admin *kefu.User
			for i, u := range users {
				kinds[u.Kind]++
				tiers[u.Tier]++
				if u.Email == store.NormalizeEmail(adminEmail) {
					admin = &users[i]
					continue
				}
				if u.PasswordHash != "" {
					t.Errorf("demo user %s has a password", u.Email)
				}
				if len(u.Grants) == 0 {
					t.Errorf("%s has no grant", u.Email)
				}
				if u.Kind == kefu.UserVendorAgent && (u.VendorID != vendors[0].ID || roleName[u.Grants[0].RoleID] != "vendor_agent") {
					t.Errorf("vendor agent %s: vendor %q role %s", u.Email, u.VendorID, roleName[u.Grants[0].RoleID])
				}
				if u.Kind == kefu.UserSupervisor && u.Grants[0].OrgID != sumRoot(t, s, h.ID) {
					t.Errorf("supervisor %s is not granted at the group", u.Email)
				}
			}
			if kinds[kefu.UserVendorAgent] < 5 || kinds[kefu.UserTeamLead] < 3 || kinds[kefu.UserSupervisor] < 1 || kinds[kefu.UserManager] != 1 ||
				kinds[kefu.UserDepartment] != 5 || kinds[kefu.UserSafety] < 2 || kinds[kefu.UserAgent] < 20 {
				t.Errorf("user kinds %v", kinds)
			}
			if tiers[kefu.TierJunior] == 0 || tiers[kefu.TierSenior] == 0 || tiers[kefu.TierExpert] == 0 {
				t.Errorf("tiers %v", tiers)
			}
			if admin == nil || sum.AdminEmail != store.NormalizeEmail(adminEmail) {
				t.Fatalf("admin %q not created", adminEmail)
			}
			if !admin.PlatformAdmin || admin.Kind != kefu.UserAdmin || roleName[admin.Grants[0].RoleID] != "admin" || admin.Grants[0].OrgID != sumRoot(t, s, h.ID) {
				t.Errorf("admin = %+v", admin)
			}
			if !auth.CheckPassword(admin.PasswordHash, adminPassword) {
				t.Error("admin password does not check")
			}
			for _, u := range allUsers(t, s, nw.ID) {
				if u.PasswordHash != "" || u.PlatformAdmin {
					t.Errorf("northwind user %s has credentials", u.Email)
				}
			}
		})

		t.Run("routing", func(t *testing.T) {
			users := map[string]kefu.User{}
			for _, u := range allUsers(t, s, h.ID) {
				users[u.ID] = u
			}
			queues, _ := s.Queues(ctx, h.ID)
			inHouse := map[string]string{}
			for _, q := range queues {
				if q.InHouseOnly {
					inHouse[q.ID] = q.Name
				}
			}
			vendorHeld, emergencies := 0, 0
			for _, tk := range tickets {
				u := users[tk.AssigneeID]
				if u.Kind == kefu.UserVendorAgent {
					vendorHeld++
					if inHouse[tk.QueueID] != "" {
						t.Errorf("#%d in in-house queue %s is held by vendor agent %s", tk.Number, inHouse[tk.QueueID], u.Email)
					}
				}
				if tk.Priority == kefu.PriorityEmergency {
					emergencies++
					if u.Kind != kefu.UserSafety || inHouse[tk.QueueID] == "" {
						t.Errorf("emergency #%d with %s in queue %s", tk.Number, u.Kind, tk.QueueID)
					}
				}
				if tk.QueueID == "" || tk.Category == "" || len(tk.Tags) == 0 || tk.MessageCount == 0 {
					t.Errorf("#%d lacks queue, category, tags or messages: %+v", tk.Number, tk)
				}
			}
			if vendorHeld == 0 || emergencies < 2 {
				t.Errorf("%d tickets with vendor agents, %d emergencies", vendorHeld, emergencies)
			}
		})

		t.Run("group customer spans subsidiaries", func(t *testing.T) {
			orgs, _ := s.Orgs(ctx, h.ID)
			parent := map[string]string{}
			kind := map[string]kefu.OrgKind{}
			for _, o := range orgs {
				parent[o.ID], kind[o.ID] = o.ParentID, o.Kind
			}
			subOf := func(id string) string {
				for id != "" && kind[id] != kefu.OrgSubsidiary {
					id = parent[id]
				}
				return id
			}
			subs := map[string]map[string]bool{}
			for _, tk := range tickets {
				if subs[tk.CustomerID] == nil {
					subs[tk.CustomerID] = map[string]bool{}
				}
				if s := subOf(tk.OrgID); s != "" {
					subs[tk.CustomerID][s] = true
				}
			}
			spanning := 0
			for _, m := range subs {
				if len(m) >= 2 {
					spanning++
				}
			}
			if spanning == 0 {
				t.Fatal("no customer has tickets in two subsidiaries")
			}
			c, err := s.CustomerByIdentity(ctx, hsc, kefu.IdentityPhone, "+86 139 1688 2046", "")
			if err != nil {
				t.Fatal(err)
			}
			ext := map[string]bool{}
			for _, id := range c.Identities {
				if id.Kind == kefu.IdentityExternal {
					ext[id.OrgID] = true
				}
			}
			if len(ext) < 2 || len(subs[c.ID]) < 2 {
				t.Errorf("%s: external ids in %d orgs, tickets in %d subsidiaries", c.Name, len(ext), len(subs[c.ID]))
			}
		})

		t.Run("customers", func(t *testing.T) {
			cs, _, err := s.Customers(ctx, hsc, store.CustomerFilter{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			tiers, locales := map[string]int{}, map[string]int{}
			for _, c := range cs {
				tiers[c.Tier]++
				locales[c.Locale]++
				if len(c.Identities) == 0 {
					t.Errorf("customer %s has no identity", c.Name)
				}
			}
			if tiers["standard"] == 0 || tiers["vip"] == 0 || locales[zhHans] == 0 || locales[en] == 0 || locales[zhHant] == 0 {
				t.Errorf("tiers %v locales %v", tiers, locales)
			}
			// 刘洋 called from a phone and wrote from an email: merged into one.
			c, err := s.CustomerByIdentity(ctx, hsc, kefu.IdentityEmail, "liuyang.sh@example.org", "")
			if err != nil {
				t.Fatal(err)
			}
			ms, err := s.Merges(ctx, hsc, c.ID)
			if err != nil || len(ms) != 1 || c.MergedInto != "" || h.MergedCustomers != 2 {
				t.Fatalf("merge of %s: %v %+v (summary %d)", c.Name, err, ms, h.MergedCustomers)
			}
			merged, err := s.Customer(ctx, hsc, ms[0].MergedID)
			if err != nil || merged.MergedInto != c.ID {
				t.Errorf("merged customer %+v %v", merged, err)
			}
			if own := allTickets(t, s, hsc, store.TicketFilter{CustomerID: c.ID}); len(own) < 2 {
				t.Errorf("survivor has %d tickets", len(own))
			}
		})

		t.Run("commitments", func(t *testing.T) {
			overdue, kept, late, dept := 0, 0, 0, 0
			for _, tk := range tickets {
				cs, err := s.Commitments(ctx, hsc, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					switch {
					case c.State == kefu.CommitKept:
						kept++
						if c.KeptAt.After(c.DueAt) {
							late++
						}
					case c.State == kefu.CommitOpen && c.DueAt.Before(testNow):
						overdue++
						if tk.Status.Settled() {
							t.Errorf("#%d is %s with an open commitment", tk.Number, tk.Status)
						}
					}
					if c.Kind == kefu.CommitDepartment {
						dept++
						if c.DepartmentID == "" {
							t.Errorf("department commitment without department on #%d", tk.Number)
						}
					}
				}
			}
			if overdue == 0 || kept < 10 || dept == 0 || overdue > kept || late == 0 || late > kept/3 {
				t.Errorf("commitments: %d overdue, %d kept (%d late), %d for departments", overdue, kept, late, dept)
			}
			if overdue != h.OverdueCommitments {
				t.Errorf("summary says %d overdue, found %d", h.OverdueCommitments, overdue)
			}
			forwarded := allTickets(t, s, hsc, store.TicketFilter{Status: []kefu.Status{kefu.StatusOnHold}})
			withDept := 0
			for _, tk := range forwarded {
				if tk.DepartmentID != "" {
					withDept++
				}
			}
			if withDept == 0 {
				t.Error("no ticket is on hold with a department")
			}
		})

		t.Run("approvals", func(t *testing.T) {
			pending, err := s.ActionRequests(ctx, hsc, string(kefu.ApprovalPending), "", 200)
			if err != nil {
				t.Fatal(err)
			}
			approved, _ := s.ActionRequests(ctx, hsc, string(kefu.ApprovalApproved), "", 200)
			if len(pending) == 0 || len(pending) != h.PendingApprovals {
				t.Fatalf("%d pending approvals (summary %d)", len(pending), h.PendingApprovals)
			}
			byOther := 0
			for _, r := range approved {
				if r.DecidedBy != r.RequestedBy {
					byOther++
				}
			}
			if byOther == 0 {
				t.Error("no request was approved by someone with more authority")
			}
			agentLimit := int64(20000) // auth.DefaultRoles: an agent refunds up to 200.00 alone
			over := false
			for _, r := range pending {
				if r.Action == kefu.ActionRefund && r.Amount > agentLimit {
					over = true
				}
			}
			if !over {
				t.Error("no refund above an agent's limit waits for approval")
			}
		})

		t.Run("repeats", func(t *testing.T) {
			rep := allTickets(t, s, hsc, store.TicketFilter{Tag: "重复投诉"})
			if len(rep) == 0 {
				t.Fatal("no repeat complaint")
			}
			third := rep[0]
			links, err := s.Links(ctx, hsc, third.ID)
			if err != nil {
				t.Fatal(err)
			}
			repeats := 0
			for _, l := range links {
				if l.Kind == kefu.LinkRepeat {
					repeats++
					other, err := s.Ticket(ctx, hsc, l.OtherID)
					if err != nil || other.CustomerID != third.CustomerID {
						t.Errorf("repeat link to another customer's ticket: %v", err)
					}
				}
			}
			if repeats < 2 || third.Priority != kefu.PriorityUrgent || third.Status == kefu.StatusClosed {
				t.Errorf("third complaint: %d repeat links, priority %s, status %s", repeats, third.Priority, third.Status)
			}
		})

		t.Run("search", func(t *testing.T) {
			found := allTickets(t, s, hsc, store.TicketFilter{Query: "退款"})
			if len(found) < 10 {
				t.Fatalf("退款 finds %d tickets", len(found))
			}
			hits := 0
			for _, tk := range found {
				if strings.Contains(tk.Subject+tk.Category+strings.Join(tk.Tags, " "), "退款") {
					hits++
				}
			}
			if hits == 0 {
				t.Error("no 退款 ticket has it in subject, category or tags")
			}
			if trad := allTickets(t, s, hsc, store.TicketFilter{Query: "訂單"}); len(trad) == 0 {
				t.Error("no Traditional Chinese ticket found by 訂單")
			}
			if eng := allTickets(t, s, nsc, store.TicketFilter{Query: "order"}); len(eng) == 0 {
				t.Error("no Northwind ticket found by order")
			}
		})

		t.Run("tenant isolation", func(t *testing.T) {
			hIDs := map[string]bool{}
			for _, tk := range tickets {
				hIDs[tk.ID] = true
			}
			for _, tk := range nwTickets {
				if hIDs[tk.ID] {
					t.Fatalf("northwind ticket %s listed in hualian", tk.ID)
				}
				if _, err := s.Ticket(ctx, hsc, tk.ID); !kefu.IsNotFound(err) {
					t.Fatalf("northwind ticket visible in hualian: %v", err)
				}
				if _, err := s.Commitments(ctx, hsc, tk.ID); !kefu.IsNotFound(err) {
					t.Fatalf("northwind commitments visible in hualian: %v", err)
				}
			}
			nwOrder := ""
			for _, tk := range nwTickets {
				if i := strings.Index(tk.Subject, "NW-"); i >= 0 {
					nwOrder = tk.Subject[i+3 : i+10]
					break
				}
			}
			if nwOrder != "" {
				if got := allTickets(t, s, hsc, store.TicketFilter{Query: nwOrder}); len(got) != 0 {
					t.Errorf("searching hualian for northwind order %s finds %d", nwOrder, len(got))
				}
				if got := allTickets(t, s, nsc, store.TicketFilter{Query: nwOrder}); len(got) == 0 {
					t.Errorf("northwind order %s not found in northwind", nwOrder)
				}
			}
			nwCustomers, _, _ := s.Customers(ctx, nsc, store.CustomerFilter{Limit: 200})
			for _, c := range nwCustomers {
				if _, err := s.Customer(ctx, hsc, c.ID); !kefu.IsNotFound(err) {
					t.Fatalf("northwind customer visible in hualian: %v", err)
				}
				for _, id := range c.Identities {
					if got, err := s.CustomerByIdentity(ctx, hsc, id.Kind, id.Value, id.OrgID); err == nil {
						t.Fatalf("northwind identity %s %s resolves in hualian to %s", id.Kind, id.Value, got.ID)
					}
				}
			}
			for _, u := range allUsers(t, s, h.ID) {
				if strings.HasSuffix(u.Email, "@northwind.example") {
					t.Errorf("northwind user %s in hualian", u.Email)
				}
			}
			pending, _ := s.ActionRequests(ctx, hsc, "", "", 200)
			nwIDs := map[string]bool{}
			for _, tk := range nwTickets {
				nwIDs[tk.ID] = true
			}
			for _, r := range pending {
				if nwIDs[r.TicketID] {
					t.Fatalf("northwind action request %s visible in hualian", r.ID)
				}
			}
		})

		t.Run("refuses a non-empty database", func(t *testing.T) {
			_, err := Load(ctx, s, Options{Seed: 7, Tickets: 20, Clock: clk, Now: testNow})
			if err == nil || !errors.Is(err, ErrNotEmpty) || kefu.KindOf(err) != kefu.KindConflict || !strings.Contains(err.Error(), "empty database") {
				t.Fatalf("second load: %v", err)
			}
			ts, _ := s.Tenants(ctx)
			if len(ts) != 2 {
				t.Fatalf("%d tenants after the refused load", len(ts))
			}
		})
	})
}

func sumRoot(t *testing.T, s *store.Store, tenantID string) string {
	t.Helper()
	root, err := s.RootOrg(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	return root.ID
}

// fingerprint digests what a newcomer sees: ticket numbers, times,
// subjects, states, people and every message.
func fingerprint(t *testing.T, s *store.Store, sum Summary) string {
	t.Helper()
	h := sha256.New()
	for _, ts := range sum.Tenants {
		sc := store.Whole(ts.ID)
		emails := map[string]string{}
		var people []string
		for _, u := range allUsers(t, s, ts.ID) {
			emails[u.ID] = u.Email
			people = append(people, fmt.Sprintln(u.Email, u.Name, u.Kind, u.Tier, len(u.Grants))) // ids are random: sort by email
		}
		slices.Sort(people)
		fmt.Fprint(h, strings.Join(people, ""))
		for _, tk := range allTickets(t, s, sc, store.TicketFilter{Sort: "created_at"}) {
			c, err := s.Customer(ctx, sc, tk.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(h, tk.Number, tk.CreatedAt.UnixMicro(), tk.UpdatedAt.UnixMicro(), tk.Subject, tk.Status, tk.Priority, tk.Channel,
				tk.Category, tk.Tags, emails[tk.AssigneeID], c.Name, tk.MessageCount)
			ms, _, err := s.Messages(ctx, sc, tk.ID, false, 200, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				fmt.Fprintln(h, m.Kind, m.CreatedAt.UnixMicro(), emails[m.AuthorID], m.Body)
			}
			cs, _ := s.Commitments(ctx, sc, tk.ID)
			for _, c := range cs {
				fmt.Fprintln(h, c.Kind, c.Description, c.DueAt.UnixMicro(), c.State)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	b := storetest.Backends()[0]
	o := Options{Seed: 42, Tickets: 120, Agents: 24}
	var prints []string
	for _, seed := range []int64{42, 42, 43} {
		clk := clock.NewManual(testNow)
		s := storetest.Open(t, b, clk)
		o.Seed = seed
		prints = append(prints, fingerprint(t, s, load(t, s, clk, o)))
	}
	if prints[0] != prints[1] {
		t.Error("the same seed gave different data")
	}
	if prints[0] == prints[2] {
		t.Error("another seed gave the same data")
	}
}

func TestLoadWithoutClock(t *testing.T) {
	s := storetest.Open(t, storetest.Backends()[0], nil)
	sum := load(t, s, nil, Options{Seed: 1, Tickets: 150, Now: time.Now()})
	h := sum.Tenants[0]
	if h.Tickets != 150 || h.Customers == 0 || h.Messages < 300 {
		t.Fatalf("summary %+v", h)
	}
	// Everything is stamped "now", but the promises keep their dates, so
	// the ones never kept are overdue.
	if h.OverdueCommitments == 0 || h.PendingApprovals == 0 {
		t.Errorf("overdue %d, pending approvals %d", h.OverdueCommitments, h.PendingApprovals)
	}
}

func TestOptionsChecked(t *testing.T) {
	s := storetest.Open(t, storetest.Backends()[0], nil)
	for _, o := range []Options{
		{AdminEmail: "a@b.example", AdminPassword: adminPassword},                                        // no hash function
		{AdminEmail: "a@b.example", HashPassword: auth.HashPassword},                                     // no password
		{AdminEmail: "a@b.example", AdminPassword: "short", HashPassword: auth.HashPassword, Tickets: 5}, // too weak
	} {
		if _, err := Load(ctx, s, o); err == nil || kefu.KindOf(err) != kefu.KindInvalid {
			t.Errorf("options %+v: %v", o, err)
		}
	}
	if ts, _ := s.Tenants(ctx); len(ts) != 0 {
		t.Fatalf("a refused load wrote %d tenants", len(ts))
	}
	if _, err := s.CreateTenant(ctx, store.System, store.NewTenant{Tenant: kefu.Tenant{Slug: "real", Name: "Real Co"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, s, Options{Tickets: 10}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("load over a real tenant: %v", err)
	}
}

// TestDefaultSize loads the default data set (2,000 tickets) and checks it
// stays well under a minute. It takes a while, so it runs only with
// KEFU_DEMO_FULL=1.
func TestDefaultSize(t *testing.T) {
	if os.Getenv("KEFU_DEMO_FULL") == "" {
		t.Skip("set KEFU_DEMO_FULL=1 to load the default data set")
	}
	clk := clock.NewManual(testNow)
	storetest.Each(t, clk, func(t *testing.T, s *store.Store) {
		start := time.Now()
		sum := load(t, s, clk, Options{Seed: 1})
		took := time.Since(start)
		if sum.Tenants[0].Tickets != defaultTickets || sum.Tenants[0].Users < defaultAgents {
			t.Errorf("default set: %+v", sum.Tenants[0])
		}
		t.Logf("default set: %d tickets, %d messages, %d users, %d customers in %v",
			sum.Tenants[0].Tickets+sum.Tenants[1].Tickets, sum.Tenants[0].Messages+sum.Tenants[1].Messages,
			sum.Tenants[0].Users+sum.Tenants[1].Users, sum.Tenants[0].Customers+sum.Tenants[1].Customers, took.Round(time.Millisecond))
		if took > 50*time.Second {
			t.Errorf("loading took %v", took)
		}
	})
}
