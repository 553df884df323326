// Package api is kefu's REST API under /api/v1: one route table that the
// mux, the permission checks and the OpenAPI document are all built from,
// so the document cannot drift from the routes.
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kefu-project/kefu/internal/attach"
	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/clock"
	"github.com/kefu-project/kefu/internal/dispatch"
	"github.com/kefu-project/kefu/internal/i18n"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// Options configure the API.
type Options struct {
	Store       *store.Store
	Attachments attach.Store
	Clock       clock.Clock
	Logger      *slog.Logger
	Version     string
	// Observe, if set, is told about every request (for metrics).
	Observe func(route string, status int, d time.Duration)
	// SessionPrincipal resolves a browser session (set by the web UI) and
	// returns its CSRF token; nil means the API takes tokens only.
	SessionPrincipal func(r *http.Request) (*store.Principal, string, error)
	// Routing is the node's live routing; nil answers routing calls with
	// routing_off.
	Routing *dispatch.Service
	// Screening runs intake on customers' messages (each tenant's rules,
	// else the built-in ones); false screens none.
	Screening bool
	// DevClock, set under `kefu serve --dev`, is the clock the dev routes
	// move; RunTimers runs every timer now due and says what it did.
	DevClock  clock.Advancer
	RunTimers func(context.Context) TimerReport
}

// API serves /api/v1.
type API struct {
	o      Options
	s      *store.Store
	log    *slog.Logger
	routes []*Route
	mux    *http.ServeMux
}

// call is what a handler gets: the request, who makes it, and helpers.
type call struct {
	r     *http.Request
	p     *store.Principal
	a     *API
	route *Route
	body  []byte
	// keyFirst answers a retried request from its saved response before
	// the handler's first write; set on OneWrite routes while unchecked.
	keyFirst func() bool
}

// errAnswered stops a handler whose response has been written already
// (a retried request, answered from its Idempotency-Key).
var errAnswered = errors.New("answered")

// replayedBeforeWrite is for a OneWrite handler about to make a write
// before its last one: that write does not carry the Idempotency-Key, so a
// retry must be recognised before it, by reading the key as other routes
// do. It returns errAnswered when the request was a retry, now answered.
func (c *call) replayedBeforeWrite() error {
	if c.keyFirst == nil {
		return nil
	}
	replay := c.keyFirst
	c.keyFirst = nil
	if replay() {
		return errAnswered
	}
	return nil
}

type handler func(c *call) (any, error)

// Route is one API operation: the mux pattern, who may call it, and what
// the OpenAPI document says about it.
type Route struct {
	Method, Path string
	Summary      string
	Tag          string
	Public       bool // no authentication (health, the document itself)
	Status       int  // success status; default 200 (201 for creates is set explicitly)
	Request      any  // zero value of the body type, for the document
	Response     any  // zero value of the response type
	Query        []Param
	// OneWrite says the handler makes one write, which saves the request's
	// Idempotency-Key (or calls replayedBeforeWrite before any earlier
	// write). A retry is then recognised by that write, when the key it
	// saves is taken, and answered from the saved response: the hot routes
	// skip the read of the key that every first attempt would pay for.
	OneWrite bool
	h        handler
}

// Param documents a query parameter.
type Param struct {
	Name, Type, Description string
}

// New builds the API and its route table.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	a := &API{o: o, s: o.Store, log: o.Logger, mux: http.NewServeMux()}
	a.register()
	allowed := map[string][]string{}
	for _, rt := range a.routes {
		rt := rt
		a.mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, rt) })
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	// A known path with another method gets the one error shape, not the
	// mux's plain-text 405.
	for path, methods := range allowed {
		allow := strings.Join(methods, ", ")
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if strings.Contains(allow, m) {
				continue
			}
			a.mux.HandleFunc(m+" "+path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", allow)
				a.writeError(w, r, &kefu.Error{Kind: kefu.KindInvalid, Code: "method_not_allowed", Message: r.Method + " is not allowed here; use " + allow})
			})
		}
	}
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, &kefu.Error{Kind: kefu.KindNotFound, Code: "not_found", Message: "no such API route: " + r.Method + " " + r.URL.Path})
	})
	return a
}

// Routes returns the route table (for the document and the tests).
func (a *API) Routes() []*Route { return a.routes }

func (a *API) add(rt *Route, h handler) {
	rt.h = h
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	a.routes = append(a.routes, rt)
}

// ServeHTTP serves every /api/ path.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

const maxBody = 1 << 20

func (a *API) serve(w http.ResponseWriter, r *http.Request, rt *Route) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if rec := recover(); rec != nil {
			a.log.Error("panic in handler", "route", rt.Method+" "+rt.Path, "panic", rec)
			a.writeError(sw, r, kefu.Internal(errors.New("panic")))
		}
		if a.o.Observe != nil {
			a.o.Observe(rt.Method+" "+rt.Path, sw.status, time.Since(start))
		}
	}()
	// Every answer carries a request id; errors log it, so a user's report
	// of a failure finds its log line.
	if r.Header.Get("X-Request-ID") == "" {
		r.Header.Set("X-Request-ID", store.NewID())
	}
	sw.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	c := &call{r: r, a: a, route: rt}
	if !rt.Public {
		p, err := a.authenticate(r)
		if err != nil {
			a.writeError(sw, r, err)
			return
		}
		c.p = p
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		if rt.Path != "/api/v1/attachments" { // uploads stream their body to storage
			body, err := io.ReadAll(http.MaxBytesReader(sw, r.Body, maxBody))
			if err != nil {
				a.writeError(sw, r, &kefu.Error{Kind: kefu.KindInvalid, Code: "too_large", Message: "request body over 1 MiB"})
				return
			}
			c.body = body
		}
	}
	if r.Method == http.MethodPost && c.p != nil {
		if key := r.Header.Get("Idempotency-Key"); key != "" {
			a.serveIdempotent(sw, c, key)
			return
		}
	}
	a.finish(sw, c, nil)
}

// serveIdempotent replays a saved response for a retried request, or runs
// the request with the key attached so the store saves the response in the
// same transaction as the write.
func (a *API) serveIdempotent(w http.ResponseWriter, c *call, key string) {
	r := c.r
	if len(key) > 255 {
		a.writeError(w, r, kefu.FieldError("Idempotency-Key", "at most 255 characters"))
		return
	}
	if !utf8.ValidString(key) || strings.ContainsFunc(key, unicode.IsControl) {
		a.writeError(w, r, kefu.FieldError("Idempotency-Key", "printable UTF-8 text, such as a UUID"))
		return
	}
	sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+"\n"), c.body...))
	hash := hex.EncodeToString(sum[:])
	principal := c.p.User.ID
	replay := func() bool {
		saved, err := a.s.Idempotent(r.Context(), c.p.TenantID, principal, key)
		if err != nil {
			a.writeError(w, r, err)
			return true
		}
		if saved == nil {
			return false
		}
		if saved.RequestHash != hash {
			a.writeError(w, r, &kefu.Error{Kind: kefu.KindInvalid, Code: "idempotency_key_reused",
				Message: "this Idempotency-Key was used with a different request", Fields: map[string]string{"Idempotency-Key": "reused"}})
			return true
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(saved.Status)
		w.Write(saved.Body)
		return true
	}
	slot := &store.IdemSlot{TenantID: c.p.TenantID, Principal: principal, Key: key, RequestHash: hash, Status: c.route.Status}
	c.r = r.WithContext(store.WithIdempotency(r.Context(), slot))
	if c.route.OneWrite {
		// The write finds a retry (the key is taken) and fails whole; so
		// may a retry's handler, on the state the first attempt left. Any
		// failure is answered from the saved response if there is one.
		c.keyFirst = replay
		a.finish(w, c, func(error) bool { return replay() })
		return
	}
	if replay() {
		return
	}
	a.finish(w, c, func(err error) bool {
		// A concurrent twin won the race: answer with its response.
		var ke *kefu.Error
		return errors.As(err, &ke) && ke.Code == "idempotency_replay" && replay()
	})
}

func (a *API) finish(w http.ResponseWriter, c *call, onErr func(error) bool) {
	out, err := c.route.h(c)
	if err != nil {
		if err == errAnswered {
			return
		}
		if onErr != nil && onErr(err) {
			return
		}
		a.writeError(w, c.r, err)
		return
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if st, ok := out.(eventStream); ok {
		serveStream(w, c.r, st)
		return
	}
	if f, ok := out.(csvFile); ok {
		f.serve(w)
		return
	}
	if f, ok := out.(rawFile); ok {
		rc, err := f.open(c.r.Context())
		if err != nil {
			a.writeError(w, c.r, kefu.Internal(err))
			return
		}
		defer rc.Close()
		w.Header().Set("Content-Type", f.at.ContentType)
		w.Header().Set("Content-Length", strconv.FormatInt(f.at.Size, 10))
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.at.Filename}))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		io.Copy(w, rc)
		return
	}
	writeJSON(w, c.route.Status, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"encode"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authenticate accepts an API token, or a browser session with its CSRF
// token on every unsafe method.
func (a *API) authenticate(r *http.Request) (*store.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, kefu.Unauthorized("Authorization must be 'Bearer <token>'")
		}
		id, hash, ok := auth.ParseToken(strings.TrimSpace(tok))
		if !ok {
			return nil, kefu.Unauthorized("malformed token")
		}
		return a.s.TokenPrincipal(r.Context(), id, hash)
	}
	if a.o.SessionPrincipal != nil {
		p, csrf, err := a.o.SessionPrincipal(r)
		if err == nil {
			if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("X-CSRF-Token") != csrf {
				return nil, kefu.Forbidden("csrf", "missing or wrong X-CSRF-Token header")
			}
			return p, nil
		}
	}
	return nil, kefu.Unauthorized("send Authorization: Bearer <token>")
}

// --- errors ---

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Detail    string            `json:"detail,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

func statusOf(k kefu.ErrorKind) int {
	switch k {
	case kefu.KindInvalid:
		return http.StatusUnprocessableEntity
	case kefu.KindNotFound:
		return http.StatusNotFound
	case kefu.KindConflict:
		return http.StatusConflict
	case kefu.KindForbidden:
		return http.StatusForbidden
	case kefu.KindUnauthorized:
		return http.StatusUnauthorized
	case kefu.KindRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// writeError sends the one error shape. The message is translated by code
// for the caller's language; the English detail names the problem.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ke *kefu.Error
	if !errors.As(err, &ke) {
		ke = kefu.Internal(err)
	}
	if errors.Is(err, context.Canceled) {
		ke = &kefu.Error{Kind: kefu.KindInvalid, Code: "cancelled", Message: "request cancelled"}
	}
	status := statusOf(ke.Kind)
	switch ke.Code {
	case "invalid_json", "too_large":
		status = http.StatusBadRequest
	case "method_not_allowed":
		status = http.StatusMethodNotAllowed
	}
	rid := r.Header.Get("X-Request-ID")
	if status >= 500 {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err, "request_id", rid)
	}
	lang := i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"), i18n.En)
	msg := ke.Message
	key := "err." + ke.Code
	if i18n.Has(key) {
		msg = i18n.T(lang, key)
	} else if strings.HasSuffix(ke.Code, "_not_found") {
		msg = i18n.T(lang, "err.not_found")
	}
	d := errorDetail{Code: ke.Code, Message: msg, Fields: ke.Fields, RequestID: rid}
	if status < 500 && ke.Message != msg {
		d.Detail = ke.Message
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kefu"`)
	}
	writeJSON(w, status, errorBody{Error: d})
}

// --- input ---

// decode reads the JSON body strictly into v, naming the field at fault.
func (c *call) decode(v any) error {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_json", Message: "a JSON body is required"}
	}
	// PostgreSQL cannot keep a NUL in text; refuse it at the door rather than
	// let one request's character fail a batch of others (SQLite would keep
	// it, and the two stores must agree).
	if hasNUL(c.body) {
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_input", Message: "text may not contain the NUL character (\\u0000)",
			Fields: map[string]string{"body": "contains \\u0000"}}
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_json", Message: "the body holds more than one JSON value"}
	}
	return nil
}

// hasNUL reports whether a JSON text escapes a NUL character (\u0000 after
// an odd run of backslashes; an even run is an escaped backslash).
func hasNUL(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		j += i
		n := 0
		for k := j - 1; k >= 0 && body[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = j + 1
	}
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_json", Message: "invalid JSON at byte " + strconv.FormatInt(syn.Offset, 10) + ": " + syn.Error()}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_input", Message: field + ": expected " + typ.Type.String() + ", got " + typ.Value,
			Fields: map[string]string{field: "expected " + jsonType(typ.Type.String()) + ", got " + typ.Value}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_input", Message: "unknown field " + f, Fields: map[string]string{f: "unknown field"}}
	case errors.As(err, new(*time.ParseError)):
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_input", Message: "times are RFC 3339, e.g. 2026-11-11T14:15:00+08:00: " + err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_json", Message: "the JSON body ends too early"}
	}
	var ke *kefu.Error
	if errors.As(err, &ke) {
		return ke
	}
	return &kefu.Error{Kind: kefu.KindInvalid, Code: "invalid_json", Message: err.Error()}
}

func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "number"
	case goType == "string" || strings.HasSuffix(goType, "Status") || strings.HasSuffix(goType, "Kind"):
		return "string"
	case goType == "bool":
		return "boolean"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case strings.HasPrefix(goType, "map"):
		return "object"
	case strings.Contains(goType, "Time"):
		return "RFC 3339 time string"
	}
	return goType
}
