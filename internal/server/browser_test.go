package server

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

// chromium finds Debian's Chromium; .ci/run installs it. Without it the
// browser tests are skipped locally, never in CI (CI sets KEFU_REQUIRE_BROWSER).
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("KEFU_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("KEFU_REQUIRE_BROWSER") != "" {
		t.Fatal("Chromium not found and KEFU_REQUIRE_BROWSER is set")
	}
	t.Skip("Chromium not installed (apt-get install chromium)")
	return ""
}

// TestBrowserSignIn drives a real headless Chromium through the sign-in
// page: wrong password, right password, the start page in Traditional
// Chinese, and sign-out.
func TestBrowserSignIn(t *testing.T) {
	bin := chromium(t)
	h := newHarness(t, storetest.Backends()[0])
	// Chromium may still be writing its profile as it exits: clean up
	// ourselves, after it is gone, instead of with t.TempDir.
	profile, err := os.MkdirTemp("", "kefu-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(profile))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var errText, user, lang, health string
	err = chromedp.Run(ctx,
		chromedp.Navigate(h.srv.URL+"/login?lang=zh-Hant"),
		chromedp.WaitVisible(`#email`, chromedp.ByID),
		chromedp.SendKeys(`#email`, "root@kefu.test", chromedp.ByID),
		chromedp.SendKeys(`#password`, "not-the-password", chromedp.ByID),
		chromedp.Submit(`#password`, chromedp.ByID),
		chromedp.WaitVisible(`#error`, chromedp.ByID),
		chromedp.Text(`#error`, &errText, chromedp.ByID),
		chromedp.SendKeys(`#password`, "root-password-123", chromedp.ByID),
		chromedp.Submit(`#password`, chromedp.ByID),
		chromedp.WaitVisible(`#user`, chromedp.ByID),
		chromedp.Text(`#user`, &user, chromedp.ByID),
		chromedp.Text(`#health`, &health, chromedp.ByID),
		chromedp.AttributeValue(`html`, "lang", &lang, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	if errText != "電子郵件或密碼錯誤。" {
		t.Errorf("wrong-password message = %q", errText)
	}
	if user != "Administrator" || lang != "zh-Hant" || health != "正常" {
		t.Errorf("start page: user %q, lang %q, health %q", user, lang, health)
	}
	var signedOut bool
	err = chromedp.Run(ctx,
		chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/login"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("user") === null`, &signedOut),
	)
	if err != nil || !signedOut {
		t.Fatalf("sign-out: %v %v", err, signedOut)
	}
	var shot []byte
	if err := chromedp.Run(ctx, chromedp.Navigate(h.srv.URL+"/?lang=en"), chromedp.WaitVisible(`#health`, chromedp.ByID),
		chromedp.FullScreenshot(&shot, 100)); err != nil || len(shot) == 0 {
		t.Fatalf("screenshot: %v", err)
	}
	if dir := os.Getenv("KEFU_SCREENSHOTS"); dir != "" {
		os.WriteFile(strings.TrimSuffix(dir, "/")+"/home.png", shot, 0o644)
	}
}
