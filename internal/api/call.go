package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

func (c *call) scope(perm kefu.Permission) (store.Scope, error) {
	return auth.Scope(c.r.Context(), c.a.s, c.p, perm)
}

func (c *call) require(perm kefu.Permission) error { return auth.Require(c.p, perm) }

func (c *call) actor() store.Actor { return auth.Actor(c.p) }

func (c *call) tenant() string { return c.p.TenantID }

func (c *call) id() string { return c.r.PathValue("id") }

func (c *call) q(name string) string { return strings.TrimSpace(c.r.URL.Query().Get(name)) }

// qList reads a comma-separated or repeated query parameter.
func (c *call) qList(name string) []string {
	var out []string
	for _, v := range c.r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (c *call) qInt(name string, def int) (int, error) {
	v := c.q(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, kefu.FieldError(name, "must be a non-negative whole number")
	}
	return n, nil
}

func (c *call) qInt64(name string) (int64, error) {
	v := c.q(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, kefu.FieldError(name, "must be a non-negative whole number")
	}
	return n, nil
}

// page is the shape of every list response.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func list[T any](items []T) page[T] {
	if items == nil {
		items = []T{}
	}
	return page[T]{Items: items}
}

func future(t *time.Time, now time.Time, field string) error {
	if t != nil && !t.After(now) {
		return kefu.FieldError(field, "must be in the future")
	}
	return nil
}

// inScope runs f with the caller's organization scope for perm.
func inScope(perm kefu.Permission, f func(c *call, sc store.Scope) (any, error)) handler {
	return func(c *call) (any, error) {
		sc, err := c.scope(perm)
		if err != nil {
			return nil, err
		}
		return f(c, sc)
	}
}

// withBody decodes the JSON body into T, then runs f with the caller's
// organization scope for perm. Bad input is answered before any access check
// can leak whether an id exists.
func withBody[T any](perm kefu.Permission, f func(c *call, sc store.Scope, in T) (any, error)) handler {
	return func(c *call) (any, error) {
		var in T
		if err := c.decode(&in); err != nil {
			return nil, err
		}
		sc, err := c.scope(perm)
		if err != nil {
			return nil, err
		}
		return f(c, sc, in)
	}
}

// eventPage reads the after_seq and limit parameters of a history listing.
func (c *call) eventPage() (after int64, limit int, err error) {
	if after, err = c.qInt64("after_seq"); err != nil {
		return 0, 0, err
	}
	limit, err = c.qInt("limit", 100)
	return after, limit, err
}
