package relay

import (
	"strings"
	"testing"
	"time"
)

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		{"我的电话是13812345678，谢谢", "我的电话是[号码已隐藏]，谢谢"},
		{"call +86 138 1234 5678 please", "call [号码已隐藏] please"},
		{"座机 010-8888 6666", "座机 [号码已隐藏]"},
		{"全角１３８１２３４５６７８", "全角[号码已隐藏]"},
		{"邮箱 li.lei@example.com", "邮箱 [邮箱已隐藏]"},
		{"加我微信：lilei_2026", "加我微信：[账号已隐藏]"},
		{"我家在朝阳区建国路88号5号楼1203室，送过来吧", "我家在[地址已隐藏]，送过来吧"},
		{"送到建国路88号", "送到[地址已隐藏]"},
		{"I live at 221B Baker Street, Apt 5", "I live at [地址已隐藏], [地址已隐藏]"},
		{"我在3号门等你", "我在3号门等你"},
		{"明天 2026-11-12 送到", "明天 2026-11-12 送到"},
		{"手机在后座，明天上午10点前送回", "手机在后座，明天上午10点前送回"},
		{"黑色 iPhone 15，壳是蓝色的", "黑色 iPhone 15，壳是蓝色的"},
	}
	for _, c := range cases {
		got, changed := Mask(c.in, "zh-Hans")
		if got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
		if changed != (c.in != c.want) {
			t.Errorf("Mask(%q) changed = %v", c.in, changed)
		}
	}
	if got, _ := Mask("电话 13812345678", "en"); got != "电话 [number hidden]" {
		t.Errorf("en placeholder: %q", got)
	}
	if got, _ := Mask("電話 13812345678", "zh-TW"); got != "電話 [號碼已隱藏]" {
		t.Errorf("zh-Hant placeholder: %q", got)
	}
}

func TestPhones(t *testing.T) {
	if p, ok := NormalizePhone("+86 138-1234-5678"); !ok || p != "+8613812345678" {
		t.Fatalf("normalize: %q %v", p, ok)
	}
	for _, bad := range []string{"", "123", "call me", "1380000000000000000"} {
		if _, ok := NormalizePhone(bad); ok {
			t.Errorf("NormalizePhone(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"13812345678": "138****5678", "+8613812345678": "138****5678", "+14155550123": "+141****0123", "123456": "****56"} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	if !SamePhone("+86 138 1234 5678", "13812345678") || SamePhone("13812345678", "13812345679") || SamePhone("12345", "12345") {
		t.Fatal("SamePhone")
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewCode()
		if NormalizeCode(c) != c || len(c) != CodeLen {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 990 {
		t.Fatalf("codes repeat: %d distinct of 1000", len(seen))
	}
	if NormalizeCode(" #k7m2qx ") != "K7M2QX" || NormalizeCode("K7M2Q0") != "" || NormalizeCode("K7M2") != "" {
		t.Fatal("NormalizeCode")
	}
	for in, want := range map[string][2]string{
		"K7M2QX 找到了":  {"K7M2QX", "找到了"},
		"#k7m2qx：找到了": {"K7M2QX", "找到了"},
		"K7M2QXY 找到了": {"", "K7M2QXY 找到了"},
		"找到了 K7M2QX":  {"", "找到了 K7M2QX"},
		"K7M2QX":      {"K7M2QX", ""},
	} {
		if c, rest := LeadingCode(in); c != want[0] || rest != want[1] {
			t.Errorf("LeadingCode(%q) = %q, %q", in, c, rest)
		}
	}
}

func TestTexts(t *testing.T) {
	due := time.Date(2026, 11, 12, 2, 0, 0, 0, time.UTC)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	for _, loc := range []string{"zh-Hans", "zh-Hant", "en", ""} {
		for _, s := range []string{SMS(loc, OriginAgent, "K7M2QX", "x"), SMS(loc, OriginCustomer, "K7M2QX", "x")} {
			if strings.Count(s, "K7M2QX") != 2 {
				t.Errorf("%s: SMS without its code twice: %q", loc, s)
			}
		}
		if o := Opened(loc, KindDriver, due, sh); !strings.Contains(o, "2026-11-12 10:00") {
			t.Errorf("%s: Opened: %q", loc, o)
		}
	}
	if Reply("zh-Hans", KindDriver, "找到了") != "司机回复：找到了" || Reply("zh-TW", KindCourier, "好") != "快遞員回覆：好" ||
		Reply("en", KindMerchant, "ok") != "The merchant replied: ok" {
		t.Fatal("Reply")
	}
}
