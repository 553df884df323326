package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kefu-project/kefu/internal/simulate"
)

// cmdSimulate replays a scenario against the real routing engine on a
// virtual clock.
func cmdSimulate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "", "scenario JSON file (default: the built-in Double 11 hour)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	csvPath := fs.String("csv", "simulate-intervals.csv", "write the interval figures to this CSV file (\"-\" for standard output, \"\" for none)")
	seed := fs.Uint64("seed", 0, "random seed (default: the scenario's)")
	printScenario := fs.Bool("print-scenario", false, "print the scenario as JSON and exit (a starting point for your own)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sc := simulate.Double11()
	if *scenario != "" {
		b, err := os.ReadFile(*scenario)
		if err != nil {
			return err
		}
		sc = simulate.Scenario{}
		if err := json.Unmarshal(b, &sc); err != nil {
			return fmt.Errorf("%s: %w", *scenario, err)
		}
	}
	if *seed != 0 {
		sc.Seed = *seed
	}
	if *printScenario {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sc)
	}
	res, err := simulate.Run(sc)
	if err != nil {
		return err
	}
	switch *csvPath {
	case "":
	case "-":
		defer res.WriteCSV(stdout)
	default:
		f, err := os.Create(*csvPath)
		if err != nil {
			return err
		}
		if err := res.WriteCSV(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if !*asJSON {
			defer fmt.Fprintf(stdout, "\nintervals: %s\n", *csvPath)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.WriteText(stdout)
}
