package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
)

func TestComposeTitles(t *testing.T) {
	due := time.Date(2026, 11, 11, 7, 0, 0, 0, time.UTC) // 15:00 in Shanghai
	f := notify.Facts{TicketNumber: 123, EmergencyKind: "kidnapping", Owner: "王芳", Rung: "supervisor",
		Due: due, Now: due.Add(-30 * time.Minute), TimeZone: "Asia/Shanghai", MinutesOverdue: 45}
	want := map[string][3]string{ // zh-Hans, zh-Hant, en
		notify.KindEmergencyRaised: {
			"紧急事件：工单 #123（绑架或被扣留）需要立即处理",
			"緊急事件：工單 #123（綁架或被扣留）需要立即處理",
			"EMERGENCY: ticket #123 (kidnapping or being held) needs a person now"},
		notify.KindEmergencyEscalated: {
			"紧急事件：工单 #123 尚未有人确认（已升级至主管）",
			"緊急事件：工單 #123 尚未有人確認（已升級至主管）",
			"EMERGENCY: ticket #123 not acknowledged (escalated to supervisor)"},
		notify.KindCommitmentReminder: {
			"承诺即将到期：工单 #123 须于 11月11日 15:00 前兑现",
			"承諾即將到期：工單 #123 須於 11月11日 15:00 前兌現",
			"Commitment due soon: ticket #123 due 11 Nov 15:00"},
		notify.KindCommitmentMissed: {
			"承诺已逾期：工单 #123 已超时 45 分钟",
			"承諾已逾期：工單 #123 已超時 45 分鐘",
			"Commitment missed: ticket #123 is 45 min overdue"},
		notify.KindCommitmentEscalated: {
			"承诺逾期升级：工单 #123 已逾期 45 分钟（已升级至主管）",
			"承諾逾期升級：工單 #123 已逾期 45 分鐘（已升級至主管）",
			"Commitment overdue: ticket #123 is 45 min overdue (escalated to supervisor)"},
		notify.KindExpediteAssigned: {
			"加急：工单 #123 由王芳负责，须于 11月11日 15:00 前完成",
			"加急：工單 #123 由王芳負責，須於 11月11日 15:00 前完成",
			"Expedite: ticket #123 owned by 王芳, due 11 Nov 15:00"},
		"ticket.other": {"客服通知：工单 #123", "客服通知：工單 #123", "Alert: ticket #123"},
	}
	for kind, titles := range want {
		for i, locale := range []string{"zh-Hans", "zh-Hant", "en"} {
			title, body := notify.Compose(kind, locale, f)
			if title != titles[i] {
				t.Errorf("%s %s: title %q, want %q", kind, locale, title, titles[i])
			}
			if body == "" || strings.Contains(body, "%!") || strings.Contains(title, "%!") {
				t.Errorf("%s %s: body %q", kind, locale, body)
			}
		}
	}
}

func TestComposeBodies(t *testing.T) {
	due := time.Date(2026, 11, 13, 10, 0, 0, 0, time.UTC)
	f := notify.Facts{TicketNumber: 88, Subject: "退款\r\n一直没到账\t\x00", Promise: "回电说明退款进度", Owner: "王芳",
		Due: due, Now: due.Add(-90 * time.Minute), TimeZone: "Asia/Shanghai", Link: "https://kefu.example.com/t/88"}
	tests := []struct {
		locale string
		want   []string
	}{
		{"zh-Hans", []string{"对客户的承诺即将到期（还剩 1 小时 30 分钟）。", "主题：退款 一直没到账\n", "承诺：回电说明退款进度",
			"负责人：王芳", "截止：2026年11月13日（星期五）18:00（UTC+08:00）", "链接：https://kefu.example.com/t/88"}},
		{"zh-TW", []string{"對客戶的承諾即將到期（還剩 1 小時 30 分鐘）。", "主旨：退款 一直没到账\n", "負責人：王芳",
			"截止：2026年11月13日（星期五）18:00（UTC+08:00）", "連結：https://kefu.example.com/t/88"}},
		{"en-GB", []string{"A commitment to the customer is due soon (1 h 30 min left).", "Subject: 退款 一直没到账\n",
			"Owner: 王芳", "Due: Fri 13 Nov 2026 18:00 (UTC+08:00)", "Link: https://kefu.example.com/t/88"}},
	}
	for _, tc := range tests {
		_, body := notify.Compose(notify.KindCommitmentReminder, tc.locale, f)
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s body lacks %q:\n%s", tc.locale, w, body)
			}
		}
		if strings.ContainsAny(body, "\r\t\x00") {
			t.Errorf("%s body keeps control characters: %q", tc.locale, body)
		}
	}

	// Without a time zone the deadline is in UTC, and says so.
	f.TimeZone = ""
	if _, body := notify.Compose(notify.KindCommitmentReminder, "en", f); !strings.Contains(body, "Due: Fri 13 Nov 2026 10:00 (UTC)") {
		t.Errorf("UTC deadline: %s", body)
	}
	// Long spans in days.
	if title, _ := notify.Compose(notify.KindCommitmentMissed, "zh-Hans", notify.Facts{TicketNumber: 1, MinutesOverdue: 3*24*60 + 120}); title != "承诺已逾期：工单 #1 已超时 3 天 2 小时" {
		t.Errorf("days: %q", title)
	}
	// Unknown emergency kinds and rungs are shown readably.
	if title, _ := notify.Compose(notify.KindEmergencyEscalated, "en", notify.Facts{TicketNumber: 9, Rung: "regional_director"}); title != "EMERGENCY: ticket #9 not acknowledged (escalated to regional director)" {
		t.Errorf("unknown rung: %q", title)
	}
}

// TestComposeWithoutFacts: every kind says something sensible with no
// facts at all (no dangling punctuation, no empty placeholders).
func TestComposeWithoutFacts(t *testing.T) {
	for _, kind := range notify.Kinds {
		for _, locale := range []string{"zh-Hans", "zh-Hant", "en", "", "fr"} {
			title, body := notify.Compose(kind, locale, notify.Facts{})
			for _, bad := range []string{"#0", "%!", "（）", "()", "  ", " ，", "由负责", "owned by ,"} {
				if strings.Contains(title, bad) || strings.Contains(body, bad) {
					t.Errorf("%s %q: %q / %q contains %q", kind, locale, title, body, bad)
				}
			}
		}
	}
}

// simplified holds characters that only simplified Chinese writes: none
// may appear in zh-Hant text kefu writes itself.
const simplified = "紧单级确认诺将须兑时钟负识别为开预规对户还请无实尽进决间处类题链并险灾伤儿组经总团员"

func TestComposeTraditionalHasNoSimplifiedCharacters(t *testing.T) {
	f := notify.Facts{TicketNumber: 5, Owner: "Wang", Rung: "team_lead", Due: t0, Now: t0.Add(-time.Hour), MinutesOverdue: 61, Link: "https://x.test/t/5"}
	for _, ek := range []string{"help_cry", "kidnapping", "violence", "weapon", "sexual_assault", "accident_injury", "fire", "gas",
		"self_harm", "child_locked", "medical", "danger_situation", ""} {
		f.EmergencyKind = ek
		for _, rung := range []string{"agent", "team_lead", "supervisor", "manager", "director", "safety", "safety_team", "on_call"} {
			f.Rung = rung
			for _, kind := range append(notify.Kinds, "other.kind") {
				title, body := notify.Compose(kind, "zh-Hant", f)
				if i := strings.IndexAny(title+body, simplified); i >= 0 {
					t.Fatalf("%s/%s/%s: simplified character in %q", kind, ek, rung, title+"\n"+body)
				}
			}
		}
	}
}

func TestNormalizeLocale(t *testing.T) {
	for in, want := range map[string]string{
		"zh-Hans": "zh-Hans", "zh-CN": "zh-Hans", "zh": "zh-Hans", "ZH-hant-HK": "zh-Hant", "zh-TW": "zh-Hant", "zh-HK": "zh-Hant",
		"en": "en", "en-US": "en", "": "zh-Hans", "ja": "zh-Hans",
	} {
		if got := notify.NormalizeLocale(in); got != want {
			t.Errorf("NormalizeLocale(%q) = %q, want %q", in, got, want)
		}
	}
}
