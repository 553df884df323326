package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/notify"
	"github.com/kefu-project/kefu/internal/signature"
)

// Rules are a tenant's own intake data, on top of the built-in: extra
// screening cues (its product's words for danger, or its harmless phrases
// that sound alarming), a threshold, the categories tickets get, and an
// external classifier to ask as well.
type Rules struct {
	// Threshold replaces the built-in screening threshold when set (lower
	// screens more in; a safety-critical tenant may choose it).
	Threshold float64 `json:"threshold,omitempty"`
	// Cues are added to the built-in lexicon: a cue with a kind and a
	// positive weight points to that emergency; a negative weight marks a
	// harmless use ("救命神器" as a product name).
	Cues []Category `json:"cues"`
	// Categories replace the built-in ticket categories when not empty.
	Categories []TicketCategory `json:"categories"`
	// Classifier, when set, is asked about every message as well; it can
	// add an emergency the built-in screening missed, never remove one.
	Classifier *Hook `json:"classifier,omitempty"`
}

// Hook is an external classifier called by webhook: kefu POSTs
// {"tenant_id", "text"} signed like its other webhooks and reads back
// {"emergency", "kind", "score", "reason"}.
type Hook struct {
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"`
	// TimeoutMS bounds the wait (default 500, at most 900): screening
	// must decide within a second of arrival, with or without an answer.
	TimeoutMS int `json:"timeout_ms,omitempty"`
}

// Compiled is a rule set ready to run: the tenant's screener and
// classifier.
type Compiled struct {
	Rules      Rules
	Screener   *Screener
	Classifier *Classifier
}

// Inspect screens a message and classifies it, normalizing it once for
// both (intake's work on every customer message).
func (c *Compiled) Inspect(text string) (Verdict, Classification) {
	n := padded(text)
	return c.Screener.screen(n), c.Classifier.classify(text, n)
}

// Default is the built-in rule set, compiled once.
var Default = sync.OnceValue(func() *Compiled {
	c, err := Rules{}.Compile()
	if err != nil {
		panic("intake: built-in rules: " + err.Error())
	}
	return c
})

// Compile checks rules and builds what runs them. Errors name the field.
func (r Rules) Compile() (*Compiled, error) {
	if r.Threshold < 0 || r.Threshold > 100 {
		return nil, kefu.FieldError("threshold", "from 0 (built-in) to 100")
	}
	if len(r.Cues) > 200 {
		return nil, kefu.FieldError("cues", "at most 200")
	}
	lex := DefaultLexicon()
	if r.Threshold > 0 {
		lex.Threshold = r.Threshold
	}
	for i, c := range r.Cues {
		at := fmt.Sprintf("cues[%d]", i)
		if strings.TrimSpace(c.Name) == "" {
			return nil, kefu.FieldError(at+".name", "required")
		}
		if c.Weight == 0 || c.Weight > 10 || c.Weight < -10 {
			return nil, kefu.FieldError(at+".weight", "from -10 to 10, not 0")
		}
		if c.Weight > 0 && c.Kind == "" {
			return nil, kefu.FieldError(at+".kind", "a cue that raises the score names the emergency kind it points to")
		}
		if len(c.Terms) == 0 || len(c.Terms) > 500 {
			return nil, kefu.FieldError(at+".terms", "from 1 to 500 terms")
		}
		for _, t := range c.Terms {
			if Normalize(t) == "" {
				return nil, kefu.FieldError(at+".terms", "a term is empty once spaces and punctuation are removed")
			}
		}
		c.Name = "tenant:" + c.Name // never clashes with a built-in category
		lex.Categories = append(lex.Categories, c)
	}
	s, err := NewScreener(lex)
	if err != nil {
		return nil, kefu.FieldError("cues", strings.TrimPrefix(err.Error(), "lexicon: "))
	}
	if len(r.Categories) > 100 {
		return nil, kefu.FieldError("categories", "at most 100")
	}
	seen := map[string]bool{}
	for i, c := range r.Categories {
		at := fmt.Sprintf("categories[%d]", i)
		if strings.TrimSpace(c.Code) == "" || len(c.Code) > 64 {
			return nil, kefu.FieldError(at+".code", "from 1 to 64 characters")
		}
		if seen[c.Code] {
			return nil, kefu.FieldError(at+".code", "listed twice: "+c.Code)
		}
		seen[c.Code] = true
		if len(c.Terms) == 0 {
			return nil, kefu.FieldError(at+".terms", "at least one term")
		}
	}
	if h := r.Classifier; h != nil {
		if p := notify.URLProblem(h.URL, false); p != "" {
			return nil, kefu.FieldError("classifier.url", p)
		}
		if len(h.Secret) < 16 {
			return nil, kefu.FieldError("classifier.secret", "at least 16 characters: kefu signs every request with it")
		}
		if h.TimeoutMS < 0 || h.TimeoutMS > 900 {
			return nil, kefu.FieldError("classifier.timeout_ms", "from 0 (500 ms) to 900: screening decides within a second")
		}
	}
	if r.Cues == nil {
		r.Cues = []Category{}
	}
	if r.Categories == nil {
		r.Categories = []TicketCategory{}
	}
	return &Compiled{Rules: r, Screener: s.WithModel(DefaultModel()), Classifier: NewClassifier(r.Categories)}, nil
}

// Redacted is the rules as an admin API may show them: the classifier's
// secret replaced by "[redacted]" when set.
func (r Rules) Redacted() Rules {
	if r.Classifier != nil && r.Classifier.Secret != "" {
		h := *r.Classifier
		h.Secret = redacted
		r.Classifier = &h
	}
	return r
}

// WithSecretFrom keeps prev's secret where r carries back "[redacted]".
func (r Rules) WithSecretFrom(prev Rules) Rules {
	if r.Classifier != nil && r.Classifier.Secret == redacted {
		h := *r.Classifier
		h.Secret = ""
		if prev.Classifier != nil {
			h.Secret = prev.Classifier.Secret
		}
		r.Classifier = &h
	}
	return r
}

const redacted = "[redacted]"

// Timeout is the hook's wait in force.
func (h Hook) Timeout() time.Duration {
	if h.TimeoutMS <= 0 {
		return 500 * time.Millisecond
	}
	return time.Duration(h.TimeoutMS) * time.Millisecond
}

// Why a classifier gave no verdict: what the history may say, never the
// URL or what the far side answered.
var (
	ErrClassifierTimeout = errors.New("timed out")
	ErrClassifierConnect = errors.New("could not connect")
	ErrClassifierAnswer  = errors.New("answered with no verdict")
)

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Ask sends one message to the external classifier and reads its verdict.
// The caller decides what a failure means (the built-in verdict stands).
// Errors are one of ErrClassifier…, wrapped with at most an HTTP status:
// safe to show to agents. A kind that is not a code becomes
// danger_situation; the reason is cut to 500 characters.
func (h Hook) Ask(ctx context.Context, client *http.Client, now time.Time, tenantID, text string) (Verdict, error) {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout())
	defer cancel()
	body, _ := json.Marshal(map[string]string{"tenant_id": tenantID, "text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return Verdict{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kefu-screening")
	signature.SignRequest(req.Header, now.Unix(), body, h.Secret)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Verdict{}, ErrClassifierTimeout
		}
		return Verdict{}, ErrClassifierConnect
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return Verdict{}, fmt.Errorf("%w: HTTP %d", ErrClassifierAnswer, resp.StatusCode)
	}
	var v Verdict
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&v); err != nil {
		if ctx.Err() != nil {
			return Verdict{}, ErrClassifierTimeout
		}
		return Verdict{}, ErrClassifierAnswer
	}
	if math.IsNaN(v.Score) || v.Score < 0 || v.Score > 1000 {
		return Verdict{}, fmt.Errorf("%w: score out of range", ErrClassifierAnswer)
	}
	if !kindRE.MatchString(v.Kind) {
		v.Kind = "danger_situation"
	}
	if r := []rune(v.Reason); len(r) > 500 {
		v.Reason = string(r[:500]) + "…"
	}
	v.Matched = nil
	return v, nil
}
