package store

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/kefu-project/kefu/internal/intake"
	"github.com/kefu-project/kefu/internal/kefu"
)

// IntakeRules are a tenant's screening cues, categories and external
// classifier, compiled (once per change) and ready to run.
func (s *Store) IntakeRules(ctx context.Context, tenantID string) (*intake.Compiled, error) {
	v, err := s.settingParsed(ctx, tenantID, "intake_rules", func(raw []byte) (any, error) {
		if raw == nil {
			return intake.Default(), nil
		}
		var r intake.Rules
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, kefu.Internal(err)
		}
		c, err := r.Compile()
		if err != nil {
			// Saved rules were checked; a later built-in change could still
			// refuse them. Screening must go on: the built-in rules run.
			s.log.Error("a tenant's intake rules no longer compile; the built-in ones run", "tenant", tenantID, "err", err)
			return intake.Default(), nil
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*intake.Compiled), nil
}

// PutIntakeRules checks and saves a tenant's intake rules. A classifier
// secret sent back as "[redacted]" keeps the one saved.
func (s *Store) PutIntakeRules(ctx context.Context, tenantID string, a Actor, r intake.Rules) (intake.Rules, error) {
	prev, err := s.IntakeRules(ctx, tenantID)
	if err != nil {
		return r, err
	}
	r = r.WithSecretFrom(prev.Rules)
	c, err := r.Compile()
	if err != nil {
		return r, err
	}
	shown := c.Rules.Redacted()
	return shown, s.putSettingLogged(ctx, tenantID, a, "intake_rules", c.Rules, shown)
}

// recordIntake puts intake's decisions about a message on the ticket's
// history, in the write that stores the message.
func (tx *Tx) recordIntake(tenantID, ticketID string, m *kefu.Message, rec *kefu.IntakeRecord) error {
	if rec == nil || len(rec.Steps) == 0 {
		return nil
	}
	r := *rec
	r.Steps = slices.Clone(r.Steps)
	slices.SortStableFunc(r.Steps, func(a, b kefu.IntakeStep) int { return stepRank[a.Step] - stepRank[b.Step] })
	if m != nil {
		r.MessageID = m.ID
	}
	return tx.Event(tenantID, System, "intake.decided", "ticket", ticketID, ticketID, nil, r)
}

// stepRank is the order of intake's steps on the history: who the customer
// is, screening, the external classifier, repeat, category and language.
var stepRank = map[string]int{"customer": 0, "screen": 1, "classifier": 2, "repeat": 3, "classify": 4}
