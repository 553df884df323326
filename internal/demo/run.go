package demo

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The store stamps rows with one clock, so writes that share a commit batch
// share a timestamp. Exact per-write times would mean one commit (and one
// fsync) per write; instead each operation gets a window of acceptable
// times, and the scheduler stamps as many operations as it can with the
// same time.
//
// An operation's window follows the actual time of its ticket's previous
// operation: the gap between them keeps between minGapShare and
// maxGapShare of its planned length, so a 40-second chat answer is stamped
// 20 to 60 seconds after the question, and a ticket's writes stay in
// order. No operation is stamped later than planned (so never after Now),
// none more than maxDrift earlier unless a chain of short gaps must catch
// up, and one with notBefore never before that (a late answer stays late,
// the nightly close runs at 02:00). Operations done together (a reply and
// "solve") form one step and share a time.
const (
	createDrift = 20 * time.Minute // how much earlier a ticket may open
	maxDrift    = 20 * time.Minute // how much earlier any other write may be stamped
	minGapShare = 0.5              // a gap keeps at least half its planned length…
	maxGapShare = 1.5              // …and grows by at most half, when catching up
	maxWave     = 96
)

// window sets o's window given the stamp of its ticket's previous operation
// (zero for the first). flat means there is no clock to follow: only the
// order of each ticket's operations matters.
func (o *op) window(prev time.Time, flat bool) {
	if flat {
		o.lo, o.hi = time.Time{}, o.at
		return
	}
	o.lo, o.hi = o.at.Add(-maxDrift), o.at
	if o.create {
		o.lo = o.at.Add(-createDrift)
	}
	if o.barrier {
		o.lo = o.at
	}
	if !prev.IsZero() {
		gap := o.at.Sub(o.t.ops[o.t.next-1].at) // from the previous step (its ops share one time)
		short := prev.Add(max(time.Second, time.Duration(float64(gap)*minGapShare)))
		long := prev.Add(max(time.Second, time.Duration(float64(gap)*maxGapShare)))
		o.lo = later(o.lo, short)
		if long.Before(o.hi) {
			o.hi = long
		}
		if o.hi.Before(o.lo) { // drifted too far: keep the gap's shape, catch up later
			o.lo, o.hi = short, long
			if o.hi.After(o.at) {
				o.hi = later(o.at, o.lo)
			}
		}
	}
	if !o.notBefore.IsZero() {
		o.lo = later(o.lo, o.notBefore)
		o.hi = later(o.hi, o.lo)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// schedule forms the waves: repeatedly, the operation whose window closes
// first fixes the wave's time T, and every other ready operation whose
// window holds T joins (one per ticket; merges run alone). It is a pure
// function of the plan, so stamps and ticket numbers are reproducible.
func (w *world) schedule(ctx context.Context, runWave func(T time.Time, ops []*op) error) error {
	flat, limit := w.o.Clock == nil && w.s != nil, maxWave
	if flat {
		limit = 4 * maxWave
	}
	var ready []*op
	for _, o := range w.ops {
		if o.t == nil {
			o.window(time.Time{}, flat)
			ready = append(ready, o)
			continue
		}
		o.t.ops = append(o.t.ops, o)
	}
	for _, t := range w.allTickets() {
		if len(t.ops) > 0 {
			t.ops[0].window(time.Time{}, flat)
			ready = append(ready, t.ops[0])
		}
	}
	earlier := func(a, b *op) int {
		if c := a.hi.Compare(b.hi); c != 0 {
			return c
		}
		return a.seq - b.seq
	}
	for len(ready) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := slices.MinFunc(ready, earlier)
		T := m.hi
		var wave []*op
		if m.barrier {
			wave = []*op{m}
		} else {
			for _, o := range ready {
				if !o.barrier && !o.lo.After(T) {
					wave = append(wave, o)
				}
			}
			slices.SortFunc(wave, earlier)
			busy := map[*ticket]bool{}
			n := 0
			for _, o := range wave {
				if n == limit || busy[o.t] || (o.other != nil && (busy[o.other] || o.other.next == 0)) {
					continue
				}
				busy[o.t] = true
				if o.other != nil {
					busy[o.other] = true
				}
				wave[n] = o
				n++
			}
			wave = wave[:n]
		}
		if err := runWave(T, wave); err != nil {
			return err
		}
		in := map[*op]bool{}
		for _, o := range wave {
			in[o] = true
		}
		ready = slices.DeleteFunc(ready, func(o *op) bool { return in[o] })
		for _, o := range wave {
			if o.t == nil {
				continue
			}
			o.t.next += len(o.t.step())
			if o.t.next < len(o.t.ops) {
				n := o.t.ops[o.t.next]
				n.window(T, flat)
				ready = append(ready, n)
			}
		}
	}
	return nil
}

// step is the ticket's next op with the ops done together with it.
func (t *ticket) step() []*op {
	end := t.next + 1
	for end < len(t.ops) && t.ops[end].with {
		end++
	}
	return t.ops[t.next:end]
}

// runStep runs o and the ops done together with it, in order.
func runStep(ctx context.Context, o *op) error {
	if o.t == nil {
		return wrapOp(o, o.run(ctx))
	}
	for _, s := range o.t.step() {
		if err := s.run(ctx); err != nil {
			return wrapOp(s, err)
		}
	}
	return nil
}

func (w *world) allTickets() []*ticket {
	var out []*ticket
	for _, t := range w.tenants {
		out = append(out, t.tickets...)
	}
	return out
}

// run writes the plan, wave by wave, with the clock at the wave's time.
func (w *world) run(ctx context.Context) error {
	return w.schedule(ctx, func(T time.Time, ops []*op) error {
		w.setClock(T)
		return w.wave(ctx, ops)
	})
}

// wave runs one wave's operations concurrently; the store commits them in
// a few batches. Ticket creations run one after another in plan order so
// that ticket numbers are the same on every load.
func (w *world) wave(ctx context.Context, ops []*op) error {
	if len(ops) == 1 {
		return runStep(ctx, ops[0])
	}
	var creates, rest []int
	for i, o := range ops {
		if o.create {
			creates = append(creates, i)
		} else {
			rest = append(rest, i)
		}
	}
	slices.SortStableFunc(creates, func(a, b int) int { return ops[a].seq - ops[b].seq })
	errs := make([]error, len(ops))
	var wg sync.WaitGroup
	if len(creates) > 0 {
		wg.Go(func() {
			for _, i := range creates {
				if errs[i] = runStep(ctx, ops[i]); errs[i] != nil {
					return
				}
			}
		})
	}
	jobs := make(chan int)
	for range min(w.o.Workers, len(rest)) {
		wg.Go(func() {
			for i := range jobs {
				errs[i] = runStep(ctx, ops[i])
			}
		})
	}
	for _, i := range rest {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func wrapOp(o *op, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("demo: %s (planned %s): %w", o.what, o.at.Format(time.RFC3339), err)
}

// parallel runs f(0..n-1) on up to workers goroutines and returns the
// error of the lowest index that failed.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					continue
				}
				errs[i] = f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
