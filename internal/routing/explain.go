package routing

import (
	"fmt"
	"strings"
	"time"
)

// Explain says in one line why this item went to this agent now. The
// structured fields are kept with the ticket; this text is for people.
func (d Decision) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: waited %s", d.Trigger, round(d.Waited))
	credits := []struct {
		name string
		d    time.Duration
	}{{"emergency", d.Emergency}, {"customer tier", d.Tier}, {"priority", d.Priority}, {"SLA at risk", d.SLARisk}}
	total := d.Waited
	for _, c := range credits {
		if c.d != 0 {
			fmt.Fprintf(&b, ", %s %+v", c.name, round(c.d))
			total += c.d
		}
	}
	if total != d.Waited {
		fmt.Fprintf(&b, " (ranked as %s of waiting)", round(total))
	}
	fmt.Fprintf(&b, "; step %d (%s)", d.Step, d.StepName)
	if d.Ring == 0 {
		b.WriteString(", agent fully qualified")
	} else {
		fmt.Fprintf(&b, ", agent qualifies from step %d", d.Ring)
	}
	if d.SkillScore > 0 {
		fmt.Fprintf(&b, ", skill score %d", d.SkillScore)
	}
	if d.Selection == LeastLoaded {
		fmt.Fprintf(&b, ", least loaded (%d of %d)", d.Load, d.Capacity)
	} else {
		fmt.Fprintf(&b, ", idle longest (%s, %d of %d)", round(d.Idle), d.Load, d.Capacity)
	}
	pool := d.Pool
	if pool == InHouse {
		pool = "in-house"
	}
	if d.PoolTarget > 0 {
		fmt.Fprintf(&b, "; pool %s, share %.0f%%, %.1f%% so far", pool, d.PoolTarget*100, d.PoolActual*100)
	} else {
		fmt.Fprintf(&b, "; pool %s", pool)
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	if d > time.Minute || d < -time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
