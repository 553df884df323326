package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
)

// Bus carries routing between nodes: requests to the node that owns a
// tenant's routing, and the events it pushes to every node's streams.
// One node needs none: everything stays in the process.
type Bus interface {
	// Request sends data to the one handler of subject and waits for its
	// reply; ErrNoOwner when nobody handles subject (yet).
	Request(ctx context.Context, subject string, data []byte) ([]byte, error)
	// Handle answers requests on subject until stop is called.
	Handle(subject string, h func(data []byte) []byte) (stop func(), err error)
	// Publish sends data to every subscriber of subject.
	Publish(subject string, data []byte) error
	// Subscribe calls h for every message on subject until stop is called.
	Subscribe(subject string, h func(data []byte)) (stop func(), err error)
}

// ErrNoOwner says no node answered for a tenant: its owner is starting,
// or died and its lease has not expired yet.
var ErrNoOwner = errors.New("no node owns this tenant's routing yet")

// NATS is a Bus over a NATS server.
type NATS struct {
	nc      *nats.Conn
	Timeout time.Duration
}

// DialNATS connects to a NATS server (nats://host:4222), reconnecting for
// ever if it goes away.
func DialNATS(url, name string) (*NATS, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return nil, err
	}
	return &NATS{nc: nc, Timeout: 5 * time.Second}, nil
}

// Close drains and closes the connection.
func (b *NATS) Close() { b.nc.Drain() }

func (b *NATS) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	msg, err := b.nc.RequestWithContext(ctx, subject, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, ErrNoOwner
	}
	if err != nil {
		return nil, err
	}
	return msg.Data, nil
}

func (b *NATS) Handle(subject string, h func(data []byte) []byte) (func(), error) {
	return b.subscribe(subject, func(m *nats.Msg) { m.Respond(h(m.Data)) })
}

func (b *NATS) Publish(subject string, data []byte) error { return b.nc.Publish(subject, data) }

func (b *NATS) Subscribe(subject string, h func(data []byte)) (func(), error) {
	return b.subscribe(subject, func(m *nats.Msg) { h(m.Data) })
}

// subscribe returns once the server has the subscription: an owner must be
// reachable before it says it owns anything, and a stream must not miss
// what is published right after it opens.
func (b *NATS) subscribe(subject string, h nats.MsgHandler) (func(), error) {
	sub, err := b.nc.Subscribe(subject, h)
	if err != nil {
		return nil, err
	}
	if err := b.nc.Flush(); err != nil {
		sub.Unsubscribe()
		return nil, err
	}
	return func() { sub.Unsubscribe() }, nil
}
