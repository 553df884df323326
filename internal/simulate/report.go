package simulate

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteText prints the summary for people.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "scenario %s: %d contacts, %d agents, %s simulated in %.1f s, %d routing decisions, %d callback offers\n",
		r.Scenario, r.Contacts, r.Agents, r.SimulatedTime, r.WallSeconds, r.Decisions, r.Callbacks)
	fmt.Fprintf(w, "service level = %s\n\n", r.SLFormula)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcontacts\tanswered\tSL\tASA s\tabandoned\t")
	row := func(name string, m Metrics) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%.1f\t%.1f%%\t\n", name, m.Offered, m.Answered, m.ServiceLevel*100, m.ASASeconds, m.AbandonRate*100)
	}
	row("total", r.Total)
	fmt.Fprintln(tw, "by queue\t\t\t\t\t\t")
	for _, q := range r.Queues {
		row(q.Name, q.Metrics)
	}
	fmt.Fprintln(tw, "by customer tier\t\t\t\t\t\t")
	for _, t := range r.Tiers {
		row(t.Name, t.Metrics)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "occupancy\tagents\tslots\toccupancy\t")
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t\n", g.Name, g.Agents, g.Slots, g.Occupancy*100)
	}
	return tw.Flush()
}

// WriteCSV writes one row per interval and queue, customer tier, agent
// group and total.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"interval_start", "scope", "name", "offered", "answered", "answered_within", "abandoned",
		"abandoned_short", "service_level", "asa_seconds", "abandon_rate", "occupancy"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	for _, row := range r.Intervals {
		m := row.Metrics
		rec := []string{row.Start.Format(time.RFC3339), row.Scope, row.Name}
		if row.Scope == "group" {
			rec = append(rec, "", "", "", "", "", "", "", "", f(row.Occupancy))
		} else {
			rec = append(rec, strconv.Itoa(m.Offered), strconv.Itoa(m.Answered), strconv.Itoa(m.AnsweredWithin),
				strconv.Itoa(m.Abandoned), strconv.Itoa(m.AbandonedShort), f(m.ServiceLevel), f(m.ASASeconds), f(m.AbandonRate), "")
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
