package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/search"
)

// clampLimit keeps page sizes sane: default 50, at most 200.
func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	if n > 200 {
		return 200
	}
	return n
}

// encodeCursor makes an opaque keyset cursor from a sort value and an id.
func encodeCursor(v int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(v, 10) + "|" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if v, id, ok := strings.Cut(string(b), "|"); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && id != "" {
				return n, id, nil
			}
		}
	}
	return 0, "", kefu.FieldError("cursor", "not a cursor this server gave out")
}

// searchLimit bounds the matches a search ranks: the newest this many
// matching rows are sorted by the list's order. Without it a rare term
// makes the planner walk the whole time-ordered index, and a common one
// sorts hundreds of thousands of rows; large help desks cap search the same way.
const searchLimit = 10000

// tenantTerm is a search term only the tenant's own rows carry, so that a
// SQLite FTS match (one index for all tenants) yields the tenant's rows alone.
func tenantTerm(tenantID string) string {
	return "tenant" + strings.ReplaceAll(tenantID, "-", "")
}

// join is the join keyword that makes the candidate subquery drive the
// plan: SQLite's CROSS JOIN fixes the order; PostgreSQL plans by itself.
func (s *Store) join() string {
	if s.dialect == SQLite {
		return " CROSS JOIN "
	}
	return " JOIN "
}

// searchSource returns a FROM clause of the newest matching rows of table
// (tickets or customers), joined to the table under alias. It returns
// false when the query has no searchable term, which matches nothing.
func (s *Store) searchSource(table, alias, tenantID, q string, args *[]any) (string, bool) {
	terms := search.QueryTerms(q)
	if len(terms) == 0 {
		return "", false
	}
	limit := strconv.Itoa(searchLimit)
	if s.dialect == SQLite {
		var b strings.Builder
		b.WriteString(`"` + tenantTerm(tenantID) + `"`)
		for _, t := range terms {
			b.WriteString(` "` + strings.ReplaceAll(t, `"`, `""`) + `"`)
			if utf8.RuneCountInString(t) == 1 {
				b.WriteByte('*') // a lone Chinese character starts some bigram
			}
		}
		*args = append(*args, b.String())
		return "(SELECT rowid AS rid FROM " + table + "_fts WHERE " + table + "_fts MATCH " + placeholder(len(*args)) +
			" ORDER BY rowid DESC LIMIT " + limit + ") m" + s.join() + table + " " + alias + " ON " + alias + ".rowid = m.rid", true
	}
	conds := []string{"tenant_id = $1"}
	var whole []string
	for _, t := range terms {
		if utf8.RuneCountInString(t) == 1 {
			*args = append(*args, "%"+t+"%")
			conds = append(conds, "search LIKE "+placeholder(len(*args)))
			continue
		}
		whole = append(whole, `"`+strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), `"`, `\"`)+`"`)
	}
	if len(whole) > 0 {
		*args = append(*args, "{"+strings.Join(whole, ",")+"}")
		conds = append(conds, "string_to_array(search, ' ') @> "+placeholder(len(*args))+"::text[]")
	}
	from := table
	if table == "tickets" {
		from = "ticket_terms" // see migration 0008_ticket_terms
	}
	return "(SELECT id AS rid FROM " + from + " WHERE " + strings.Join(conds, " AND ") + " ORDER BY id DESC LIMIT " + limit + ") m" +
		s.join() + table + " " + alias + " ON " + alias + ".id = m.rid", true
}

// tagSource returns a FROM clause of the newest tickets carrying tag.
func (s *Store) tagSource(tag string, args *[]any) string {
	*args = append(*args, tag)
	return "(SELECT ticket_id AS rid FROM ticket_tags WHERE tenant_id = $1 AND tag = " + placeholder(len(*args)) +
		" ORDER BY ticket_id DESC LIMIT " + strconv.Itoa(searchLimit) + ") g"
}

func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
