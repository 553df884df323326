package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kefu-project/kefu/internal/notify"
)

// gateway is an SMS gateway: it checks the token and records the bodies.
func gateway(t *testing.T, header, want string, status func(phone string) int) (*httptest.Server, func() []map[string]string) {
	var mu sync.Mutex
	var got []map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(header) != want {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
		w.WriteHeader(status(body["mobile"] + body["phone"]))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []map[string]string {
		mu.Lock()
		defer mu.Unlock()
		return append([]map[string]string(nil), got...)
	}
}

func ok(string) int { return http.StatusOK }

func TestSMSThroughHTTPGateway(t *testing.T) {
	srv, sent := gateway(t, "X-Api-Key", "sms-token-0123456789", ok)
	s := &notify.SMS{Provider: &notify.HTTPSMS{
		URL: srv.URL + "/send", Token: "sms-token-0123456789", TokenHeader: "X-Api-Key",
		PhoneField: "mobile", TextField: "content", Extra: map[string]string{"sign_name": "某某客服"},
	}}
	a := escalation()
	if err := s.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	got := sent()
	if len(got) != 2 {
		t.Fatalf("sent %d messages, want 2 (recipients with a phone): %v", len(got), got)
	}
	if got[0]["mobile"] != "+8613800138000" || got[1]["mobile"] != "13900139000" || got[0]["sign_name"] != "某某客服" {
		t.Fatalf("bodies = %v", got)
	}
	// The title and the link fit in 70 characters.
	want := "紧急事件：工单 #123 尚未有人确认（已升级至主管） https://kefu.example.com/t/123"
	if got[0]["content"] != want || got[1]["content"] != want {
		t.Fatalf("text = %q, want %q", got[0]["content"], want)
	}
}

func TestSMSBearerTokenAndFailures(t *testing.T) {
	srv, sent := gateway(t, "Authorization", "Bearer tok-0123456789abcdef", func(phone string) int {
		if phone == "+8613800138000" {
			return http.StatusBadRequest
		}
		return http.StatusOK
	})
	s := &notify.SMS{Provider: &notify.HTTPSMS{URL: srv.URL, Token: "tok-0123456789abcdef"}}
	a := escalation()
	a.Recipients = append(a.Recipients, notify.Recipient{UserID: "u-bad", Phone: "call me maybe"})
	err := s.Notify(ctx, a)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"u-zhang <***8000>", "400 Bad Request", "u-bad", "bad phone number"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "13800138000") {
		t.Errorf("error shows a whole phone number: %v", err)
	}
	if !notify.IsPermanent(err) {
		t.Errorf("a 400 and a bad number are permanent")
	}
	// The refused message did not stop the next one.
	if got := sent(); len(got) != 2 || got[1]["phone"] != "13900139000" {
		t.Errorf("the gateway got %v", got)
	}

	// A 503 is worth retrying.
	srv2, _ := gateway(t, "Authorization", "Bearer x", func(string) int { return http.StatusServiceUnavailable })
	err = (&notify.SMS{Provider: &notify.HTTPSMS{URL: srv2.URL, Token: "x"}}).Notify(ctx, escalation())
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
	// Nobody with a phone.
	a = escalation()
	a.Recipients = a.Recipients[1:3]
	if err := (&notify.SMS{Provider: &notify.HTTPSMS{URL: srv.URL}}).Notify(ctx, a); !errors.Is(err, notify.ErrNoRecipients) {
		t.Fatalf("err = %v", err)
	}
}

// providerFunc is an SMSProvider for tests.
type providerFunc func(ctx context.Context, phone, text string) error

func (f providerFunc) Send(ctx context.Context, phone, text string) error { return f(ctx, phone, text) }

func TestSMSTextIsLocalizedAndFits(t *testing.T) {
	var texts []string
	s := &notify.SMS{Provider: providerFunc(func(_ context.Context, _, text string) error {
		texts = append(texts, text)
		return nil
	}), Signature: "[kefu] "}
	a := escalation()
	a.Facts.Subject = strings.Repeat("很长的主题", 50)
	a.Recipients = []notify.Recipient{
		{Phone: "13800138000", Locale: "en"},
		{Phone: "13800138001", Locale: "zh-Hant"},
	}
	a.Link = "https://kefu.example.com/tickets/123?with=a-long-query-string-that-will-not-fit-in-one-message"
	if err := s.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"[kefu] EMERGENCY: ticket #123 not acknowledged (escalated to supervisor)",
		"[kefu] 緊急事件：工單 #123 尚未有人確認（已升級至主管）",
	}
	for i, w := range want {
		if texts[i] != w {
			t.Errorf("text %d = %q, want %q", i, texts[i], w)
		}
	}
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

func TestFitSMS(t *testing.T) {
	long := strings.Repeat("紧急", 50)
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short stays", "工单 #1 已逾期", 70, "工单 #1 已逾期"},
		{"chinese cut at 70 with an ellipsis", long, 70, strings.Repeat("紧急", 34) + "紧…"},
		{"gsm text cut with three dots", strings.Repeat("a", 200), 160, strings.Repeat("a", 157) + "..."},
		{"gsm extension characters count twice", strings.Repeat("€", 100), 160, strings.Repeat("€", 78) + "..."},
		{"emoji count two units and are not split", strings.Repeat("🚨", 40), 70, strings.Repeat("🚨", 34) + "…"},
		{"combining marks stay with their letter", strings.Repeat("a", 68) + "e\u0301\u0301xyz", 70, strings.Repeat("a", 68) + "…"},
		{"zwj sequences are not cut in the middle", strings.Repeat("中", 66) + "👩\u200d💻" + "尾巴", 70, strings.Repeat("中", 66) + "…"},
		{"trailing space dropped", strings.Repeat("字", 60) + "          末尾很长很长很长", 70, strings.Repeat("字", 60) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := notify.FitSMS(tc.in, tc.max)
			if got != tc.want {
				t.Fatalf("FitSMS = %q (%d units), want %q", got, units(got), tc.want)
			}
			if !utf8.ValidString(got) || units(got) > tc.max {
				t.Fatalf("%q: invalid or %d units > %d", got, units(got), tc.max)
			}
		})
	}
}
