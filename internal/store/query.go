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

// searchCond builds the full-text condition for table (tickets or customers)
// aliased as alias. It returns false when the query has no searchable term,
// which matches nothing.
func (s *Store) searchCond(table, alias, q string, args *[]any) (string, bool) {
	terms := search.QueryTerms(q)
	if len(terms) == 0 {
		return "", false
	}
	if s.dialect == SQLite {
		var b strings.Builder
		for i, t := range terms {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
			if utf8.RuneCountInString(t) == 1 {
				b.WriteByte('*') // a lone Chinese character starts some bigram
			}
		}
		*args = append(*args, b.String())
		return alias + ".rowid IN (SELECT rowid FROM " + table + "_fts WHERE " + table + "_fts MATCH " + placeholder(len(*args)) + ")", true
	}
	var conds []string
	var whole []string
	for _, t := range terms {
		if utf8.RuneCountInString(t) == 1 {
			*args = append(*args, "%"+t+"%")
			conds = append(conds, alias+".search LIKE "+placeholder(len(*args)))
			continue
		}
		whole = append(whole, `"`+strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), `"`, `\"`)+`"`)
	}
	if len(whole) > 0 {
		*args = append(*args, "{"+strings.Join(whole, ",")+"}")
		conds = append(conds, "string_to_array("+alias+".search, ' ') @> "+placeholder(len(*args))+"::text[]")
	}
	return "(" + strings.Join(conds, " AND ") + ")", true
}

func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
