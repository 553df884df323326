package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// seedProgressEvery is how often Seed reports progress.
const seedProgressEvery = 3 * time.Second

// Seed calls create(ctx, i) once for every i in [0, n), with at most
// concurrency calls in flight at once (default 32 when concurrency <= 0).
// Every few seconds, and once at the end, it writes a progress line to
// progress (nil for none). The first error stops the loop: no new calls are
// started, the context passed to calls in flight is cancelled, and that
// error is returned wrapped with its index. If ctx ends first, Seed stops
// the same way and returns the context's error.
func Seed(ctx context.Context, create func(ctx context.Context, i int) error, n, concurrency int, progress io.Writer) error {
	return seed(ctx, create, n, concurrency, progress, seedProgressEvery)
}

func seed(ctx context.Context, create func(ctx context.Context, i int) error, n, concurrency int, progress io.Writer, every time.Duration) error {
	if n <= 0 {
		return nil
	}
	if create == nil {
		return fmt.Errorf("bench: seed: nil create function")
	}
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	if concurrency > n {
		concurrency = n
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		next     atomic.Int64
		done     atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() {
			firstErr = err
			cancel(err)
		})
	}
	start := time.Now()
	report := func(final bool) {
		if progress == nil {
			return
		}
		d := done.Load()
		el := time.Since(start)
		rate := 0.0
		if el > 0 {
			rate = float64(d) / el.Seconds()
		}
		line := fmt.Sprintf("seed: %d/%d (%.1f%%) in %s, %.0f/s", d, n, 100*float64(d)/float64(n), el.Round(time.Second), rate)
		if !final && rate > 0 && d < int64(n) {
			eta := time.Duration(float64(int64(n)-d) / rate * float64(time.Second))
			line += fmt.Sprintf(", eta %s", eta.Round(time.Second))
		}
		fmt.Fprintln(progress, line)
	}

	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if progress == nil {
			return
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				report(false)
			case <-stopProgress:
				return
			}
		}
	}()

	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := create(ctx, int(i)); err != nil {
					if parent.Err() != nil {
						return // cancelled from outside; reported below
					}
					fail(fmt.Errorf("bench: seed item %d: %w", i, err))
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	<-progressDone
	report(true)

	if firstErr != nil {
		return firstErr
	}
	if d := done.Load(); d < int64(n) {
		if err := context.Cause(ctx); err != nil {
			return fmt.Errorf("bench: seed stopped after %d of %d: %w", d, n, err)
		}
	}
	return nil
}
