package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The OpenAPI 3 document is built from the route table and the Go types
// the handlers decode and return, so it always matches the running server.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

type schemaGen struct {
	defs map[string]any
}

func (g *schemaGen) name(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 { // generic page[T]
		inner := n[i+1 : len(n)-1]
		if j := strings.LastIndexByte(inner, '.'); j >= 0 {
			inner = inner[j+1:]
		}
		n = "Page" + strings.ToUpper(inner[:1]) + inner[1:]
	}
	if n != "" {
		n = strings.ToUpper(n[:1]) + n[1:]
	}
	pkg := t.PkgPath()
	switch {
	case strings.HasSuffix(pkg, "/store"):
		n = "Store" + n
	case strings.HasSuffix(pkg, "/api") && strings.HasSuffix(n, "In"):
		n = strings.TrimSuffix(n, "In") + "Input"
	}
	return n
}

func (g *schemaGen) schema(t reflect.Type) any {
	if t == reflect.TypeOf(time.Time{}) {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint8:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" { // anonymous struct: inline
			props := map[string]any{}
			g.fields(t, props)
			return map[string]any{"type": "object", "properties": props}
		}
		name := g.name(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // reserve against recursion
			props := map[string]any{}
			g.fields(t, props)
			g.defs[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if f.Type.Kind() == reflect.Pointer || f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map {
			if m, ok := s.(map[string]any); ok {
				if ref, isRef := m["$ref"]; isRef {
					s = map[string]any{"nullable": true, "allOf": []any{map[string]any{"$ref": ref}}}
				} else {
					cp := map[string]any{"nullable": true}
					for k, v := range m {
						cp[k] = v
					}
					s = cp
				}
			}
		}
		props[name] = s
	}
}

// Document returns the OpenAPI 3.0 document for the route table.
func (a *API) Document() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	errRef := g.schema(reflect.TypeOf(errorBody{}))
	paths := map[string]map[string]any{}
	for _, rt := range a.routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{rt.Tag},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if rt.Method == http.MethodPost && !rt.Public {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string", "maxLength": 255},
				"description": "a retried request with the same key returns the first result and creates nothing twice"})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		} else if rt.Path == "/api/v1/attachments" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": "success"}
		switch {
		case rt.Status == http.StatusNoContent:
		case reflect.TypeOf(rt.Response) == reflect.TypeOf(eventStream{}):
			ok["content"] = map[string]any{"text/event-stream": map[string]any{"schema": map[string]any{"type": "string"}}}
		case reflect.TypeOf(rt.Response) == reflect.TypeOf(csvFile{}):
			ok["content"] = map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}
		case reflect.TypeOf(rt.Response) == reflect.TypeOf(rawFile{}):
			ok["content"] = map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		case rt.Response != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response))}}
		}
		responses[strconv.Itoa(rt.Status)] = ok
		errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
		responses["default"] = errResp
		op["responses"] = responses
		if !rt.Public {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "kefu API", "version": a.o.Version,
			"description": "kefu customer service center. Errors: {\"error\":{\"code\",\"message\",\"fields\"}}. Every POST accepts Idempotency-Key."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "kefu_<id>_<secret> from POST /api/v1/tokens or `kefu token create`"}},
		},
	}
}

func operationID(rt *Route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, seg := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/") {
		if m := pathParam.FindStringSubmatch(seg); m != nil {
			parts = append(parts, "by_"+m[1])
			continue
		}
		parts = append(parts, seg)
	}
	return strings.ReplaceAll(strings.Join(parts, "_"), ".", "_")
}

// register builds the whole route table.
func (a *API) register() {
	a.registerTickets()
	a.registerCustomers()
	a.registerOrg()
	a.registerOrgUpdates()
	a.registerPeople()
	a.routingRoutes()
	a.intakeRoutes()
	a.safetyRoutes()
	a.commitmentRoutes()
	a.notifyRoutes()
	a.staffingRoutes()
	a.relayRoutes()
	a.devRoutes()
	a.registerPlatform()
	a.add(&Route{Method: "GET", Path: "/api/v1/openapi.json", Tag: "meta", Summary: "This document", Public: true, Response: map[string]any{}}, func(c *call) (any, error) {
		return c.a.Document(), nil
	})
	sort.SliceStable(a.routes, func(i, j int) bool { return a.routes[i].Path < a.routes[j].Path })
}
