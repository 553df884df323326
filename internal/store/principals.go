package store

import (
	"sync"
	"time"
)

// principalCache keeps resolved tokens for a short time. Revocation and
// role changes flush it on this node; other nodes see them within the TTL.
type principalCache struct {
	mu sync.RWMutex
	m  map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p    *Principal
	hash []byte
}

const principalTTL = 30 * time.Second

func (c *principalCache) get(key string) (*Principal, []byte, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || time.Since(e.p.loaded) > principalTTL {
		return nil, nil, false
	}
	return e.p, e.hash, true
}

func (c *principalCache) put(key string, p *Principal, hash []byte) {
	c.mu.Lock()
	if c.m == nil || len(c.m) > 100000 {
		c.m = map[string]cachedPrincipal{}
	}
	c.m[key] = cachedPrincipal{p: p, hash: hash}
	c.mu.Unlock()
}

func (c *principalCache) forget(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

func (c *principalCache) flush() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
