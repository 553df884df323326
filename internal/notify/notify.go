// Package notify alerts people on call: when an emergency is raised or
// escalated, when a commitment made to a customer is due soon, missed or
// escalated, and when an expedite is assigned to an owner.
//
// A Notifier delivers one Alert once. Channels are pluggable: a signed
// Webhook (for an on-call system or a chat bot), Email over SMTP, SMS
// through an SMSProvider, Log for development, and Multi to fan one alert
// out to several channels at once. A tenant's channels are described as
// data by Config and turned into a Notifier by Build.
//
// Retrying is not this package's job: the caller records the alert in a
// durable outbox and calls Notify again until it succeeds or IsPermanent
// says that trying again cannot help. Alert.ID stays the same across those
// attempts, so receivers can drop duplicates (a retry after a partial
// failure sends again to the recipients that already got the alert).
//
// Texts are composed per language by Compose (zh-Hans, zh-Hant, en). An
// alert that carries its Facts is recomposed in each recipient's language
// by the channels that address people one by one (email, SMS).
package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Alert kinds kefu raises.
const (
	KindEmergencyRaised     = "emergency.raised"
	KindEmergencyEscalated  = "emergency.escalated"
	KindCommitmentReminder  = "commitment.reminder"
	KindCommitmentMissed    = "commitment.missed"
	KindCommitmentEscalated = "commitment.escalated"
	KindExpediteAssigned    = "expedite.assigned"
)

// Kinds lists every alert kind Compose has texts for.
var Kinds = []string{
	KindEmergencyRaised, KindEmergencyEscalated,
	KindCommitmentReminder, KindCommitmentMissed, KindCommitmentEscalated,
	KindExpediteAssigned,
}

// Recipient is one person to alert. Channels that address people skip a
// recipient without the address they need (email without Email, SMS
// without Phone).
type Recipient struct {
	UserID string `json:"user_id,omitempty"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Phone  string `json:"phone,omitempty"`
	// Locale is "zh-Hans", "zh-Hant" or "en" (zh-CN, zh-TW, en-US… are
	// understood too); empty means the alert's own Title and Body.
	Locale string `json:"locale,omitempty"`
}

// Alert is one thing people must hear about. It is also the JSON body a
// Webhook posts.
type Alert struct {
	// ID is unique per alert and stable across retries: receivers
	// deduplicate on it.
	ID       string `json:"id"`
	TenantID string `json:"tenant_id,omitempty"`
	// Kind is one of the Kind constants (other kinds are delivered too,
	// with generic texts when recomposed).
	Kind         string `json:"kind"`
	TicketID     string `json:"ticket_id,omitempty"`
	TicketNumber int64  `json:"ticket_number,omitempty"`
	Subject      string `json:"subject,omitempty"`
	// Title and Body are text for people, already localized (see Compose).
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	// Level counts escalations (0 for the first alert); Rung names the step
	// of the ladder the alert reached (team_lead, supervisor, manager…).
	Level int    `json:"level,omitempty"`
	Rung  string `json:"rung,omitempty"`
	// Link is the URL of the ticket.
	Link       string      `json:"link,omitempty"`
	At         time.Time   `json:"at"`
	Recipients []Recipient `json:"recipients,omitempty"`
	// Facts, when present, let channels recompose Title and Body in each
	// recipient's Locale, and give webhook receivers structured data.
	Facts *Facts `json:"facts,omitempty"`
}

// Validate reports what makes an alert undeliverable.
func (a Alert) Validate() error {
	var missing []string
	if strings.TrimSpace(a.ID) == "" {
		missing = append(missing, "id")
	}
	if strings.TrimSpace(a.Kind) == "" {
		missing = append(missing, "kind")
	}
	if strings.TrimSpace(a.Title) == "" && a.Facts == nil {
		missing = append(missing, "title")
	}
	if len(missing) > 0 {
		return fmt.Errorf("notify: alert without %s", strings.Join(missing, ", "))
	}
	return nil
}

// TextFor returns the title and body for r: recomposed in r's language
// when the alert carries Facts and r has a Locale, else the alert's own.
func (a Alert) TextFor(r Recipient) (title, body string) {
	if a.Facts != nil && r.Locale != "" {
		return Compose(a.Kind, r.Locale, *a.Facts)
	}
	if a.Title == "" && a.Facts != nil {
		return Compose(a.Kind, "", *a.Facts)
	}
	return a.Title, a.Body
}

// Emergency reports whether the alert is about an emergency.
func (a Alert) Emergency() bool { return strings.HasPrefix(a.Kind, "emergency.") }

// Notifier delivers an alert once. It returns nil when every delivery it
// attempted succeeded; otherwise an error that says which failed and why
// (see DeliveryError and IsPermanent). Implementations are safe for
// concurrent use.
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, a Alert) error

func (f NotifierFunc) Notify(ctx context.Context, a Alert) error { return f(ctx, a) }

// ErrNoRecipients means a channel that addresses people found nobody in
// the alert it could reach (no recipient with an email, or with a phone).
// It is permanent: the same alert will never reach anyone on that channel.
var ErrNoRecipients = errors.New("notify: no recipient reachable on this channel")

// DeliveryError is one failed delivery.
type DeliveryError struct {
	Channel string // "webhook", "email", "sms"…
	// Target says where: a URL's host, or the recipient's user ID and a
	// masked address. Never a secret.
	Target string
	// Status is the HTTP status or SMTP reply code, 0 when none came.
	Status int
	// Permanent means sending the same alert again will fail the same way
	// (an address the server rejects, a 4xx answer, a bad configuration).
	Permanent bool
	Err       error
}

func (e *DeliveryError) Error() string {
	var b strings.Builder
	b.WriteString("notify: ")
	b.WriteString(e.Channel)
	if e.Target != "" {
		b.WriteString(" to ")
		b.WriteString(e.Target)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("failed")
	}
	if e.Permanent {
		b.WriteString(" (permanent)")
	}
	return b.String()
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// IsPermanent reports whether retrying cannot help: err holds at least one
// failure and every failure in it is permanent (a *DeliveryError with
// Permanent set, ErrNoRecipients, or an invalid alert). Timeouts,
// cancellations and unknown errors are not permanent.
func IsPermanent(err error) bool {
	switch e := err.(type) {
	case nil:
		return false
	case *DeliveryError:
		return e.Permanent
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		for _, x := range errs {
			if !IsPermanent(x) {
				return false
			}
		}
		return len(errs) > 0
	case interface{ Unwrap() error }:
		return IsPermanent(e.Unwrap())
	}
	return err == ErrNoRecipients
}

// invalid reports an alert that fails Validate: permanent.
func invalid(channel string, err error) error {
	return &DeliveryError{Channel: channel, Permanent: true, Err: err}
}

// nobody is the error of a channel that had no recipient to address.
func nobody(channel string) error {
	return &DeliveryError{Channel: channel, Permanent: true, Err: ErrNoRecipients}
}

// Multi sends every alert to all of its notifiers at once and waits for
// them. One failing does not stop the others; the error joins the
// failures. A channel that had nobody to address (ErrNoRecipients) is not
// a failure when another channel delivered; when none did, the result is
// ErrNoRecipients.
type Multi []Notifier

func (m Multi) Notify(ctx context.Context, a Alert) error {
	errs := make([]error, len(m))
	var wg sync.WaitGroup
	for i, n := range m {
		wg.Go(func() { errs[i] = n.Notify(ctx, a) })
	}
	wg.Wait()
	delivered, failed := false, false
	var real []error
	for _, err := range errs {
		switch {
		case err == nil:
			delivered = true
		case errors.Is(err, ErrNoRecipients) && !hasOther(err):
		default:
			failed = true
			real = append(real, err)
		}
	}
	switch {
	case failed:
		return errors.Join(real...)
	case !delivered && len(m) > 0:
		return ErrNoRecipients
	}
	return nil
}

// hasOther reports whether err holds a failure other than ErrNoRecipients.
func hasOther(err error) bool {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if hasOther(x) {
				return true
			}
		}
		return false
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return hasOther(inner)
		}
	}
	return err != ErrNoRecipients
}

// Only passes to n the alerts whose kind matches one of patterns: an exact
// kind ("commitment.missed"), a family ("emergency.*") or "*". Other
// alerts are dropped without error. With no patterns everything passes.
func Only(n Notifier, patterns ...string) Notifier {
	if len(patterns) == 0 {
		return n
	}
	return &only{n: n, patterns: patterns}
}

type only struct {
	n        Notifier
	patterns []string
}

func (o *only) Notify(ctx context.Context, a Alert) error {
	if !MatchKind(o.patterns, a.Kind) {
		return nil
	}
	return o.n.Notify(ctx, a)
}

// MatchKind reports whether kind matches one of patterns (see Only).
func MatchKind(patterns []string, kind string) bool {
	for _, p := range patterns {
		if p == "*" || p == kind {
			return true
		}
		if fam, ok := strings.CutSuffix(p, ".*"); ok && strings.HasPrefix(kind, fam+".") {
			return true
		}
	}
	return false
}

// Log writes every alert to a slog.Logger: for development, and as a
// last-resort channel. Emergencies are logged at Warn, the rest at Info.
type Log struct {
	Logger *slog.Logger // nil means slog.Default()
}

func (l Log) Notify(ctx context.Context, a Alert) error {
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	level := slog.LevelInfo
	if a.Emergency() {
		level = slog.LevelWarn
	}
	users := make([]string, 0, len(a.Recipients))
	for _, r := range a.Recipients {
		users = append(users, cmp.Or(r.UserID, r.Name))
	}
	lg.Log(ctx, level, "notify: "+a.Title,
		"alert", a.ID, "kind", a.Kind, "tenant", a.TenantID, "ticket", a.TicketNumber,
		"level", a.Level, "rung", a.Rung, "link", a.Link, "recipients", users)
	return nil
}

// who names a recipient in errors: user ID (or name) and a masked address.
func who(r Recipient, addr string) string {
	id := cmp.Or(r.UserID, r.Name)
	if id == "" {
		return addr
	}
	return id + " <" + addr + ">"
}

// maskEmail keeps the first letter of the local part and the domain:
// enough to tell addresses apart in a log, not to harvest them.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// maskPhone keeps the last four digits.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 4 {
		return "***"
	}
	return "***" + string(r[len(r)-4:])
}
