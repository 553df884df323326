// Package timeq is a queue of things due at a time, earliest first, and in
// the order they were added when due together. The routing engine's timers
// and the simulator's events both run on it.
package timeq

// Queue holds values of T by due time (nanoseconds, any epoch).
type Queue[T any] struct {
	xs  []entry[T]
	seq uint64
}

type entry[T any] struct {
	at  int64
	seq uint64
	v   T
}

func less[T any](a, b *entry[T]) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// Len is how many values wait.
func (q *Queue[T]) Len() int { return len(q.xs) }

// Push adds v, due at at.
func (q *Queue[T]) Push(at int64, v T) {
	q.seq++
	q.xs = append(q.xs, entry[T]{at: at, seq: q.seq, v: v})
	xs := q.xs
	j := len(xs) - 1
	for j > 0 {
		i := (j - 1) / 2
		if !less(&xs[j], &xs[i]) {
			break
		}
		xs[i], xs[j] = xs[j], xs[i]
		j = i
	}
}

// Peek returns the earliest value and its due time; ok is false when empty.
func (q *Queue[T]) Peek() (at int64, v T, ok bool) {
	if len(q.xs) == 0 {
		return 0, v, false
	}
	return q.xs[0].at, q.xs[0].v, true
}

// Pop removes and returns the earliest value; the queue must not be empty.
func (q *Queue[T]) Pop() (int64, T) {
	xs := q.xs
	n := len(xs) - 1
	top := xs[0]
	xs[0] = xs[n]
	xs[n] = entry[T]{}
	xs = xs[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && less(&xs[r], &xs[l]) {
			j = r
		}
		if !less(&xs[j], &xs[i]) {
			break
		}
		xs[i], xs[j] = xs[j], xs[i]
		i = j
	}
	q.xs = xs
	return top.at, top.v
}
