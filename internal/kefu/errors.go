// Package kefu holds the domain types and the error model shared by every
// capability package. It depends on nothing else in the project.
package kefu

import (
	"errors"
)

// ErrorKind classifies an error so that the edge (HTTP, CLI) can map it to a
// status without inspecting messages.
type ErrorKind int

const (
	KindInternal     ErrorKind = iota
	KindInvalid                // bad input: 400/422
	KindNotFound               // missing, or hidden by tenancy or scope: 404
	KindConflict               // state does not allow it, duplicate: 409
	KindForbidden              // authenticated but not allowed: 403
	KindUnauthorized           // no or bad credentials: 401
	KindRateLimited            // too many attempts: 429
)

// Error is the one error type the domain returns. Code is stable and
// machine-readable (e.g. "ticket_not_found"); Message is English for logs and
// is translated at the edge by Code; Fields names offending input fields.
type Error struct {
	Kind    ErrorKind
	Code    string
	Message string
	Fields  map[string]string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports bad input; fields maps field name → problem.
func Invalid(code, msg string, fields map[string]string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: msg, Fields: fields}
}

// FieldError is the common case of a single bad field.
func FieldError(field, problem string) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_input", Message: field + ": " + problem,
		Fields: map[string]string{field: problem}}
}

func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: what + "_not_found", Message: what + " not found"}
}

func Conflict(code, msg string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: msg}
}

func Forbidden(code, msg string) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: msg}
}

func Unauthorized(msg string) *Error {
	return &Error{Kind: KindUnauthorized, Code: "unauthorized", Message: msg}
}

func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// KindOf returns the kind of err, KindInternal for foreign errors.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsNotFound is a convenience used by the stores and handlers.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// InternalOrNil wraps a non-nil foreign error as internal, and passes nil.
func InternalOrNil(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return Internal(err)
}
