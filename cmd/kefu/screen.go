package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kefu-project/kefu/internal/intake"
)

// cmdScreen runs the built-in emergency screening offline: one message per
// line in, one JSON verdict per line out.
func cmdScreen(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lexPath := fs.String("lexicon", "", "a lexicon JSON file instead of the built-in one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lex := intake.DefaultLexicon()
	if *lexPath != "" {
		b, err := os.ReadFile(*lexPath)
		if err != nil {
			return err
		}
		lex = intake.Lexicon{}
		if err := json.Unmarshal(b, &lex); err != nil {
			return fmt.Errorf("%s: %w", *lexPath, err)
		}
	}
	s, err := intake.NewScreener(lex)
	if err != nil {
		return err
	}
	s = s.WithModel(intake.DefaultModel())
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		v := s.Screen(in.Text())
		v.Matched = nil
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return in.Err()
}
