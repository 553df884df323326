// Package metrics is a small Prometheus registry that writes the text
// exposition format (version 0.0.4). It covers what kefu exports — counters,
// gauges and fixed-bucket histograms, with or without labels — using only
// the standard library.
//
// Updating a metric is an atomic operation with no allocation, so it can sit
// on every request path. Label lookups cost a map read under a shared lock;
// callers on hot paths look a child up once and keep it.
//
// Registration panics on programmer errors (bad or duplicate names, wrong
// label counts), like the official client: they show at startup or in the
// first test, not in production output.
package metrics

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// ContentType is the media type of the exposition the Handler writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Registry holds metric families and writes them for a scrape. The zero
// value is not usable; call NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
	taken    map[string]bool // every sample name in use, including _bucket, _sum, _count
	bufs     sync.Pool       // of *expo, so scrapes reuse their buffers
}

// family is one metric name with its HELP and TYPE lines. write appends its
// samples; it reports whether there were any, so that families without
// series (a vector nobody has used yet) are left out, as the official
// client does.
type family struct {
	name, help, typ string
	write           func(w *expo) bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: map[string]*family{}, taken: map[string]bool{}}
}

func (r *Registry) register(f *family, sampleNames ...string) {
	mustValidName(f.name)
	names := append([]string{f.name}, sampleNames...)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		if r.taken[n] {
			panic(fmt.Sprintf("metrics: %q registered twice", n))
		}
	}
	for _, n := range names {
		r.taken[n] = true
	}
	r.families[f.name] = f
}

// WriteTo writes every family, sorted by name, in the text format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	e, _ := r.bufs.Get().(*expo)
	if e == nil {
		e = &expo{}
	}
	defer r.bufs.Put(e)
	e.b = e.b[:0]
	r.gather(e)
	n, err := w.Write(e.b)
	return int64(n), err
}

// gather renders the exposition. Families are collected under the lock but
// rendered outside it, so a slow GaugeFunc never blocks registration.
func (r *Registry) gather(e *expo) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })

	for _, f := range fams {
		head := len(e.b)
		e.b = append(e.b, "# HELP "...)
		e.b = append(e.b, f.name...)
		e.b = append(e.b, ' ')
		e.b = appendEscaped(e.b, f.help, false)
		e.b = append(e.b, "\n# TYPE "...)
		e.b = append(e.b, f.name...)
		e.b = append(e.b, ' ')
		e.b = append(e.b, f.typ...)
		e.b = append(e.b, '\n')
		if !f.write(e) {
			e.b = e.b[:head]
		}
	}
}

// Handler serves the registry for Prometheus to scrape. The whole
// exposition is rendered before the first byte is sent, so a scrape never
// sees a half-written family.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = r.WriteTo(w) // a client gone mid-scrape is not an error worth logging
	})
}
