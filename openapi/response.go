package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// responseOptions are the schema options for every response body: every
// error listed, writeOnly properties refused.
var responseOptions = []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}

// Response checks a response of the operation op (RequestResult.Operation)
// against the document: is the status declared (exactly, as a range like
// "2XX", or by "default"), are the headers it declares sent and valid, is
// the content type declared for it, and, for JSON, does the body match the
// schema. It reports only; an unknown op, a
// response without a body and a body of another media type yield nothing.
// The body must be whole: a truncated JSON body is reported as not JSON.
//
// It does not use openapi3filter.ValidateResponse, which needs a request
// validation input and a body reader per call; the checks are the same.
func (c *Contract) Response(op string, status int, header http.Header, body []byte) []Violation {
	o := c.ops[op]
	if o == nil || o.unchecked != "" || o.route.Operation.Responses == nil || o.route.Operation.Responses.Len() == 0 {
		return nil
	}
	switch status {
	// Redirects and 304 are the HTTP machinery's, rarely documented (as
	// kin-openapi's ValidateResponse skips them).
	case http.StatusMovedPermanently, http.StatusNotModified, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return nil
	}
	responses := o.route.Operation.Responses
	ref := responses.Status(status)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return []Violation{{Kind: "status", Pointer: "/status",
			Message: fmt.Sprintf("status %d is not declared for this operation", status)}}
	}
	var v violations
	responseHeaders(&v, ref.Value.Headers, header)
	content := ref.Value.Content
	ct := header.Get("Content-Type")
	if len(content) == 0 || (len(body) == 0 && ct == "") {
		return v.list
	}
	mt := content.Get(ct)
	if mt == nil {
		v.push("content_type", "/header/Content-Type",
			fmt.Sprintf("content type %q is not declared for status %d (declared: %s)",
				mediaType(ct), status, strings.Join(slices.Sorted(maps.Keys(content)), ", ")))
		return v.list
	}
	if mt.Schema == nil || mt.Schema.Value == nil || len(body) == 0 || !isJSON(ct) {
		return v.list
	}
	if jsonDeeperThan(body, MaxBodyNesting) {
		v.push("body", "/body", tooDeep)
		return v.list
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // as kin-openapi decodes: integers keep their precision
	var value any
	if err := dec.Decode(&value); err != nil || dec.More() {
		v.push("body", "/body", "body is not valid JSON")
		return v.list
	}
	var err error
	if check := c.fast[mt]; check == nil || !check(value) {
		err = mt.Schema.Value.VisitJSON(value, responseOptions...)
	}
	if err == nil {
		c.strict.check(&v, mt, body, "/body")
		return v.list
	}
	v.value("body", "/body", err, "body does not match the schema")
	return v.list
}

// responseHeaders checks the headers a response declares: a required one
// must be sent, and one sent must match its schema, decoded as kin-openapi
// decodes a header parameter (a response header object is a parameter
// without name and place). Content-Type is the content's to check: OpenAPI
// says a header object of that name is ignored.
func responseHeaders(v *violations, declared openapi3.Headers, header http.Header) {
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		h := declared[name]
		if h == nil || h.Value == nil || strings.EqualFold(name, "Content-Type") {
			continue
		}
		if len(header.Values(name)) == 0 {
			if h.Value.Required {
				v.push("header", "/header/"+escape(name), "required response header is missing")
			}
			continue
		}
		p := h.Value.Parameter
		p.Name, p.In, p.Required = name, openapi3.ParameterInHeader, false
		in := &openapi3filter.RequestValidationInput{
			Request: &http.Request{Header: header, URL: &url.URL{}}, Options: &requestOptions}
		v.add(openapi3filter.ValidateParameter(context.Background(), in, &p))
	}
}

// mediaType is a Content-Type without its parameters, bounded: it is
// quoted in a message.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return truncate(mt, 80)
	}
	mt, _, _ := strings.Cut(ct, ";")
	return truncate(strings.TrimSpace(mt), 80)
}
