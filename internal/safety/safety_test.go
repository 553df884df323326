package safety

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefu-project/kefu/internal/kefu"
)

// Every kind the screening can report has its own built-in playbook, in
// all three languages.
func TestEveryScreenedKindHasAPlaybook(t *testing.T) {
	files, _ := filepath.Glob("../intake/testdata/*.tsv")
	if len(files) == 0 {
		t.Fatal("no labelled screening set found")
	}
	kinds := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			cols := strings.Split(sc.Text(), "\t")
			if len(cols) > 1 && cols[1] != "none" && cols[1] != "kind" {
				kinds[cols[1]] = true
			}
		}
		fh.Close()
	}
	builtins := map[string]Playbook{}
	for _, p := range Defaults() {
		builtins[p.Kind] = p
	}
	for k := range kinds {
		p, ok := builtins[k]
		if !ok {
			t.Errorf("no built-in playbook for %s", k)
			continue
		}
		for _, l := range []string{"zh-Hans", "zh-Hant", "en"} {
			if p.Title[l] == "" {
				t.Errorf("%s: no %s title", k, l)
			}
			for _, s := range p.Steps {
				if s.Text[l] == "" {
					t.Errorf("%s/%s: no %s text", k, s.Code, l)
				}
			}
		}
	}
}

func TestTenantPlaybookReplacesBuiltIn(t *testing.T) {
	mine := Playbook{Kind: "fire", Title: Text{"zh-Hans": "火警（本公司流程）"},
		Steps: []Step{{Code: "evacuate", Text: Text{"zh-Hans": "疏散"}}}, Actions: []kefu.Action{}}
	s := Settings{Playbooks: []Playbook{mine}}
	if got := s.For("fire"); got.Title.In("zh-CN") != "火警（本公司流程）" || len(got.Steps) != 1 {
		t.Fatalf("tenant's fire playbook not used: %+v", got)
	}
	if got := s.For("gas"); got.Title.In("en") != "Gas leak" {
		t.Fatalf("built-in gas playbook lost: %+v", got)
	}
	if got := s.For("something_new"); got.Kind != "something_new" || len(got.Steps) == 0 {
		t.Fatalf("unknown kind gets the general playbook: %+v", got)
	}
	eff := s.Effective()
	if len(eff) != len(Defaults()) || eff[0].Kind != "fire" || eff[0].Title["zh-Hans"] != "火警（本公司流程）" {
		t.Fatalf("effective list: %d, first %+v", len(eff), eff[0])
	}
	// Text falls back when the reader's language is missing.
	if got := (Text{"en": "Call"}).In("zh-TW"); got != "Call" {
		t.Fatalf("fallback: %q", got)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	ok := func() Playbook {
		return Playbook{Kind: "fire", Title: Text{"en": "Fire"}, Steps: []Step{{Code: "go", Text: Text{"en": "Leave"}}}}
	}
	cases := []struct {
		name  string
		edit  func(p *Playbook)
		field string
	}{
		{"bad kind", func(p *Playbook) { p.Kind = "Fire!" }, "playbooks[0].kind"},
		{"no title", func(p *Playbook) { p.Title = nil }, "playbooks[0].title"},
		{"unknown language", func(p *Playbook) { p.Title = Text{"fr": "Feu"} }, "playbooks[0].title.fr"},
		{"no steps", func(p *Playbook) { p.Steps = nil }, "playbooks[0].steps"},
		{"step code", func(p *Playbook) { p.Steps[0].Code = "" }, "playbooks[0].steps[0].code"},
		{"blank step", func(p *Playbook) { p.Steps[0].Text = Text{"en": "  "} }, "playbooks[0].steps[0].text.en"},
		{"twice", func(p *Playbook) { p.Steps = append(p.Steps, p.Steps[0]) }, "playbooks[0].steps[1].code"},
		{"action", func(p *Playbook) { p.Actions = []kefu.Action{"Share Location"} }, "playbooks[0].actions[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ok()
			c.edit(&p)
			err := Settings{Playbooks: []Playbook{p}}.Validate()
			b, _ := json.Marshal(err)
			if err == nil || !strings.Contains(err.Error()+string(b), c.field) {
				t.Fatalf("want an error naming %s, got %v %s", c.field, err, b)
			}
		})
	}
	if err := (Settings{Playbooks: []Playbook{ok()}}).Validate(); err != nil {
		t.Fatalf("valid playbook refused: %v", err)
	}
}
