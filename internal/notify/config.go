package notify

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Config is a tenant's notification channels, as stored and as the admin
// API shows them (after Redacted).
type Config struct {
	Channels []Channel `json:"channels"`
}

// Channel kinds.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
	ChannelSMS     = "sms"
	ChannelLog     = "log"
)

// Channel is one way of reaching people. Exactly the settings block of its
// Kind is set.
type Channel struct {
	// Name tells channels apart in errors and when secrets are restored
	// (see WithSecretsFrom); unique when given.
	Name string `json:"name,omitempty"`
	Kind string `json:"kind"`
	// Alerts limits the channel to these kinds or families
	// ("emergency.*", "commitment.missed"); empty means every alert.
	Alerts  []string       `json:"alerts,omitempty"`
	Webhook *WebhookConfig `json:"webhook,omitempty"`
	Email   *EmailConfig   `json:"email,omitempty"`
	SMS     *SMSConfig     `json:"sms,omitempty"`
}

// WebhookConfig configures a Webhook. Secret and PreviousSecret are
// secrets.
type WebhookConfig struct {
	URL            string `json:"url"`
	Secret         string `json:"secret"`
	PreviousSecret string `json:"previous_secret,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
}

// EmailConfig configures Email. Password is a secret.
type EmailConfig struct {
	Host     string `json:"host"`
	Port     int    `json:"port,omitempty"`
	From     string `json:"from"`
	FromName string `json:"from_name,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// TLS is starttls (default), require_starttls, implicit or none.
	TLS            string `json:"tls,omitempty"`
	LegacyCharsets bool   `json:"legacy_charsets,omitempty"`
	HeloName       string `json:"helo_name,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
}

// SMSConfig configures SMS. Token is a secret; so keep other secrets out
// of Extra, which is shown as it is.
type SMSConfig struct {
	// Provider is "http" (HTTPSMS, the default) or a provider the program
	// registered in Options.SMSProviders; the HTTP fields are for "http".
	Provider       string            `json:"provider,omitempty"`
	URL            string            `json:"url,omitempty"`
	Token          string            `json:"token,omitempty"`
	TokenHeader    string            `json:"token_header,omitempty"`
	PhoneField     string            `json:"phone_field,omitempty"`
	TextField      string            `json:"text_field,omitempty"`
	Extra          map[string]string `json:"extra,omitempty"`
	TimeoutSeconds int               `json:"timeout_seconds,omitempty"`
	MaxChars       int               `json:"max_chars,omitempty"`
	Signature      string            `json:"signature,omitempty"`
}

// RedactedValue replaces a secret in Redacted; WithSecretsFrom puts the
// secret back.
const RedactedValue = "[redacted]"

// Redacted returns a copy with every secret that is set replaced by
// RedactedValue: what an admin API may show.
func (c Config) Redacted() Config {
	out := c.clone()
	for i := range out.Channels {
		for _, s := range out.Channels[i].secrets() {
			if *s != "" {
				*s = RedactedValue
			}
		}
	}
	return out
}

// WithSecretsFrom returns a copy of c where each secret that is still
// RedactedValue (an admin saved back what Redacted showed) is taken from
// the same channel of prev: the one with the same Name, or, for unnamed
// channels, the one at the same position with the same kind. A marker
// with no such channel stays and fails validation.
func (c Config) WithSecretsFrom(prev Config) Config {
	out := c.clone()
	for i := range out.Channels {
		ch := &out.Channels[i]
		old := prev.match(i, *ch)
		if old == nil {
			continue
		}
		oldSecrets := old.secrets()
		for j, s := range ch.secrets() {
			if *s == RedactedValue && j < len(oldSecrets) {
				*s = *oldSecrets[j]
			}
		}
	}
	return out
}

func (c Config) match(i int, ch Channel) *Channel {
	for j := range c.Channels {
		if ch.Name != "" && c.Channels[j].Name == ch.Name && c.Channels[j].Kind == ch.Kind {
			cp := c.Channels[j].clone()
			return &cp
		}
	}
	if ch.Name == "" && i < len(c.Channels) && c.Channels[i].Name == "" && c.Channels[i].Kind == ch.Kind {
		cp := c.Channels[i].clone()
		return &cp
	}
	return nil
}

// secrets points at the channel's secret fields, in a fixed order for its
// kind (empty blocks are given as zero values so the order holds).
func (ch *Channel) secrets() []*string {
	var out []*string
	if ch.Webhook != nil {
		out = append(out, &ch.Webhook.Secret, &ch.Webhook.PreviousSecret)
	}
	if ch.Email != nil {
		out = append(out, &ch.Email.Password)
	}
	if ch.SMS != nil {
		out = append(out, &ch.SMS.Token)
	}
	return out
}

func (c Config) clone() Config {
	out := Config{Channels: make([]Channel, len(c.Channels))}
	for i, ch := range c.Channels {
		out.Channels[i] = ch.clone()
	}
	if c.Channels == nil {
		out.Channels = nil
	}
	return out
}

func (ch Channel) clone() Channel {
	ch.Alerts = slices.Clone(ch.Alerts)
	if ch.Webhook != nil {
		w := *ch.Webhook
		ch.Webhook = &w
	}
	if ch.Email != nil {
		e := *ch.Email
		ch.Email = &e
	}
	if ch.SMS != nil {
		s := *ch.SMS
		if s.Extra != nil {
			s.Extra = make(map[string]string, len(ch.SMS.Extra))
			for k, v := range ch.SMS.Extra {
				s.Extra[k] = v
			}
		}
		ch.SMS = &s
	}
	return ch
}

// FieldError is one problem with one field of a Config, named by its JSON
// path: "channels[1].email.port".
type FieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }

// ConfigError lists every problem Validate found.
type ConfigError struct {
	Problems []FieldError `json:"problems"`
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return "notify: invalid configuration: " + strings.Join(parts, "; ")
}

// Options are what Build needs from the program rather than the tenant.
type Options struct {
	// Logger receives "log" channels' alerts; slog.Default() when nil.
	Logger *slog.Logger
	// HTTPClient is used by webhook and HTTP SMS channels.
	HTTPClient *http.Client
	// TLSConfig is the base of SMTP TLS connections (root CAs…).
	TLSConfig *tls.Config
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// SMSProviders are the providers an SMS channel may name besides
	// "http".
	SMSProviders map[string]SMSProvider
	// AllowHTTP permits plain http:// URLs to hosts other than loopback,
	// for development. Without it webhook and SMS URLs must be https.
	AllowHTTP bool
}

// Validate checks c as Build would with default Options. The error is a
// *ConfigError naming every bad field.
func (c Config) Validate() error { return c.validate(Options{}) }

func (c Config) validate(o Options) error {
	v := &validator{opts: o}
	if len(c.Channels) == 0 {
		v.add("channels", "at least one channel is required")
	}
	names := map[string]int{}
	for i, ch := range c.Channels {
		p := fmt.Sprintf("channels[%d]", i)
		if ch.Name != "" {
			if j, dup := names[ch.Name]; dup {
				v.add(p+".name", fmt.Sprintf("%q is already the name of channels[%d]", ch.Name, j))
			}
			names[ch.Name] = i
		}
		for j, a := range ch.Alerts {
			if !knownPattern(a) {
				v.add(fmt.Sprintf("%s.alerts[%d]", p, j), fmt.Sprintf("unknown alert kind %q (want one of %s, a family like \"emergency.*\", or \"*\")", a, strings.Join(Kinds, ", ")))
			}
		}
		blocks := map[string]bool{ChannelWebhook: ch.Webhook != nil, ChannelEmail: ch.Email != nil, ChannelSMS: ch.SMS != nil}
		switch ch.Kind {
		case ChannelWebhook, ChannelEmail, ChannelSMS, ChannelLog:
		case "":
			v.add(p+".kind", "required: webhook, email, sms or log")
		default:
			v.add(p+".kind", fmt.Sprintf("unknown kind %q: want webhook, email, sms or log", ch.Kind))
		}
		for _, k := range []string{ChannelWebhook, ChannelEmail, ChannelSMS} {
			switch {
			case blocks[k] && ch.Kind != k:
				v.add(p+"."+k, fmt.Sprintf("settings for a %s channel on a channel of kind %q", k, ch.Kind))
			case !blocks[k] && ch.Kind == k:
				v.add(p+"."+k, "required for a channel of kind "+k)
			}
		}
		switch {
		case ch.Webhook != nil && ch.Kind == ChannelWebhook:
			v.webhook(p+".webhook", ch.Webhook)
		case ch.Email != nil && ch.Kind == ChannelEmail:
			v.email(p+".email", ch.Email)
		case ch.SMS != nil && ch.Kind == ChannelSMS:
			v.sms(p+".sms", ch.SMS)
		}
	}
	if len(v.problems) > 0 {
		return &ConfigError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	opts     Options
	problems []FieldError
}

func (v *validator) add(field, problem string) {
	v.problems = append(v.problems, FieldError{Field: field, Problem: problem})
}

func (v *validator) secret(field, s string, required bool) {
	switch {
	case s == "" && required:
		v.add(field, "required")
	case s == RedactedValue:
		v.add(field, "still "+RedactedValue+": give the secret again")
	case s != "" && len(s) < 16:
		v.add(field, "too short: use at least 16 characters")
	}
}

func (v *validator) timeout(field string, secs, max int) {
	if secs < 0 || secs > max {
		v.add(field, fmt.Sprintf("must be between 0 (default) and %d", max))
	}
}

// url checks an http(s) URL (see URLProblem).
func (v *validator) url(field, raw string) {
	if p := URLProblem(raw, v.opts.AllowHTTP); p != "" {
		v.add(field, p)
	}
}

// URLProblem says what is wrong with a URL kefu is to send to, or "": it
// must be absolute http(s), and https unless it goes to a loopback host
// (or allowHTTP). Alerts and customers' words cross it.
func URLProblem(raw string, allowHTTP bool) string {
	if raw == "" {
		return "required"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "must be an absolute http(s) URL"
	}
	if u.Scheme == "http" && !allowHTTP && !loopback(u.Hostname()) {
		return "must use https (plain http only to localhost)"
	}
	return ""
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) webhook(p string, w *WebhookConfig) {
	v.url(p+".url", w.URL)
	v.secret(p+".secret", w.Secret, true)
	v.secret(p+".previous_secret", w.PreviousSecret, false)
	v.timeout(p+".timeout_seconds", w.TimeoutSeconds, 60)
}

func (v *validator) email(p string, e *EmailConfig) {
	switch {
	case e.Host == "":
		v.add(p+".host", "required")
	case strings.ContainsAny(e.Host, " /:@\r\n") && net.ParseIP(e.Host) == nil:
		v.add(p+".host", "must be a host name or IP address, without scheme or port")
	}
	if e.Port < 0 || e.Port > 65535 {
		v.add(p+".port", "must be between 1 and 65535 (0 for the default of the TLS mode)")
	}
	if e.From == "" {
		v.add(p+".from", "required")
	} else if a, err := mail.ParseAddress(e.From); err != nil || a.Name != "" {
		v.add(p+".from", "must be a bare address like alerts@example.com (the name goes in from_name)")
	} else if !isASCII(a.Address) {
		v.add(p+".from", "must be an ASCII address")
	}
	switch e.TLS {
	case "", TLSStartTLS, TLSRequireStartTLS, TLSImplicit, TLSNone:
	default:
		v.add(p+".tls", fmt.Sprintf("unknown mode %q: want starttls, require_starttls, implicit or none", e.TLS))
	}
	switch {
	case e.Username != "" && e.TLS == TLSNone:
		v.add(p+".username", "credentials need TLS: with tls \"none\" the password would travel in clear")
	case e.Username == "" && e.Password != "":
		v.add(p+".username", "required with a password")
	}
	if e.Password == RedactedValue {
		v.add(p+".password", "still "+RedactedValue+": give the password again")
	}
	if strings.ContainsAny(e.HeloName, " \r\n") {
		v.add(p+".helo_name", "must be a host name")
	}
	v.timeout(p+".timeout_seconds", e.TimeoutSeconds, 300)
}

func (v *validator) sms(p string, s *SMSConfig) {
	switch s.Provider {
	case "", "http":
		v.url(p+".url", s.URL)
		v.secret(p+".token", s.Token, false)
		phone, text := cmp.Or(s.PhoneField, "phone"), cmp.Or(s.TextField, "text")
		if phone == text {
			v.add(p+".text_field", "must differ from phone_field")
		}
		for k := range s.Extra {
			if k == phone || k == text {
				v.add(p+".extra."+k, "would overwrite the phone or text field")
			}
		}
		if strings.ContainsAny(s.TokenHeader, " :\r\n") {
			v.add(p+".token_header", "must be a header name")
		}
	default:
		if _, ok := v.opts.SMSProviders[s.Provider]; !ok {
			v.add(p+".provider", fmt.Sprintf("unknown provider %q", s.Provider))
		}
		if s.URL != "" || s.Token != "" {
			v.add(p+".provider", "url and token are for the http provider")
		}
	}
	if s.MaxChars != 0 && (s.MaxChars < 20 || s.MaxChars > 1000) {
		v.add(p+".max_chars", "must be between 20 and 1000 (0 for one message: 70, or 160 in GSM-7)")
	}
	if utf8.RuneCountInString(s.Signature) > 20 {
		v.add(p+".signature", "at most 20 characters")
	}
	v.timeout(p+".timeout_seconds", s.TimeoutSeconds, 60)
}

func knownPattern(p string) bool {
	if p == "*" || slices.Contains(Kinds, p) || p == KindRelayMessage || p == "relay.*" { // relayed messages to parties (RelaySMS)
		return true
	}
	fam, ok := strings.CutSuffix(p, ".*")
	return ok && slices.ContainsFunc(Kinds, func(k string) bool { return strings.HasPrefix(k, fam+".") })
}

// Build validates cfg and returns the Notifier that sends to all its
// channels (a Multi when there are several). The error is a *ConfigError.
func Build(cfg Config, o Options) (Notifier, error) {
	if err := cfg.validate(o); err != nil {
		return nil, err
	}
	secs := func(n int) time.Duration { return time.Duration(n) * time.Second }
	var out Multi
	for i, ch := range cfg.Channels {
		var n Notifier
		switch ch.Kind {
		case ChannelWebhook:
			w := ch.Webhook
			n = &Webhook{URL: w.URL, Secret: w.Secret, PreviousSecret: w.PreviousSecret, Timeout: secs(w.TimeoutSeconds), Client: o.HTTPClient, Now: o.Now}
		case ChannelEmail:
			e := ch.Email
			n = &Email{Host: e.Host, Port: e.Port, From: e.From, FromName: e.FromName, Username: e.Username, Password: e.Password,
				TLS: e.TLS, LegacyCharsets: e.LegacyCharsets, HeloName: e.HeloName, Timeout: secs(e.TimeoutSeconds), TLSConfig: o.TLSConfig, Now: o.Now}
		case ChannelSMS:
			s := ch.SMS
			p := o.SMSProviders[s.Provider]
			if s.Provider == "" || s.Provider == "http" {
				p = &HTTPSMS{URL: s.URL, Token: s.Token, TokenHeader: s.TokenHeader, PhoneField: s.PhoneField, TextField: s.TextField,
					Extra: s.Extra, Timeout: secs(s.TimeoutSeconds), Client: o.HTTPClient}
			}
			n = &SMS{Provider: p, MaxChars: s.MaxChars, Signature: s.Signature}
		case ChannelLog:
			n = Log{Logger: o.Logger}
		}
		name := ch.Name
		if name == "" {
			name = fmt.Sprintf("%s#%d", ch.Kind, i)
		}
		out = append(out, &named{name: name, n: Only(n, ch.Alerts...)})
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

// named puts the channel's name on its errors, to tell two webhooks apart.
type named struct {
	name string
	n    Notifier
}

func (c *named) Notify(ctx context.Context, a Alert) error {
	if err := c.n.Notify(ctx, a); err != nil {
		return fmt.Errorf("channel %s: %w", c.name, err)
	}
	return nil
}
