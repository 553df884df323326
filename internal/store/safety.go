package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/safety"
)

// SafetySettings are the tenant's playbooks (the built-in ones for every
// kind the tenant did not replace).
func (s *Store) SafetySettings(ctx context.Context, tenantID string) (safety.Settings, error) {
	v, err := s.settingParsed(ctx, tenantID, "safety", func(raw []byte) (any, error) {
		st := safety.Settings{Playbooks: []safety.Playbook{}}
		if raw != nil {
			_ = json.Unmarshal(raw, &st)
		}
		return st, nil
	})
	if err != nil {
		return safety.Settings{}, err
	}
	return v.(safety.Settings), nil
}

// PutSafetySettings checks and saves a tenant's playbooks.
func (s *Store) PutSafetySettings(ctx context.Context, tenantID string, a Actor, st safety.Settings) (safety.Settings, error) {
	if st.Playbooks == nil {
		st.Playbooks = []safety.Playbook{}
	}
	if err := st.Validate(); err != nil {
		return st, err
	}
	return st, s.putSetting(ctx, tenantID, a, "safety", st)
}

// StepDone is a playbook step someone has done on an emergency.
type StepDone struct {
	Step   string    `json:"step"`
	Note   string    `json:"note,omitempty"`
	DoneBy string    `json:"done_by"`
	DoneAt time.Time `json:"done_at"`
}

// Emergency reads one emergency whose ticket is in scope.
func (s *Store) Emergency(ctx context.Context, sc Scope, id string) (kefu.Emergency, error) {
	e, err := scanEmergency(s.db.QueryRowContext(ctx, `SELECT `+emergencyCols+` FROM emergencies WHERE tenant_id = $1 AND id = $2`, sc.TenantID, id))
	if err != nil {
		return e, notFound(err, "emergency")
	}
	if _, err := s.ticket(ctx, s.db, sc, e.TicketID, false); err != nil {
		return kefu.Emergency{}, kefu.NotFound("emergency")
	}
	return e, nil
}

// EmergencySteps lists the steps done on an emergency, in the order done.
func (s *Store) EmergencySteps(ctx context.Context, tenantID, emergencyID string) ([]StepDone, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT step, note, done_by, done_at FROM emergency_steps
		WHERE tenant_id = $1 AND emergency_id = $2 ORDER BY done_at, id`, tenantID, emergencyID)
	if err != nil {
		return nil, kefu.Internal(err)
	}
	defer rows.Close()
	out := []StepDone{}
	for rows.Next() {
		var d StepDone
		var at int64
		if err := rows.Scan(&d.Step, &d.Note, &d.DoneBy, &at); err != nil {
			return nil, kefu.Internal(err)
		}
		d.DoneAt = fromUS(at)
		out = append(out, d)
	}
	return out, kefu.InternalOrNil(rows.Err())
}

// DoStep records that a step of the emergency's playbook was done, on the
// ticket's history. A step done twice keeps the first record (done is
// false for the second call).
func (s *Store) DoStep(ctx context.Context, sc Scope, a Actor, emergencyID, step, note string) (d StepDone, done bool, err error) {
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 2000 {
		return d, false, kefu.FieldError("note", "at most 2000 characters")
	}
	e, err := s.Emergency(ctx, sc, emergencyID)
	if err != nil {
		return d, false, err
	}
	st, err := s.SafetySettings(ctx, sc.TenantID)
	if err != nil {
		return d, false, err
	}
	pb := st.For(e.Kind)
	if _, ok := pb.Step(step); !ok {
		codes := make([]string, len(pb.Steps))
		for i, s := range pb.Steps {
			codes[i] = s.Code
		}
		return d, false, kefu.FieldError("step", "not a step of the "+e.Kind+" playbook; its steps are "+strings.Join(codes, ", "))
	}
	err = s.WriteAbout(ctx, e.TicketID, func(tx *Tx) error {
		d, done = StepDone{Step: step, Note: note, DoneBy: a.ID, DoneAt: s.Now()}, false
		var at int64
		err := tx.queryRow(`SELECT note, done_by, done_at FROM emergency_steps WHERE emergency_id = $1 AND step = $2`, e.ID, step).Scan(&d.Note, &d.DoneBy, &at)
		if err == nil {
			d.DoneAt = fromUS(at)
			tx.SetResult(d)
			return nil
		}
		if _, err := tx.exec(`INSERT INTO emergency_steps (id, tenant_id, emergency_id, ticket_id, step, note, done_by, done_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			newID(), sc.TenantID, e.ID, e.TicketID, step, note, a.ID, us(d.DoneAt)); err != nil {
			if isUniqueViolation(err) {
				return errRace // another node recorded it first; the re-run reads theirs
			}
			return kefu.Internal(err)
		}
		done = true
		tx.SetResult(d)
		return tx.Event(sc.TenantID, a, "emergency.step_done", "emergency", e.ID, e.TicketID, nil, map[string]any{
			"emergency_id": e.ID, "kind": e.Kind, "step": step, "note": note})
	})
	return d, done, err
}
