package bench

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"time"
)

// wire is one load worker's own keep-alive connection to a plain-HTTP
// server: the worker writes each request and reads its response on its own
// goroutine. net/http's Transport hands every request to two goroutines of
// its connection and back (a profile of the load generator under the
// append load: the Transport's read and write loops, the scheduler and
// futexes were most of its 130–200 µs of CPU a request); the load generator
// shares the server's cores, so what it spends the server does not get.
// Requests and responses are still written and parsed by net/http
// (Request.Write, ReadResponse).
type wire struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	addr string
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

func newWire(dial func(ctx context.Context, network, addr string) (net.Conn, error), addr string) *wire {
	return &wire{dial: dial, addr: addr}
}

func (w *wire) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

// do is runner.do over the wire. A connection that failed, or that the
// server asks to close, is closed; the next request dials again.
func (w *wire) do(req *http.Request, keep bool) (int, []byte, error) {
	status, body, reuse, err := w.roundTrip(req, keep)
	if err != nil || !reuse {
		w.close()
	}
	return status, body, err
}

func (w *wire) roundTrip(req *http.Request, keep bool) (status int, body []byte, reuse bool, err error) {
	ctx := req.Context()
	if w.conn == nil {
		c, err := w.dial(ctx, "tcp", w.addr)
		if err != nil {
			return 0, nil, false, err
		}
		w.conn = c
		if w.br == nil {
			w.br, w.bw = bufio.NewReaderSize(c, 16<<10), bufio.NewWriterSize(c, 16<<10)
		} else {
			w.br.Reset(c)
			w.bw.Reset(c)
		}
	}
	// As net/http does: a request whose context ends is cut off at once
	// (and its error seen after the context's, which the worker checks).
	c := w.conn
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() { // cut off: the connection is not reused
			reuse = false
		}
	}()
	if err := req.Write(w.bw); err != nil {
		return 0, nil, false, err
	}
	if err := w.bw.Flush(); err != nil {
		return 0, nil, false, err
	}
	resp, err := http.ReadResponse(w.br, req)
	if err != nil {
		return 0, nil, false, err
	}
	defer resp.Body.Close()
	body, err = readBody(resp, keep)
	if err != nil {
		return resp.StatusCode, nil, false, err
	}
	return resp.StatusCode, body, !resp.Close, nil
}
