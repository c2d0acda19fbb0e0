package openapi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// kin-openapi's errors name the offending value in their messages
// (ParseError: "value abc: an invalid integer"; SchemaError.Error() prints
// the value and the schema). Violations are logged and shown on the portal,
// and a header or body field may be a credential, so they are built from
// the errors' fields, never from Error(): a location as a JSON Pointer and
// a reason that does not quote the value.

// maxViolations bounds what one request or response can report: a body of
// ten thousand wrong items is one line in a log, not ten thousand.
const maxViolations = 20

// violations collects Violations from kin-openapi's errors.
type violations struct {
	list        []Violation
	unsupported bool // a content type the operation does not accept: 415
}

func (v *violations) push(kind, pointer, msg string) {
	if len(v.list) < maxViolations {
		v.list = append(v.list, Violation{Kind: kind, Pointer: pointer, Message: msg})
	}
}

// has reports whether a violation of one of the kinds was found.
func (v *violations) has(kinds ...string) bool {
	return slices.ContainsFunc(v.list, func(x Violation) bool { return slices.Contains(kinds, x.Kind) })
}

// add turns what ValidateRequest or ValidateSecurityRequirements returned
// into violations.
func (v *violations) add(err error) {
	if err == nil {
		return
	}
	var multi openapi3.MultiError
	var sec *openapi3filter.SecurityRequirementsError
	var req *openapi3filter.RequestError
	switch {
	case errors.As(err, &multi) && isMulti(err):
		for _, e := range multi {
			v.add(e)
		}
	case errors.As(err, &sec):
		v.security(sec)
	case errors.As(err, &req):
		v.request(req)
	default:
		v.push("request", "", "the request could not be checked")
	}
}

// isMulti reports whether err itself, not something it wraps, is a
// MultiError: a RequestError wraps the MultiError of its schema errors.
func isMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

func (v *violations) security(e *openapi3filter.SecurityRequirementsError) {
	var alts []string
	pointer := ""
	for _, err := range e.Errors {
		var m *missingCredential
		if errors.As(err, &m) {
			if pointer == "" {
				pointer = m.pointer
			}
			alts = append(alts, m.scheme+" ("+m.pointer+")")
		}
	}
	msg := "no credential for any accepted security alternative"
	if len(alts) > 0 {
		msg += ": " + strings.Join(alts, ", or ")
	}
	v.push("security", pointer, msg)
}

func (v *violations) request(e *openapi3filter.RequestError) {
	if p := e.Parameter; p != nil {
		kind, base := p.In, "/"+p.In+"/"+escape(p.Name)
		switch {
		case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
			v.push(kind, base, "required parameter is missing")
		case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue):
			v.push(kind, base, "empty value is not allowed")
		default:
			v.value(kind, base, e.Err, "value does not match the parameter's schema")
		}
		return
	}
	if rb := e.RequestBody; rb != nil {
		switch {
		case strings.HasPrefix(e.Reason, "header Content-Type has unexpected value"):
			v.unsupported = true
			v.push("content_type", "/header/Content-Type",
				"content type is not one the operation accepts ("+strings.Join(slices.Sorted(maps.Keys(rb.Content)), ", ")+")")
		case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
			v.push("body", "/body", "request body is required")
		default:
			var pe *openapi3filter.ParseError
			if errors.As(e.Err, &pe) && pe.Kind == openapi3filter.KindUnsupportedFormat {
				return // a media type kin-openapi cannot decode: not checked
			}
			v.value("body", "/body", e.Err, "body cannot be decoded for its content type")
		}
		return
	}
	v.push("request", "", "the request could not be checked")
}

// value adds the schema and parse errors of one value (a parameter or a
// body) under base; fallback is the message for any other error.
func (v *violations) value(kind, base string, err error, fallback string) {
	// Type switches, not errors.As: a oneOf's SchemaError wraps the
	// MultiError of its alternatives, and the violation is the oneOf's.
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, sub := range e {
			v.value(kind, base, sub, fallback)
		}
	case *openapi3.SchemaError:
		at := base + pointer(e.JSONPointer())
		// Every part of an allOf must hold, so its parts' errors are the
		// precise ones (kin-openapi gives them the allOf's path as well); a
		// oneOf or anyOf cannot say which alternative was meant, so it stays
		// one error.
		var parts openapi3.MultiError
		if e.SchemaField == "allOf" && errors.As(e.Origin, &parts) {
			v.value(kind, base, parts, fallback)
			return
		}
		v.push(kind, at, schemaReason(e))
	case *openapi3filter.ParseError:
		tokens := make([]string, 0, len(e.Path()))
		for _, t := range e.Path() {
			tokens = append(tokens, fmt.Sprint(t))
		}
		v.push(kind, base+pointer(tokens), parseReason(e, fallback))
	default:
		v.push(kind, base, fallback)
	}
}

// pointer joins tokens into a JSON Pointer ("" for none).
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

// schemaReason is a schema error's reason; kin-openapi keeps values out of
// Reason (its documented rule), unlike Error().
func schemaReason(se *openapi3.SchemaError) string {
	r := se.Reason
	if r == "" {
		r = "value does not match the schema"
		if se.SchemaField != "" {
			r += " (" + se.SchemaField + ")"
		}
	}
	return truncate(r, 200)
}

// parseReason is the first reason in a parse error's chain ("an invalid
// integer"), without the value it quotes.
func parseReason(pe *openapi3filter.ParseError, fallback string) string {
	for e := pe; e != nil; {
		if e.Reason != "" {
			return truncate(e.Reason, 200)
		}
		next, ok := e.Cause.(*openapi3filter.ParseError)
		if !ok {
			break
		}
		e = next
	}
	return fallback
}
