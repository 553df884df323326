package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// cmdClock moves the clock of a server started with --dev:
//
//	kefu clock advance 48h [--url URL] [--token TOKEN]
//	kefu clock now
//
// The server runs every timer that falls due on the way (reminders, missed
// promises, escalations) before it answers, and the answer says how many.
func cmdClock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "advance" && args[0] != "now") {
		return errors.New("usage: kefu clock advance DURATION | kefu clock now   (against a server started with --dev)")
	}
	verb, rest := args[0], args[1:]
	fs := flag.NewFlagSet("clock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", env("url", "http://127.0.0.1:8080"), "the kefu server (started with --dev) [KEFU_URL]")
	token := fs.String("token", env("token", ""), "API token of a platform administrator [KEFU_TOKEN]")
	var by string
	if verb == "advance" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return errors.New("usage: kefu clock advance DURATION (e.g. 90s, 30m, 48h)")
		}
		by, rest = rest[0], rest[1:]
		if _, err := time.ParseDuration(by); err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 90s, 30m, 48h)", by)
		}
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if *token == "" {
		return errors.New("--token is required (create one with 'kefu token create')")
	}
	method, path, body := "GET", "/api/v1/dev/clock", []byte(nil)
	if verb == "advance" {
		method, path = "POST", "/api/v1/dev/clock/advance"
		body, _ = json.Marshal(map[string]string{"by": by})
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*url, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return errors.New("the server has no dev clock: start it with 'kefu serve --dev'")
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	var r struct {
		Now   time.Time `json:"now"`
		Fired *struct {
			CommitmentSteps      int `json:"commitment_steps"`
			EmergenciesEscalated int `json:"emergencies_escalated"`
		} `json:"fired"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("unexpected answer: %s", out)
	}
	fmt.Fprintf(stdout, "now %s\n", r.Now.Format(time.RFC3339))
	if r.Fired != nil {
		fmt.Fprintf(stdout, "timers run: %d commitment steps, %d emergencies escalated\n", r.Fired.CommitmentSteps, r.Fired.EmergenciesEscalated)
	}
	return nil
}
