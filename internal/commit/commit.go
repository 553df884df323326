// Package commit gives commitments (promises to a customer) their
// behaviour in time: a reminder before they fall due, a miss when they do,
// and an escalation ladder above the owner while they stay unkept. It is
// pure: the store persists each step with a conditional update, so a step
// is taken once however many nodes run the timers, and none is lost across
// a restart.
package commit

import (
	"fmt"
	"github.com/kefu-project/kefu/internal/i18n"
	"strings"
	"time"
)

// Rung is one step of the escalation ladder: who is alerted, how long
// after the due time.
type Rung struct {
	// To is a user kind (team_lead, supervisor, manager, admin) whose
	// holders see the ticket's organization, or "owner".
	To           string `json:"to"`
	AfterMinutes int    `json:"after_minutes"`
}

// Settings are a tenant's rules for commitments, as data.
type Settings struct {
	// RemindBeforeMinutes: the owner is reminded this long before the due
	// time (or at three quarters of a shorter window).
	RemindBeforeMinutes int `json:"remind_before_minutes"`
	// Ladder: after a miss, who is alerted and when (minutes after due).
	Ladder []Rung `json:"ladder"`
	// TellCustomer: when a customer-visible promise slips, kefu tells the
	// customer so on the ticket, before they have to ask.
	TellCustomer *bool `json:"tell_customer,omitempty"`
	// ExpediteHours is the deadline an expedite gets when none is given.
	ExpediteHours int `json:"expedite_hours"`
	// ExpediteOwnerKinds: who may own an expedite when the agent asking
	// lacks the authority (the first active one in scope is chosen).
	ExpediteOwnerKinds []string `json:"expedite_owner_kinds"`
	// Repeats: a contact by the same customer about the same matter within
	// RepeatWindowDays is linked to the open ticket; at the RepeatThreshold-th
	// contact about it (the first and its repeats) the ticket goes to
	// ProblemQueueID.
	RepeatWindowDays int       `json:"repeat_window_days"`
	RepeatThreshold  int       `json:"repeat_threshold"`
	ProblemQueueID   string    `json:"problem_queue_id,omitempty"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// DefaultLadder: the team lead at once, the supervisor after an hour, the
// manager after four.
var DefaultLadder = []Rung{{To: "team_lead"}, {To: "supervisor", AfterMinutes: 60}, {To: "manager", AfterMinutes: 240}}

// Defaults fills what a tenant left unset.
func (s Settings) Defaults() Settings {
	if s.RemindBeforeMinutes == 0 {
		s.RemindBeforeMinutes = 60
	}
	if len(s.Ladder) == 0 {
		s.Ladder = append([]Rung(nil), DefaultLadder...)
	}
	if s.TellCustomer == nil {
		t := true
		s.TellCustomer = &t
	}
	if s.ExpediteHours == 0 {
		s.ExpediteHours = 24
	}
	if len(s.ExpediteOwnerKinds) == 0 {
		s.ExpediteOwnerKinds = []string{"team_lead", "supervisor"}
	}
	if s.RepeatWindowDays == 0 {
		s.RepeatWindowDays = 14
	}
	if s.RepeatThreshold == 0 {
		s.RepeatThreshold = 3
	}
	return s
}

// RungKinds are the names a rung may use besides "owner".
var RungKinds = map[string]bool{"owner": true, "team_lead": true, "supervisor": true, "manager": true, "admin": true, "safety": true}

// Validate names the first problem with the settings, by field.
func (s Settings) Validate() (field, problem string) {
	switch {
	case s.RemindBeforeMinutes < 0 || s.RemindBeforeMinutes > 7*24*60:
		return "remind_before_minutes", "from 0 to 10080"
	case len(s.Ladder) > 8:
		return "ladder", "at most 8 rungs"
	case s.ExpediteHours < 0 || s.ExpediteHours > 24*30:
		return "expedite_hours", "from 1 to 720"
	case s.RepeatWindowDays < 0 || s.RepeatWindowDays > 365:
		return "repeat_window_days", "from 1 to 365"
	case s.RepeatThreshold < 0 || s.RepeatThreshold > 100:
		return "repeat_threshold", "from 2 to 100"
	}
	last := 0
	for i, r := range s.Ladder {
		if !RungKinds[r.To] {
			return fmt.Sprintf("ladder[%d].to", i), "must be one of owner, team_lead, supervisor, manager, admin, safety"
		}
		if r.AfterMinutes < last {
			return fmt.Sprintf("ladder[%d].after_minutes", i), "rungs must come in order of time"
		}
		last = r.AfterMinutes
	}
	for i, k := range s.ExpediteOwnerKinds {
		if !RungKinds[k] || k == "owner" {
			return fmt.Sprintf("expedite_owner_kinds[%d]", i), "must be a user kind such as team_lead or supervisor"
		}
	}
	return "", ""
}

// StepKind is what a commitment's timer does at one step.
type StepKind string

const (
	StepRemind   StepKind = "reminder" // the owner, before due
	StepMiss     StepKind = "missed"   // due passed unkept: the owner, and the customer is told
	StepEscalate StepKind = "escalated"
)

// Step is the next thing a commitment's timer does.
type Step struct {
	Kind  StepKind
	At    time.Time
	Stage int    // the stage the commitment reaches by taking it
	Level int    // ladder rungs reached once it is taken
	Rung  string // for StepEscalate: who is alerted
}

// Stages of a commitment's timer: 0 before the reminder, 1 reminded (or
// none due), 2 missed, 2+k after the k-th rung.
const (
	StageNew      = 0
	StageReminded = 1
	StageMissed   = 2
)

// Next is the step a commitment at stage takes next, made at made and due
// at due; ok is false when its ladder is done.
func (s Settings) Next(made, due time.Time, stage int) (step Step, ok bool) {
	s = s.Defaults()
	if stage <= StageNew {
		if at, ok := s.remindAt(made, due); ok {
			return Step{Kind: StepRemind, At: at, Stage: StageReminded}, true
		}
		stage = StageReminded
	}
	if stage == StageReminded {
		return Step{Kind: StepMiss, At: due, Stage: StageMissed}, true
	}
	k := stage - StageMissed // rungs taken
	if k >= len(s.Ladder) {
		return Step{}, false
	}
	r := s.Ladder[k]
	return Step{Kind: StepEscalate, At: due.Add(time.Duration(r.AfterMinutes) * time.Minute), Stage: stage + 1, Level: k + 1, Rung: r.To}, true
}

// remindAt is when the owner is reminded: RemindBefore ahead of due, or at
// three quarters of a window shorter than that; none for a window under
// four minutes (the reminder would be noise).
func (s Settings) remindAt(made, due time.Time) (time.Time, bool) {
	window := due.Sub(made)
	if s.RemindBeforeMinutes == 0 || window < 4*time.Minute {
		return time.Time{}, false
	}
	before := time.Duration(s.RemindBeforeMinutes) * time.Minute
	if before > window/4 {
		before = window / 4
	}
	return due.Add(-before), true
}

// Kinds a customer is told about when they slip: promises made to them, not
// internal targets.
func CustomerVisibleKind(kind string) bool {
	switch kind {
	case "first_response", "next_response", "resolution":
		return false
	}
	return true
}

// SlipNotice is the honest message the customer gets when a promise slips:
// what was promised, by when, that it is late, and who has it now.
func SlipNotice(locale, what string, due time.Time, loc *time.Location, escalatedTo string) string {
	if loc == nil {
		loc = time.UTC
	}
	when := due.In(loc).Format("2006-01-02 15:04")
	what = strings.TrimSpace(what)
	switch i18n.Or(locale, i18n.ZhHans) {
	case i18n.ZhHant:
		if what == "" {
			what = "處理您的問題"
		}
		return fmt.Sprintf("很抱歉：我們承諾在 %s 前%s，目前尚未完成。此事已上報%s跟進，我們會盡快告訴您確切的進展，您不必再來電詢問。", when, what, rungName(locale, escalatedTo))
	case i18n.En:
		if what == "" {
			what = "resolve your request"
		}
		return fmt.Sprintf("We are sorry: we promised to %s by %s, and it is not done yet. It has been escalated to a %s, who is following it up now; we will tell you where it stands without you having to ask.", what, when, rungName(locale, escalatedTo))
	}
	if what == "" {
		what = "处理您的问题"
	}
	return fmt.Sprintf("很抱歉：我们承诺在 %s 前%s，目前还没有完成。此事已上报%s跟进，我们会尽快告诉您确切的进展，您不必再来电询问。", when, what, rungName(locale, escalatedTo))
}

// ExpediteNotice tells the customer an expedite is real: who has it, due when.
func ExpediteNotice(locale, owner string, due time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	when := due.In(loc).Format("2006-01-02 15:04")
	switch i18n.Or(locale, i18n.ZhHans) {
	case i18n.ZhHant:
		return fmt.Sprintf("已為您加急：由 %s 負責處理，將於 %s 前給您結果。", owner, when)
	case i18n.En:
		return fmt.Sprintf("Expedited: %s is handling it and will get back to you by %s.", owner, when)
	}
	return fmt.Sprintf("已为您加急：由 %s 负责处理，将于 %s 前给您结果。", owner, when)
}

func rungName(locale, rung string) string {
	names := map[string][3]string{ // zh-Hans, zh-Hant, en
		"owner":      {"负责人", "負責人", "person in charge"},
		"team_lead":  {"组长", "組長", "team lead"},
		"supervisor": {"主管", "主管", "supervisor"},
		"manager":    {"经理", "經理", "manager"},
		"admin":      {"管理员", "管理員", "administrator"},
		"safety":     {"安全团队", "安全團隊", "safety team"},
	}
	n, ok := names[rung]
	if !ok {
		n = names["team_lead"]
	}
	switch i18n.Or(locale, i18n.ZhHans) {
	case i18n.ZhHant:
		return n[1]
	case i18n.En:
		return n[2]
	}
	return n[0]
}
