// Package safety holds the playbooks the safety team follows for each kind
// of emergency: the steps to take, in the agent's language, and the actions
// with consequences outside kefu (share a trip's location with the police,
// restrict a driver's account) that need authority. The built-in playbooks
// are data (playbooks.json); a tenant replaces any of them by kind.
package safety

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/kefu-project/kefu/internal/i18n"
	"regexp"
	"strings"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Text is one sentence in several languages: "zh-Hans", "zh-Hant", "en".
type Text map[string]string

// In picks the text for a locale (zh-CN, zh-TW, en-US… are understood),
// falling back to simplified Chinese, then English, then any.
func (t Text) In(locale string) string {
	if s := t[Locale(locale)]; s != "" {
		return s
	}
	for _, l := range []string{"zh-Hans", "en", "zh-Hant"} {
		if s := t[l]; s != "" {
			return s
		}
	}
	return ""
}

// Locale maps a language tag to the three kefu speaks ("" for another).
func Locale(tag string) string {
	l, _ := i18n.Parse(strings.ReplaceAll(tag, "_", "-"))
	return string(l)
}

// Step is one thing to do, checked off on the emergency when done.
type Step struct {
	Code string `json:"code"`
	Text Text   `json:"text"`
}

// Playbook is what the safety team does for one kind of emergency.
type Playbook struct {
	Kind  string `json:"kind"`
	Title Text   `json:"title"`
	Steps []Step `json:"steps"`
	// Actions are authority-bearing actions offered with this playbook;
	// taking one goes through the ticket's actions (audited, approved at
	// once within the taker's limit, otherwise sent for approval).
	Actions []kefu.Action `json:"actions"`
}

// Step returns the playbook's step with this code.
func (p Playbook) Step(code string) (Step, bool) {
	for _, s := range p.Steps {
		if s.Code == code {
			return s, true
		}
	}
	return Step{}, false
}

// Settings are a tenant's playbooks; kinds it does not list keep the
// built-in ones.
type Settings struct {
	Playbooks []Playbook `json:"playbooks"`
}

//go:embed playbooks.json
var builtinJSON []byte

type builtin struct {
	Playbooks []Playbook `json:"playbooks"`
	Fallback  Playbook   `json:"fallback"`
}

var defaults = func() builtin {
	var b builtin
	if err := json.Unmarshal(builtinJSON, &b); err != nil {
		panic("safety: built-in playbooks: " + err.Error())
	}
	if err := (Settings{Playbooks: b.Playbooks}).Validate(); err != nil {
		panic("safety: built-in playbooks: " + err.Error())
	}
	return b
}()

// Defaults are the built-in playbooks.
func Defaults() []Playbook { return clone(defaults.Playbooks) }

// For is the playbook in force for an emergency kind: the tenant's, else
// the built-in one, else the general one every emergency gets.
func (s Settings) For(kind string) Playbook {
	for _, p := range s.Playbooks {
		if p.Kind == kind {
			return p
		}
	}
	for _, p := range defaults.Playbooks {
		if p.Kind == kind {
			return p
		}
	}
	fb := defaults.Fallback
	fb.Kind = kind
	return fb
}

// Effective lists every playbook in force: the tenant's, then the built-in
// ones it did not replace.
func (s Settings) Effective() []Playbook {
	out := clone(s.Playbooks)
	mine := map[string]bool{}
	for _, p := range s.Playbooks {
		mine[p.Kind] = true
	}
	for _, p := range defaults.Playbooks {
		if !mine[p.Kind] {
			out = append(out, p)
		}
	}
	return out
}

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate names the first problem, as a field path and what is wrong.
func (s Settings) Validate() error {
	if len(s.Playbooks) > 100 {
		return kefu.FieldError("playbooks", "at most 100")
	}
	kinds := map[string]bool{}
	for i, p := range s.Playbooks {
		at := fmt.Sprintf("playbooks[%d]", i)
		if !codeRE.MatchString(p.Kind) {
			return kefu.FieldError(at+".kind", "a lower-case code such as kidnapping or fire")
		}
		if kinds[p.Kind] {
			return kefu.FieldError(at+".kind", "listed twice: "+p.Kind)
		}
		kinds[p.Kind] = true
		if err := checkText(at+".title", p.Title, 200); err != nil {
			return err
		}
		if len(p.Steps) == 0 || len(p.Steps) > 30 {
			return kefu.FieldError(at+".steps", "from 1 to 30 steps")
		}
		codes := map[string]bool{}
		for j, st := range p.Steps {
			sat := fmt.Sprintf("%s.steps[%d]", at, j)
			if !codeRE.MatchString(st.Code) {
				return kefu.FieldError(sat+".code", "a lower-case code such as call_police")
			}
			if codes[st.Code] {
				return kefu.FieldError(sat+".code", "listed twice: "+st.Code)
			}
			codes[st.Code] = true
			if err := checkText(sat+".text", st.Text, 1000); err != nil {
				return err
			}
		}
		for j, a := range p.Actions {
			if !codeRE.MatchString(string(a)) {
				return kefu.FieldError(fmt.Sprintf("%s.actions[%d]", at, j), "an action name such as share_location or restrict_account")
			}
		}
	}
	return nil
}

func checkText(field string, t Text, max int) error {
	if len(t) == 0 {
		return kefu.FieldError(field, "needs a text in zh-Hans, zh-Hant or en")
	}
	for l, s := range t {
		if l != "zh-Hans" && l != "zh-Hant" && l != "en" {
			return kefu.FieldError(field+"."+l, "languages are zh-Hans, zh-Hant and en")
		}
		if strings.TrimSpace(s) == "" || len([]rune(s)) > max {
			return kefu.FieldError(field+"."+l, fmt.Sprintf("from 1 to %d characters", max))
		}
	}
	return nil
}

var actionLabels = map[kefu.Action]Text{
	kefu.ActionShareLocation:  {"zh-Hans": "向警方共享行程实时位置", "zh-Hant": "向警方共享行程即時位置", "en": "Share the trip's live location with the police"},
	kefu.ActionRestrictParty:  {"zh-Hans": "限制司机（对方）账号接单", "zh-Hant": "限制司機（對方）帳號接單", "en": "Restrict the driver's (other party's) account"},
	kefu.ActionRestrictDriver: {"zh-Hans": "限制账号", "zh-Hant": "限制帳號", "en": "Restrict the account"},
	kefu.ActionSuspendAccount: {"zh-Hans": "停用账号", "zh-Hant": "停用帳號", "en": "Suspend the account"},
}

// ActionLabel names an action for people, in their language; an action
// kefu does not know is shown by its code.
func ActionLabel(a kefu.Action, locale string) string {
	if t, ok := actionLabels[a]; ok {
		return t.In(locale)
	}
	return string(a)
}

func clone(ps []Playbook) []Playbook {
	out := make([]Playbook, 0, len(ps))
	for _, p := range ps {
		p.Steps = append([]Step(nil), p.Steps...)
		p.Actions = append([]kefu.Action{}, p.Actions...)
		out = append(out, p)
	}
	return out
}
