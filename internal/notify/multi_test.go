package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/notify"
)

func TestMulti(t *testing.T) {
	okN := notify.NotifierFunc(func(context.Context, notify.Alert) error { return nil })
	down := notify.NotifierFunc(func(context.Context, notify.Alert) error {
		return &notify.DeliveryError{Channel: "webhook", Target: "https://hooks.test", Status: 503, Err: errors.New("answered 503")}
	})
	refused := notify.NotifierFunc(func(context.Context, notify.Alert) error {
		return &notify.DeliveryError{Channel: "sms", Permanent: true, Err: errors.New("answered 400")}
	})
	nobody := notify.NotifierFunc(func(context.Context, notify.Alert) error {
		return fmt.Errorf("channel sms#2: %w", &notify.DeliveryError{Channel: "sms", Permanent: true, Err: notify.ErrNoRecipients})
	})
	tests := []struct {
		name      string
		m         notify.Multi
		wantErr   []string
		permanent bool
		noRcpt    bool
	}{
		{"all good", notify.Multi{okN, okN}, nil, false, false},
		{"one down, others still called", notify.Multi{down, okN, refused}, []string{"answered 503", "answered 400"}, false, false},
		{"only permanent failures", notify.Multi{refused, okN}, []string{"answered 400"}, true, false},
		{"a channel with nobody to address is fine when another delivered", notify.Multi{nobody, okN}, nil, false, false},
		{"nobody reached at all", notify.Multi{nobody, nobody}, []string{"no recipient"}, true, true},
		{"nobody on one channel and a failure on another", notify.Multi{nobody, down}, []string{"answered 503"}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Notify(ctx, escalation())
			if (err != nil) != (len(tc.wantErr) > 0) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v", err, !tc.permanent)
			}
			if errors.Is(err, notify.ErrNoRecipients) != tc.noRcpt {
				t.Errorf("errors.Is(%v, ErrNoRecipients) = %v", err, !tc.noRcpt)
			}
		})
	}
}

func TestMultiRunsChannelsAtOnce(t *testing.T) {
	// A slow SMTP server must not delay the webhook: the three channels
	// run together, so the whole takes about one channel's time.
	var calls atomic.Int32
	slow := notify.NotifierFunc(func(ctx context.Context, a notify.Alert) error {
		calls.Add(1)
		time.Sleep(200 * time.Millisecond)
		return nil
	})
	start := time.Now()
	if err := (notify.Multi{slow, slow, slow}).Notify(ctx, escalation()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond || calls.Load() != 3 {
		t.Fatalf("took %s for %d calls", d, calls.Load())
	}
}

func TestOnly(t *testing.T) {
	var got []string
	rec := notify.NotifierFunc(func(_ context.Context, a notify.Alert) error { got = append(got, a.Kind); return nil })
	n := notify.Only(rec, "emergency.*", "commitment.missed")
	for _, k := range notify.Kinds {
		a := escalation()
		a.Kind = k
		if err := n.Notify(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	want := "emergency.raised emergency.escalated commitment.missed"
	if strings.Join(got, " ") != want {
		t.Fatalf("passed %v, want %s", got, want)
	}
}

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l := notify.Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := l.Notify(ctx, escalation()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, w := range []string{"level=WARN", "紧急事件：工单 #123", "alert=al-0001", "ticket=123", "rung=supervisor", "u-zhang"} {
		if !strings.Contains(out, w) {
			t.Errorf("log %q lacks %q", out, w)
		}
	}
	if strings.Contains(out, "13800138000") || strings.Contains(out, "zhang.wei@") {
		t.Errorf("log shows contact details: %s", out)
	}
}
