package notify_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
)

const configJSON = `{
  "channels": [
    {"name": "oncall", "kind": "webhook",
     "webhook": {"url": "https://oncall.acme.test/kefu", "secret": "whsec-0123456789abcdef"}},
    {"name": "mail", "kind": "email",
     "email": {"host": "smtp.acme.test", "port": 587, "from": "alerts@acme.test", "from_name": "客服值班",
               "username": "alerts@acme.test", "password": "smtp-password-0123", "tls": "require_starttls"}},
    {"name": "sms", "kind": "sms", "alerts": ["emergency.*"],
     "sms": {"url": "https://sms.acme.test/v1/send", "token": "sms-token-0123456789", "token_header": "X-Api-Key",
             "phone_field": "mobile", "text_field": "content", "extra": {"sign_name": "某某客服"}}},
    {"kind": "log"}
  ]
}`

func parseConfig(t *testing.T, s string) notify.Config {
	t.Helper()
	var c notify.Config
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigRedactedAndRestored(t *testing.T) {
	c := parseConfig(t, configJSON)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r := c.Redacted()
	out, _ := json.Marshal(r)
	for _, secret := range []string{"whsec-0123456789abcdef", "smtp-password-0123", "sms-token-0123456789"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("redacted config shows %q: %s", secret, out)
		}
		if !strings.Contains(configJSON, secret) {
			t.Fatal("test bug")
		}
	}
	if r.Channels[1].Email.Username != "alerts@acme.test" || r.Channels[0].Webhook.PreviousSecret != "" {
		t.Errorf("redaction went too far or marked an empty secret: %s", out)
	}
	if c.Channels[0].Webhook.Secret != "whsec-0123456789abcdef" {
		t.Fatal("Redacted changed the original")
	}
	// A redacted config saved back as it is fails validation, naming the
	// fields…
	err := r.Validate()
	var ce *notify.ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 || ce.Problems[0].Field != "channels[0].webhook.secret" {
		t.Fatalf("validate redacted = %v", err)
	}
	// …until the secrets are restored from the stored config. An edited
	// field stays edited, a replaced secret stays replaced.
	r.Channels[1].Email.Host = "smtp2.acme.test"
	r.Channels[2].SMS.Token = "new-sms-token-0123456789"
	back := r.WithSecretsFrom(c)
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	if back.Channels[0].Webhook.Secret != "whsec-0123456789abcdef" || back.Channels[1].Email.Password != "smtp-password-0123" ||
		back.Channels[1].Email.Host != "smtp2.acme.test" || back.Channels[2].SMS.Token != "new-sms-token-0123456789" {
		t.Fatalf("restored = %+v", back)
	}
	// A channel renamed is a new channel: its marker is not filled in.
	r.Channels[0].Name = "renamed"
	if err := r.WithSecretsFrom(c).Validate(); err == nil || !strings.Contains(err.Error(), "channels[0].webhook.secret") {
		t.Fatalf("renamed channel: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		json string
		opts notify.Options
		want []string // "field: part of the problem"
	}{
		{"empty", `{"channels": []}`, notify.Options{}, []string{"channels: at least one channel"}},
		{"unknown kind", `{"channels": [{"kind": "pager"}]}`, notify.Options{}, []string{`channels[0].kind: unknown kind "pager"`}},
		{"missing block and wrong block", `{"channels": [{"kind": "webhook", "email": {"host": "x", "from": "a@b.test"}}]}`, notify.Options{},
			[]string{"channels[0].webhook: required", "channels[0].email: settings for a email channel"}},
		{"webhook fields", `{"channels": [{"kind": "webhook", "webhook": {"url": "http://hooks.acme.test/x", "secret": "short", "timeout_seconds": 600}}]}`, notify.Options{},
			[]string{"channels[0].webhook.url: must use https", "channels[0].webhook.secret: too short", "channels[0].webhook.timeout_seconds: must be between"}},
		{"plain http allowed for development", `{"channels": [{"kind": "webhook", "webhook": {"url": "http://hooks.acme.test/x", "secret": "0123456789abcdef"}}]}`,
			notify.Options{AllowHTTP: true}, nil},
		{"plain http to loopback", `{"channels": [{"kind": "webhook", "webhook": {"url": "http://127.0.0.1:9000/x", "secret": "0123456789abcdef"}}]}`, notify.Options{}, nil},
		{"not a URL", `{"channels": [{"kind": "webhook", "webhook": {"url": "hooks.acme.test", "secret": "0123456789abcdef"}}]}`, notify.Options{},
			[]string{"channels[0].webhook.url: must be an absolute http(s) URL"}},
		{"email fields", `{"channels": [{"kind": "email", "email": {"host": "smtp://mail.acme.test", "port": 70000, "from": "Alerts <alerts@acme.test>", "tls": "ssl", "password": "x"}}]}`, notify.Options{},
			[]string{"channels[0].email.host: must be a host name", "channels[0].email.port: must be between 1 and 65535", "channels[0].email.from: must be a bare address",
				`channels[0].email.tls: unknown mode "ssl"`, "channels[0].email.username: required with a password"}},
		{"credentials without TLS", `{"channels": [{"kind": "email", "email": {"host": "mail.acme.test", "from": "a@acme.test", "tls": "none", "username": "u", "password": "p"}}]}`, notify.Options{},
			[]string{"channels[0].email.username: credentials need TLS"}},
		{"sms fields", `{"channels": [{"kind": "sms", "sms": {"url": "", "phone_field": "to", "text_field": "to", "extra": {"to": "x"}, "max_chars": 5}}]}`, notify.Options{},
			[]string{"channels[0].sms.url: required", "channels[0].sms.text_field: must differ", "channels[0].sms.extra.to: would overwrite", "channels[0].sms.max_chars"}},
		{"unknown sms provider", `{"channels": [{"kind": "sms", "sms": {"provider": "aliyun"}}]}`, notify.Options{},
			[]string{`channels[0].sms.provider: unknown provider "aliyun"`}},
		{"registered sms provider", `{"channels": [{"kind": "sms", "sms": {"provider": "aliyun"}}]}`,
			notify.Options{SMSProviders: map[string]notify.SMSProvider{"aliyun": providerFunc(nil)}}, nil},
		{"alerts and names", `{"channels": [{"name": "a", "kind": "log", "alerts": ["emergency.*", "commitment.late", "ticket.*"]}, {"name": "a", "kind": "log"}]}`, notify.Options{},
			[]string{`channels[0].alerts[1]: unknown alert kind "commitment.late"`, `channels[0].alerts[2]: unknown alert kind "ticket.*"`, `channels[1].name: "a" is already the name of channels[0]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := notify.Build(parseConfig(t, tc.json), tc.opts)
			if len(tc.want) == 0 {
				if err != nil || n == nil {
					t.Fatalf("Build = %v", err)
				}
				return
			}
			var ce *notify.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Build = %v, want a *ConfigError", err)
			}
			if len(ce.Problems) != len(tc.want) {
				t.Errorf("problems = %v, want %d", ce.Problems, len(tc.want))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestBuildEndToEnd builds every kind of channel from JSON and sends a
// commitment alert and an emergency through them: the SMS channel only
// takes emergencies.
func TestBuildEndToEnd(t *testing.T) {
	hook, hookRequests := receiver(t, "whsec-0123456789abcdef", t0, http.StatusOK, "")
	smsSrv, smsSent := gateway(t, "X-Api-Key", "sms-token-0123456789", ok)
	smtp, pool := newSMTPServer(t, smtpOpts{startTLS: true, user: "alerts@acme.test", pass: "smtp-password-0123"})
	cfg := parseConfig(t, configJSON)
	cfg.Channels[0].Webhook.URL = hook.URL + "/kefu"
	cfg.Channels[1].Email.Host, cfg.Channels[1].Email.Port = smtp.Host, smtp.Port
	cfg.Channels[2].SMS.URL = smsSrv.URL + "/v1/send"
	var logs bytes.Buffer
	n, err := notify.Build(cfg, notify.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), TLSConfig: &tls.Config{RootCAs: pool},
		Now: func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}

	f := notify.Facts{TicketNumber: 77, Subject: "退款一直没到账", Promise: "3 个工作日内退款到原支付账户", Owner: "王芳",
		Due: t0.Add(-45 * time.Minute), TimeZone: "Asia/Shanghai", MinutesOverdue: 45, Link: "https://kefu.example.com/t/77"}
	title, body := notify.Compose(notify.KindCommitmentMissed, "zh-Hans", f)
	missed := notify.Alert{ID: "al-77-missed", Kind: notify.KindCommitmentMissed, TicketNumber: 77, Title: title, Body: body, Link: f.Link, At: t0,
		Recipients: []notify.Recipient{{UserID: "u-wang", Name: "王芳", Email: "wang@acme.test", Phone: "13700137000", Locale: "zh-Hans"}}, Facts: &f}
	if err := n.Notify(ctx, missed); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, escalation()); err != nil {
		t.Fatal(err)
	}
	if r := hookRequests(); len(r) != 2 || r[0].alert.ID != "al-77-missed" || r[1].alert.ID != "al-0001" {
		t.Fatalf("webhook got %+v", r)
	}
	if m := smtp.messages(); len(m) != 4 || m[0].String() != "承诺已逾期：工单 #77 已超时 45 分钟" {
		t.Fatalf("smtp got %d messages, first %q", len(m), m[0].String())
	}
	if s := smsSent(); len(s) != 2 || s[0]["mobile"] != "+8613800138000" {
		t.Fatalf("sms got %v (the commitment must not go by SMS)", s)
	}
	if c := strings.Count(logs.String(), "notify:"); c != 2 {
		t.Fatalf("log channel wrote %d alerts: %s", c, logs.String())
	}

	// A failing channel is named in the error.
	hook.Close()
	err = n.Notify(ctx, escalation())
	if err == nil || !strings.Contains(err.Error(), "channel oncall: notify: webhook to http://127.0.0.1") || notify.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
	if len(smtp.messages()) != 7 {
		t.Fatalf("email was not sent while the webhook was down")
	}
}
