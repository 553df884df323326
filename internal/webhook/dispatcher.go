// Package webhook delivers queued events to subscribers' URLs, signed with
// HMAC-SHA256, retrying with backoff until a 2xx answer or the last attempt.
//
// Deliveries are queued by the store in the same transaction as the event,
// so nothing is lost; the dispatcher only claims due deliveries under a
// lease, so several nodes can run one each without sending an attempt
// twice. Delivery is at least once: a node that dies after the subscriber
// answered but before the outcome was recorded leaves the delivery to be
// sent again after its lease, so subscribers deduplicate on HeaderDelivery.
package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/store"
)

// Defaults for Options left zero.
const (
	DefaultWorkers     = 4
	DefaultLease       = time.Minute
	DefaultMaxAttempts = 12
	DefaultTimeout     = 10 * time.Second
	DefaultMaxIdle     = 5 * time.Second
)

// Options configure New. Only Store is required.
type Options struct {
	Store *store.Store
	// Client sends the requests. The default follows no redirects: a 3xx
	// counts as a failure, so a moved endpoint shows up in the delivery log
	// instead of payloads silently going somewhere else.
	Client *http.Client
	// Clock stamps signatures and schedules retries; default the store's
	// clock, which is also what the store compares due times with.
	Clock  clock.Clock
	Logger *slog.Logger
	// Workers is how many deliveries are in flight at once.
	Workers int
	// Lease is how long a claimed delivery stays reserved for this node. It
	// must outlast one attempt, so it is raised to at least twice Timeout.
	Lease       time.Duration
	MaxAttempts int
	// Timeout bounds one request, connection to last response byte read.
	Timeout time.Duration
	// MaxIdle caps how long the dispatcher sleeps without looking at the
	// queue, so deliveries queued or retried by other nodes (whose wake-ups
	// do not reach this process) are picked up within it.
	MaxIdle time.Duration
}

// Dispatcher sends webhook deliveries. Create it with New and start Run.
type Dispatcher struct {
	store       *store.Store
	client      *http.Client
	clock       clock.Clock
	log         *slog.Logger
	workers     int
	lease       time.Duration
	maxAttempts int
	timeout     time.Duration
	maxIdle     time.Duration

	kick    chan struct{} // capacity 1: any number of kicks coalesce into one wake-up
	running atomic.Bool
}

// New makes a dispatcher; it does nothing until Run.
func New(o Options) *Dispatcher {
	if o.Store == nil {
		panic("webhook: Options.Store is required")
	}
	if o.Clock == nil {
		o.Clock = o.Store
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	o.Lease = max(o.Lease, 2*o.Timeout)
	if o.MaxIdle <= 0 {
		o.MaxIdle = DefaultMaxIdle
	}
	if o.Client == nil {
		o.Client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Dispatcher{
		store: o.Store, client: o.Client, clock: o.Clock, log: o.Logger,
		workers: o.Workers, lease: o.Lease, maxAttempts: o.MaxAttempts, timeout: o.Timeout, maxIdle: o.MaxIdle,
		kick: make(chan struct{}, 1),
	}
}

// Kick wakes Run to look for due deliveries now. The store calls it when
// deliveries are queued; tests call it after moving a manual clock. It never
// blocks.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled, then waits for the attempts in flight
// to finish and be recorded (at most Timeout plus a store write), so a
// shutdown does not waste an attempt. It returns nil after a cancellation.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("webhook: dispatcher is already running")
	}
	defer d.running.Store(false)
	// The store holds one wake-up; this dispatcher is the process's only one.
	d.store.OnDeliveriesQueued(d.Kick)

	// In-flight attempts outlive ctx: they finish and are recorded.
	attemptCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan struct{}, d.workers) // never blocks: at most d.workers attempts run
	inFlight := 0

	timer := time.NewTimer(time.Hour)
	timer.Stop()                // armed with Reset only when there is something to wait for
	errWait := time.Duration(0) // grows while the store fails, so an outage is not hammered

	for {
		wait := time.Duration(-1) // negative: only a finishing attempt or ctx can wake us
		if free := d.workers - inFlight; free > 0 {
			// A batch claimed as ctx ends is still sent: its lease is taken.
			batch, err := d.store.ClaimDeliveries(ctx, free, d.lease)
			switch {
			case err != nil && ctx.Err() != nil:
				return nil
			case err != nil:
				errWait = min(max(2*errWait, 500*time.Millisecond), d.maxIdle)
				d.log.Error("webhook: claim deliveries", "err", err, "retry_in", errWait)
				wait = errWait
			default:
				errWait = 0
				for _, due := range batch {
					inFlight++
					wg.Go(func() {
						d.deliver(attemptCtx, due)
						done <- struct{}{}
					})
				}
				if len(batch) < free {
					wait = d.idle(ctx)
				}
				// A full batch means more may be due: loop again once an attempt finishes.
			}
		}

		var tick <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			inFlight--
		case <-d.kick:
		case <-tick:
		}
		timer.Stop()
	}
}

// idle tells how long to sleep when everything claimable has been claimed:
// until the earliest pending delivery is due, at most MaxIdle. An earliest
// delivery that is already due is usually one leased by an attempt in
// flight here or on another node (NextDeliveryAt does not skip leased
// rows); it may also have just come due after the claim. A short poll
// covers both without spinning.
func (d *Dispatcher) idle(ctx context.Context) time.Duration {
	next, err := d.store.NextDeliveryAt(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhook: next delivery time", "err", err)
		}
		return d.maxIdle
	}
	if next == nil {
		return d.maxIdle
	}
	if w := next.Sub(d.clock.Now()); w > 0 {
		return min(w, d.maxIdle)
	}
	return min(duePoll, d.maxIdle)
}

// duePoll is how often to look again while the earliest due delivery is
// leased by someone else.
const duePoll = time.Second
