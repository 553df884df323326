package notify

import (
	"context"
	"errors"
	"time"
)

// KindRelayMessage names messages support relays to a third party (a
// driver, a courier, a merchant) by SMS. They are not alerts to staff: they
// go through RelaySMS, never through Build's notifier.
const KindRelayMessage = "relay.message"

// ErrNoRelayChannel means the tenant has no SMS channel that takes relayed
// messages. Not permanent: an administrator may add one, and the message
// waits in its outbox for the next attempt.
var ErrNoRelayChannel = errors.New("notify: no SMS channel takes relayed messages (add an sms channel whose alerts list is empty or names relay.*)")

// RelaySMS builds the tenant's SMS channel for relayed messages: the first
// channel of kind sms whose alerts list admits KindRelayMessage (an empty
// list admits everything, "relay.*" or "relay.message" name it).
func RelaySMS(cfg Config, o Options) (*SMS, error) {
	for _, ch := range cfg.Channels {
		if ch.Kind != ChannelSMS || ch.SMS == nil || (len(ch.Alerts) > 0 && !MatchKind(ch.Alerts, KindRelayMessage)) {
			continue
		}
		one := Config{Channels: []Channel{ch}}
		if err := one.validate(o); err != nil {
			return nil, &DeliveryError{Channel: "sms", Permanent: true, Err: err}
		}
		s := ch.SMS
		p := o.SMSProviders[s.Provider]
		if s.Provider == "" || s.Provider == "http" {
			p = &HTTPSMS{URL: s.URL, Token: s.Token, TokenHeader: s.TokenHeader, PhoneField: s.PhoneField, TextField: s.TextField,
				Extra: s.Extra, Timeout: secondsOf(s.TimeoutSeconds), Client: o.HTTPClient}
		}
		return &SMS{Provider: p, MaxChars: s.MaxChars, Signature: s.Signature}, nil
	}
	return nil, ErrNoRelayChannel
}

// SendText sends text as it is to one number: the signature before it,
// cut to MaxChars only when that is set (a relayed message is not cut to
// one SMS; gateways join long ones). The number is never in the error.
func (s *SMS) SendText(ctx context.Context, phone, text string) error {
	if s.Provider == nil {
		return &DeliveryError{Channel: "sms", Permanent: true, Err: errors.New("no SMS provider configured")}
	}
	p, err := normalizePhone(phone)
	if err != nil {
		return &DeliveryError{Channel: "sms", Target: maskPhone(phone), Permanent: true, Err: errors.New("bad phone number")}
	}
	text = s.Signature + text
	if s.MaxChars > 0 {
		text = FitSMS(text, s.MaxChars)
	}
	if err := s.Provider.Send(ctx, p, text); err != nil {
		de := &DeliveryError{Channel: "sms", Target: maskPhone(p), Err: err}
		if pe, ok := errors.AsType[*DeliveryError](err); ok {
			de.Status, de.Permanent, de.Err = pe.Status, pe.Permanent, pe.Err
		}
		return de
	}
	return nil
}

func secondsOf(n int) time.Duration { return time.Duration(n) * time.Second }
