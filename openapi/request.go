package openapi

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// RequestResult is what the contract says of one request.
type RequestResult struct {
	// Found is true when an operation of the document matches the method and
	// the path as the client sent it to the gateway.
	Found bool
	// Operation names the operation for metrics and per-operation stats: its
	// slug (Document.Operations), or "METHOD /template" for a method the
	// index does not list.
	Operation string
	// Template is the matched path template ("/pets/{id}"), also when only
	// the method is wrong (Status 405).
	Template string
	// Violations are empty when the request is valid.
	Violations []Violation
	// Status is what an enforcing gateway answers, 0 when the request is
	// valid: 404 (no path matches), 405 (the path has no such method), 415
	// (a content type the operation does not accept), else 400. A missing
	// credential is a 400 here: a 401 must carry a challenge, which is the
	// admission stage's to give.
	Status int
}

// Violation is one way a request or response breaks the document.
type Violation struct {
	// Kind is "path", "query", "header", "cookie", "body", "content_type" or
	// "security" for requests; "status", "header", "content_type" or
	// "body" for responses; "request" for an error kin-openapi gives that fits none
	// of them (not expected; counted rather than dropped).
	Kind string `json:"kind"`
	// Pointer is an RFC 6901 JSON Pointer into the request or response:
	// "/query/limit", "/header/X-Rate", "/body/items/0/name", "/status".
	Pointer string `json:"pointer"`
	// Message is short and never carries the offending value: a header or a
	// body field may be a secret, and violations are logged and shown.
	Message string `json:"message"`
}

// The options every request is validated with. Defaults are never set:
// kin-openapi would write them into the request's URL and headers, which
// the gateway shares with its proxy.
var (
	requestOptions = openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		AuthenticationFunc:  credentialPresent,
	}
	// withoutBody is for a body already refused before kin-openapi sees it.
	withoutBody = openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true,
		ExcludeRequestBody:  true,
		AuthenticationFunc:  credentialPresent,
	}
)

// Request checks a request against the document. The body is passed as
// read (the gateway buffers it, bounded); r.Body is never read, and r is
// not changed. Safe for concurrent use.
func (c *Contract) Request(r *http.Request, body []byte) RequestResult {
	if r == nil || r.URL == nil {
		return RequestResult{Status: http.StatusNotFound}
	}
	raw, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		return RequestResult{Status: http.StatusNotFound}
	}
	cp, op := c.find(r.Method, raw)
	switch {
	case cp == nil:
		return RequestResult{Status: http.StatusNotFound}
	case op == nil:
		return RequestResult{Template: cp.template, Status: http.StatusMethodNotAllowed}
	}
	res := RequestResult{Found: true, Operation: op.name, Template: op.template}
	if op.unchecked != "" {
		return res // its document says what it cannot check (Notes)
	}

	// A shallow copy: kin-openapi replaces the body it reads, and the
	// gateway's request must keep its own.
	rr := r.WithContext(r.Context())
	rr.Body, rr.GetBody, rr.ContentLength = nil, nil, 0
	input := &openapi3filter.RequestValidationInput{
		Request: rr, PathParams: pathParams(cp, raw), Route: op.route, Options: &requestOptions,
	}
	var v violations
	ctx := r.Context()
	if len(op.security) > 0 {
		v.add(openapi3filter.ValidateSecurityRequirements(ctx, input, op.security))
	}
	if len(body) > 0 {
		if isJSON(r.Header.Get("Content-Type")) && jsonDeeperThan(body, MaxBodyNesting) {
			v.list = append(v.list, Violation{Kind: "body", Pointer: "/body", Message: tooDeep})
			input.Options = &withoutBody
		}
		rr.Body, rr.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		if input.Options == &requestOptions && c.fastBody(op, r.Header.Get("Content-Type"), body) {
			input.Options = &withoutBody // valid as kin-openapi would find it: not visited again
		}
	} else {
		rr.Body = http.NoBody
	}
	v.add(openapi3filter.ValidateRequest(ctx, input))
	if len(c.strict) > 0 && len(body) > 0 && !v.has("body", "content_type") {
		if rb := op.route.Operation.RequestBody; rb != nil && rb.Value != nil {
			c.strict.check(&v, rb.Value.Content.Get(r.Header.Get("Content-Type")), body, "/body")
		}
	}
	res.Violations = v.list
	if len(res.Violations) > 0 {
		res.Status = http.StatusBadRequest
		if v.unsupported {
			res.Status = http.StatusUnsupportedMediaType
		}
	}
	return res
}

// find is the most specific template matching the raw segments, and its
// operation for the method; op is nil when the path has no such method
// (a less specific path's method does not count, as in Security).
func (c *Contract) find(method string, raw []string) (*contractPath, *contractOp) {
	for _, cp := range c.byLen[len(raw)] {
		if !matchSegments(cp.segs, raw) {
			continue
		}
		if op, ok := cp.ops[method]; ok {
			return cp, op
		}
		if method == http.MethodHead {
			if op, ok := cp.ops[http.MethodGet]; ok {
				return cp, op
			}
		}
		return cp, nil
	}
	return nil, nil
}

// pathParams are the template's parameters, percent-decoded, as the
// service reads them ("a%2Fb" is the one id "a/b").
func pathParams(cp *contractPath, raw []string) map[string]string {
	params := map[string]string{}
	for i, names := range cp.names {
		if len(names) == 0 {
			continue
		}
		seg := decoded(raw[i])
		switch s := cp.segs[i]; {
		case s.param:
			params[names[0]] = seg
		case s.mixed != nil:
			vals, ok := splitMixed(s.mixed, seg)
			if !ok || len(vals) != len(names) {
				continue
			}
			for j, n := range names {
				params[n] = vals[j]
			}
		}
	}
	return params
}

// credentialPresent is the AuthenticationFunc: it checks only that the
// credential a scheme names was sent. Verifying it is the admission
// stage's work (issue 17); the contract only says it is missing.
func credentialPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s, r := in.SecurityScheme, in.RequestValidationInput.Request
	where := "/header/Authorization"
	present := false
	switch s.Type {
	case "apiKey":
		where = "/" + s.In + "/" + escape(s.Name)
		switch s.In {
		case "header":
			present = r.Header.Get(s.Name) != ""
		case "query":
			present = in.RequestValidationInput.GetQueryParams().Has(s.Name)
		case "cookie":
			_, err := r.Cookie(s.Name)
			present = err == nil
		}
	case "mutualTLS":
		where = "/tls"
		present = r.TLS != nil && len(r.TLS.PeerCertificates) > 0
	default: // http, oauth2, openIdConnect
		present = r.Header.Get("Authorization") != ""
	}
	if present {
		return nil
	}
	return &missingCredential{scheme: in.SecuritySchemeName, pointer: where}
}

// missingCredential is a scheme whose credential the request lacks.
type missingCredential struct{ scheme, pointer string }

func (e *missingCredential) Error() string {
	return "no credential for security scheme " + e.scheme + " at " + e.pointer
}

// MaxBodyNesting is how deeply a JSON body may nest objects and arrays.
// encoding/json allows 10,000 levels, and kin-openapi's schema visitor
// recurses once per level of a recursive schema; real bodies stay far
// below this, so a deeper body is refused before either runs.
const MaxBodyNesting = 128

const tooDeep = "the body nests objects and arrays more than 128 levels deep"

// jsonDeeperThan reports whether a JSON text nests deeper than limit. It
// counts brackets outside strings, without decoding: invalid JSON is the
// decoder's to report.
func jsonDeeperThan(b []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}
