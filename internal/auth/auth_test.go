package auth

import (
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse 电池")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse 电池") || CheckPassword(h, "correct horse 电") || CheckPassword("garbage", "x") {
		t.Fatal("password check wrong")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
}

func TestTokenFormat(t *testing.T) {
	full, hash := NewToken("0192-abc")
	id, h2, ok := ParseToken(full)
	if !ok || id != "0192-abc" || string(h2) != string(hash) {
		t.Fatalf("parse %q: %v %q", full, ok, id)
	}
	// Secrets are base64url and may hold "_": the id ends at the first one.
	if id, _, ok := ParseToken("kefu_0192-abc_se_cr_et"); !ok || id != "0192-abc" {
		t.Fatalf("underscore in secret: %q %v", id, ok)
	}
	for _, bad := range []string{"", "kefu_", "kefu_x_", "Bearer x", "kefu__secret"} {
		if _, _, ok := ParseToken(bad); ok {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}

func TestLimitsAndPermissions(t *testing.T) {
	roles := map[string]kefu.Role{}
	var grants []kefu.Grant
	for i, r := range DefaultRoles() {
		r.ID = string(rune('a' + i))
		roles[r.ID] = r
		if r.Name == "agent" {
			grants = append(grants, kefu.Grant{RoleID: r.ID})
		}
	}
	p := &store.Principal{Grants: grants, Roles: roles}
	cases := []struct {
		action kefu.Action
		amount int64
		want   bool
	}{
		{kefu.ActionRefund, 20000, true},
		{kefu.ActionRefund, 20001, false},
		{kefu.ActionSuspendAccount, 0, false},
		{kefu.ActionSplitOrder, 0, true},
	}
	for _, c := range cases {
		if got := WithinLimit(p, c.action, c.amount); got != c.want {
			t.Errorf("WithinLimit(%s, %d) = %v", c.action, c.amount, got)
		}
	}
	if !Can(p, kefu.PermTicketsWrite) || Can(p, kefu.PermUsersManage) {
		t.Fatal("agent permissions wrong")
	}
	if err := CanApprove(p, kefu.ActionRequest{Action: kefu.ActionRefund, Amount: 1}); kefu.KindOf(err) != kefu.KindForbidden {
		t.Fatal("agent may approve")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("ip"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if ok, wait := l.Allow("ip"); ok || wait <= 0 {
		t.Fatal("fourth attempt allowed")
	}
	if ok, _ := l.Allow("other"); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("ip"); !ok {
		t.Fatal("no refill")
	}
}
