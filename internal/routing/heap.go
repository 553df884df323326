package routing

// Hand-written indexed heaps: each element knows its position, so removing
// or re-ranking one is O(log n) without a search, and nothing is boxed
// through container/heap's interface.
// The two heaps rank differently (items by credit-adjusted arrival, agents
// by skill then idle time or load) and sit on the decision path, so each
// keeps its comparison inlined rather than sharing a generic heap that
// would call it indirectly. Timers, ranked by time alone, use timeq.

// itemHeap orders waiting items by key (effective arrival: earlier first).
type itemHeap struct {
	xs []*item
}

func itemLess(a, b *item) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.seq < b.seq
}

func (h *itemHeap) len() int { return len(h.xs) }

func (h *itemHeap) top() *item {
	if len(h.xs) == 0 {
		return nil
	}
	return h.xs[0]
}

func (h *itemHeap) push(it *item) {
	it.heap = h
	it.pos = len(h.xs)
	h.xs = append(h.xs, it)
	h.up(it.pos)
}

func (h *itemHeap) remove(it *item) {
	i := it.pos
	n := len(h.xs) - 1
	if i != n {
		h.swap(i, n)
	}
	h.xs[n] = nil
	h.xs = h.xs[:n]
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	it.heap = nil
	it.pos = -1
}

func (h *itemHeap) swap(i, j int) {
	h.xs[i], h.xs[j] = h.xs[j], h.xs[i]
	h.xs[i].pos = i
	h.xs[j].pos = j
}

func (h *itemHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !itemLess(h.xs[j], h.xs[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *itemHeap) down(i0 int) bool {
	i, n := i0, len(h.xs)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && itemLess(h.xs[r], h.xs[l]) {
			j = r
		}
		if !itemLess(h.xs[j], h.xs[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// member is one agent's place in one queue: the ring it qualifies at, its
// pool and skill score there, and its position in that ring's heap.
type member struct {
	a     *agent
	q     *queue
	ring  int
	pool  int
	score int32
	pos   int // -1 when not in the heap (agent not free on the channel)
}

// agentHeap holds the free agents of one (queue, pool, ring): best skill
// score first, then by the queue's selection.
type agentHeap struct {
	mode Selection
	ch   int
	ms   []*member
}

func (h *agentHeap) less(x, y *member) bool {
	if x.score != y.score {
		return x.score > y.score
	}
	a, b := x.a, y.a
	if h.mode == LeastLoaded && a.load[h.ch] != b.load[h.ch] {
		return a.load[h.ch] < b.load[h.ch]
	}
	if a.since[h.ch] != b.since[h.ch] {
		return a.since[h.ch] < b.since[h.ch]
	}
	return a.idx < b.idx
}

func (h *agentHeap) top() *member {
	if len(h.ms) == 0 {
		return nil
	}
	return h.ms[0]
}

func (h *agentHeap) push(m *member) {
	m.pos = len(h.ms)
	h.ms = append(h.ms, m)
	h.up(m.pos)
}

func (h *agentHeap) remove(m *member) {
	i := m.pos
	n := len(h.ms) - 1
	if i != n {
		h.swap(i, n)
	}
	h.ms[n] = nil
	h.ms = h.ms[:n]
	if i != n {
		h.fix(i)
	}
	m.pos = -1
}

func (h *agentHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *agentHeap) swap(i, j int) {
	h.ms[i], h.ms[j] = h.ms[j], h.ms[i]
	h.ms[i].pos = i
	h.ms[j].pos = j
}

func (h *agentHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.ms[j], h.ms[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *agentHeap) down(i0 int) bool {
	i, n := i0, len(h.ms)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(h.ms[r], h.ms[l]) {
			j = r
		}
		if !h.less(h.ms[j], h.ms[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// timer kinds; a timer is stale when its generation no longer matches its
// owner's, so cancelling is just bumping a counter.
const (
	tStep uint8 = iota
	tOffer
	tSLA
	tPullBack
	tWrapUp
)

type timer struct {
	kind uint8
	gen  uint32
	it   *item
	ag   *agent
}
