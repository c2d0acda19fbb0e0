package openapi

import (
	"bytes"
	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3"
)

// The compiled checks of fastcheck.go stand in for kin-openapi's schema
// visitor on JSON bodies, and only when they say "valid": a body they
// doubt goes through kin-openapi whole, which also says what is wrong.
// Everything around the visit (finding the media type, decoding) is kin's
// own or done as kin does it, so a request's result is the same either way.

// compileFast compiles the checks of an operation's JSON request and
// response bodies; a schema the checks do not cover gets none.
func (c *Contract) compileFast(op *openapi3.Operation) {
	add := func(content openapi3.Content, asRequest bool) {
		for name, mt := range content {
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || !isJSON(name) || !decodedAsJSON(mt.Schema) {
				continue
			}
			if _, done := c.fast[mt]; done {
				continue
			}
			if check := compileFast(mt.Schema, asRequest); check != nil {
				c.fast[mt] = check
			}
		}
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		add(rb.Value.Content, true)
	}
	if op.Responses != nil {
		for _, r := range op.Responses.Map() {
			if r != nil && r.Value != nil {
				add(r.Value.Content, false)
			}
		}
	}
}

// decodedAsJSON reports whether kin-openapi decodes a JSON media type of
// this schema as JSON: a binary string or a contentMediaType is read as
// raw bytes instead.
func decodedAsJSON(s *openapi3.SchemaRef) bool {
	v := s.Value
	return v.Format != "binary" && v.ContentMediaType == ""
}

// fastBody reports whether a request body is valid by the compiled check
// of the media type kin-openapi would pick for its Content-Type. false
// means "let kin-openapi check it", never "invalid".
func (c *Contract) fastBody(op *contractOp, contentType string, body []byte) bool {
	rb := op.route.Operation.RequestBody
	if rb == nil || rb.Value == nil || !isJSON(contentType) {
		return false
	}
	check := c.fast[rb.Value.Content.Get(contentType)]
	if check == nil {
		return false
	}
	// As kin-openapi's JSON body decoder: numbers kept as json.Number, the
	// first value only.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false
	}
	return check(v)
}
