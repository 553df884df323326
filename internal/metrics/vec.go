package metrics

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

// vec maps label values to one child metric each. Children are created on
// first use and live as long as the registry: label values must come from
// a small fixed set (method, route pattern, status class), never from user
// input, or the series count grows without bound.
type vec[T any] struct {
	labels   []string
	newChild func() *T
	mu       sync.RWMutex
	children map[string]*child[T]
}

type child[T any] struct {
	values []string
	m      *T
}

func newVec[T any](labels []string, newChild func() *T) *vec[T] {
	return &vec[T]{labels: slices.Clone(labels), newChild: newChild, children: map[string]*child[T]{}}
}

// with returns the child for values, creating it if needed. The lookup key
// is built in a stack buffer and the map is indexed with string(key), which
// the compiler does without allocating, so looking up an existing child is
// allocation-free.
func (v *vec[T]) with(values []string) *T {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %d label values for labels %v", len(values), v.labels))
	}
	var buf [128]byte
	key := appendKey(buf[:0], values)
	v.mu.RLock()
	c := v.children[string(key)]
	v.mu.RUnlock()
	if c != nil {
		return c.m
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c := v.children[string(key)]; c != nil {
		return c.m
	}
	c = &child[T]{values: slices.Clone(values), m: v.newChild()}
	v.children[string(key)] = c
	return c.m
}

// appendKey encodes values unambiguously: each is length-prefixed, so no
// choice of separator can make two label sets collide.
func appendKey(b []byte, values []string) []byte {
	for _, s := range values {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// sorted returns the children ordered by label values, for stable output.
func (v *vec[T]) sorted() []*child[T] {
	v.mu.RLock()
	out := make([]*child[T], 0, len(v.children))
	for _, c := range v.children {
		out = append(out, c)
	}
	v.mu.RUnlock()
	slices.SortFunc(out, func(a, b *child[T]) int { return slices.Compare(a.values, b.values) })
	return out
}
