package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
)

func leaseName(tenant string) string      { return "routing:" + tenant }
func requestSubject(tenant string) string { return "kefu.routing." + tenant }

// wireError carries a domain error between nodes.
type wireError struct {
	Kind    kefu.ErrorKind    `json:"kind"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

type reply struct {
	Err      *wireError      `json:"error,omitempty"`
	NotOwner bool            `json:"not_owner,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

func toWire(err error) *wireError {
	var e *kefu.Error
	if errors.As(err, &e) {
		return &wireError{Kind: e.Kind, Code: e.Code, Message: e.Message, Fields: e.Fields}
	}
	return &wireError{Kind: kefu.KindInternal, Code: "internal", Message: err.Error()}
}

func (w *wireError) err() error {
	if w.Kind == kefu.KindInternal {
		return kefu.Internal(errors.New(w.Message))
	}
	return &kefu.Error{Kind: w.Kind, Code: w.Code, Message: w.Message, Fields: w.Fields}
}

// exec runs a routing operation on the node that owns the tenant: here if
// this node owns it (or takes it over), else over the bus. out receives
// the result.
func (s *Service) exec(ctx context.Context, tenant string, o op, out any) error {
	deadline := time.Now().Add(3 * s.o.LeaseTTL)
	for {
		select {
		case <-s.stop:
			return &kefu.Error{Kind: kefu.KindConflict, Code: "shutting_down", Message: "this node is shutting down"}
		default:
		}
		d, err := s.owned(ctx, tenant)
		if err != nil {
			return err
		}
		if d != nil {
			res, err, ok := d.run(ctx, o)
			if !ok {
				s.drop(d) // its lease ran out: take it again or ask the new owner
				continue
			}
			if err != nil {
				return err
			}
			return decodeInto(res, out)
		}
		err = s.forward(ctx, tenant, o, out)
		if !errors.Is(err, ErrNoOwner) {
			return err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return &kefu.Error{Kind: kefu.KindConflict, Code: "routing_unavailable", Message: "no node can route this tenant right now; try again"}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func decodeInto(res any, out any) error {
	if out == nil || res == nil {
		return nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return kefu.Internal(err)
	}
	return kefu.InternalOrNil(json.Unmarshal(b, out))
}

// run applies o under the desk's lock; ok is false when this node no
// longer holds the tenant's lease (the caller then asks the new owner).
func (d *desk) run(ctx context.Context, o op) (res any, err error, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, nil, false
	}
	// Self-fencing: an owner that could not renew in time stops deciding
	// before another node may take over.
	if d.svc.o.Bus != nil && time.Now().After(d.until.Add(-d.svc.o.LeaseTTL/3)) {
		return nil, nil, false
	}
	now := d.svc.now()
	d.rollDay(now)
	res, evs, err := d.apply(ctx, now, o)
	d.handle(evs)
	clear(d.stored) // it speaks only of this op's events
	d.rearm()
	return res, err, true
}

// owned returns this node's desk for the tenant, taking the tenant over if
// nobody holds it; nil when another node owns it.
func (s *Service) owned(ctx context.Context, tenant string) (*desk, error) {
	s.mu.Lock()
	d := s.desks[tenant]
	s.mu.Unlock()
	if d != nil {
		d.mu.Lock()
		closed := d.closed
		d.mu.Unlock()
		if !closed {
			return d, nil
		}
	}
	return s.takeOver(ctx, tenant)
}

// takeOver builds the tenant's desk here if this node gets (or, on one
// node, needs no) lease.
func (s *Service) takeOver(ctx context.Context, tenant string) (*desk, error) {
	var until time.Time
	if s.o.Bus != nil {
		held, u, err := s.s.AcquireLease(ctx, leaseName(tenant), s.o.Node, s.o.LeaseTTL)
		if err != nil || !held {
			return nil, err
		}
		until = u
	}
	d := newDesk(s, tenant)
	d.until = until
	d.mu.Lock()
	err := d.load(ctx)
	d.mu.Unlock()
	if err != nil {
		if s.o.Bus != nil {
			s.s.ReleaseLease(context.Background(), leaseName(tenant), s.o.Node)
		}
		return nil, err
	}
	if s.o.Bus != nil {
		stop, err := s.o.Bus.Handle(requestSubject(tenant), func(b []byte) []byte { return s.serve(tenant, b) })
		if err != nil {
			d.close()
			s.s.ReleaseLease(context.Background(), leaseName(tenant), s.o.Node)
			return nil, err
		}
		d.stopHandle = stop
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stop:
		d.close()
		return nil, &kefu.Error{Kind: kefu.KindConflict, Code: "shutting_down", Message: "this node is shutting down"}
	default:
	}
	if other := s.desks[tenant]; other != nil && !other.closed {
		d.close() // one node, two first requests at once: keep the first desk
		return other, nil
	}
	s.desks[tenant] = d
	if s.o.Bus != nil {
		s.log.Info("routing: this node now routes the tenant", "tenant", tenant, "node", s.o.Node)
	}
	return d, nil
}

// serve answers a request from another node.
func (s *Service) serve(tenant string, b []byte) []byte {
	var o op
	var rep reply
	if err := json.Unmarshal(b, &o); err != nil {
		rep.Err = toWire(kefu.Internal(err))
	} else {
		s.mu.Lock()
		d := s.desks[tenant]
		s.mu.Unlock()
		if d == nil {
			rep.NotOwner = true
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err, ok := d.run(ctx, o)
			cancel()
			switch {
			case !ok:
				rep.NotOwner = true
			case err != nil:
				rep.Err = toWire(err)
			default:
				rep.Data, _ = json.Marshal(res)
			}
		}
	}
	out, _ := json.Marshal(rep)
	return out
}

// forward sends o to the owner; ErrNoOwner when there is none right now.
func (s *Service) forward(ctx context.Context, tenant string, o op, out any) error {
	b, _ := json.Marshal(o)
	rb, err := s.o.Bus.Request(ctx, requestSubject(tenant), b)
	if err != nil {
		if errors.Is(err, ErrNoOwner) || strings.Contains(err.Error(), "timeout") {
			return ErrNoOwner
		}
		return kefu.Internal(err)
	}
	var rep reply
	if err := json.Unmarshal(rb, &rep); err != nil {
		return kefu.Internal(err)
	}
	if rep.NotOwner {
		return ErrNoOwner
	}
	if rep.Err != nil {
		return rep.Err.err()
	}
	if out != nil && len(rep.Data) > 0 {
		return kefu.InternalOrNil(json.Unmarshal(rep.Data, out))
	}
	return nil
}

// keepLeases renews this node's leases and takes over tenants whose owner
// stopped renewing, every third of the lease time.
func (s *Service) keepLeases() {
	defer s.done.Done()
	t := time.NewTicker(s.o.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.o.LeaseTTL/3)
		for _, d := range s.ownedDesks() {
			held, until, err := s.s.AcquireLease(ctx, leaseName(d.tenant), s.o.Node, s.o.LeaseTTL)
			d.mu.Lock()
			if err == nil && held {
				d.until = until
			}
			d.mu.Unlock()
			if err == nil && !held {
				s.log.Warn("routing: lease lost; another node routes the tenant now", "tenant", d.tenant)
				s.drop(d)
			}
		}
		expired, err := s.s.ExpiredLeases(ctx, "routing:")
		if err == nil {
			for _, name := range expired {
				if _, err := s.takeOver(ctx, strings.TrimPrefix(name, "routing:")); err != nil {
					s.log.Warn("routing: take-over failed", "lease", name, "err", err)
				}
			}
		}
		cancel()
	}
}

func (s *Service) drop(d *desk) {
	s.mu.Lock()
	if s.desks[d.tenant] == d {
		delete(s.desks, d.tenant)
	}
	s.mu.Unlock()
	d.close()
}
