package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// OpenAPI 3.1 bodies whose schemas use the keywords only JSON Schema
// 2020-12 has (const, prefixItems, if/then/else, ...) are checked twice:
// first by kin-openapi's 3.0 visitor, as every body is, and then, when
// that finds nothing, by santhosh-tekuri/jsonschema (the 2020-12 validator
// kin-openapi itself uses for 3.1, already a dependency through it),
// compiled once per body schema here rather than once per value as
// kin-openapi does. The second check only adds: the 3.0 visitor never
// reports what 2020-12 would not (see contract.go).
//
// The schemas are compiled out of the document itself, as JSON, so that
// their $refs to components resolve as in the document. Nothing is
// loaded from anywhere else: a $ref to another file or a URL fails the
// compilation, and the keywords stay listed as not checked.
//
// Cost: the 2020-12 validator spends tens of microseconds on a 1 KiB body
// (it tracks annotations for unevaluated*); only bodies whose schema uses
// such a keyword pay it.

// strictSchemas are the compiled 2020-12 schemas of a document's JSON
// bodies, by the media type object they belong to (request bodies and
// responses alike: the contract finds the media type with
// openapi3.Content.Get and then looks here).
type strictSchemas map[*openapi3.MediaType]*jsonschema.Schema

// strictDocURL names the document inside the compiler. It is never
// fetched: the compiler's loader refuses every URL.
const strictDocURL = "urn:bulwark:openapi-document"

// strictCompiler compiles body schemas of one 3.1 document; the document
// is turned into JSON on first use.
type strictCompiler struct {
	t        *openapi3.T
	compiler *jsonschema.Compiler
	err      error // the document could not be added: nothing compiles
	out      strictSchemas
	failed   map[*openapi3.MediaType]bool
}

func newStrictCompiler(t *openapi3.T) *strictCompiler {
	return &strictCompiler{t: t, out: strictSchemas{}, failed: map[*openapi3.MediaType]bool{}}
}

// refuseLoads is the compiler's URLLoader: nothing outside the document.
type refuseLoads struct{}

func (refuseLoads) Load(url string) (any, error) {
	return nil, fmt.Errorf("not loading %q: only the document's own schemas are used", truncate(url, 120))
}

func (sc *strictCompiler) init() error {
	if sc.compiler != nil || sc.err != nil {
		return sc.err
	}
	raw, err := json.Marshal(sc.t)
	if err != nil {
		sc.err = err
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		sc.err = err
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoads{})
	if err := c.AddResource(strictDocURL, doc); err != nil {
		sc.err = err
		return err
	}
	sc.compiler = c
	return nil
}

// add compiles the JSON media types of content whose schema uses a
// 2020-12 keyword; at is the JSON Pointer of content in the document.
func (sc *strictCompiler) add(content openapi3.Content, at string) {
	for _, name := range slices.Sorted(maps.Keys(content)) {
		mt := content[name]
		if mt == nil || mt.Schema == nil || !isJSON(name) || !uses2020(mt.Schema) {
			continue
		}
		if _, done := sc.out[mt]; done || sc.failed[mt] {
			continue
		}
		if sc.init() != nil {
			sc.failed[mt] = true
			continue
		}
		loc := at + "/" + escape(name) + "/schema"
		if ref := mt.Schema.Ref; strings.HasPrefix(ref, "#/") {
			loc = ref[1:]
		}
		s, err := sc.compiler.Compile(strictDocURL + "#" + loc)
		if err != nil {
			sc.failed[mt] = true
			continue
		}
		sc.out[mt] = s
	}
}

// operation compiles the bodies of one operation, found at
// /paths/{path}/{method} unless its request body or a response is a
// reference, which is then where its content is.
func (sc *strictCompiler) operation(path, method string, op *openapi3.Operation) {
	base := "/paths/" + escape(path) + "/" + strings.ToLower(method)
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		sc.add(rb.Value.Content, refOr(rb.Ref, base+"/requestBody")+"/content")
	}
	if op.Responses == nil {
		return
	}
	for status, ref := range op.Responses.Map() {
		if ref != nil && ref.Value != nil {
			sc.add(ref.Value.Content, refOr(ref.Ref, base+"/responses/"+escape(status))+"/content")
		}
	}
}

// refOr is where a referenced object is in the document (an internal
// reference's pointer), else where it stands.
func refOr(ref, at string) string {
	if strings.HasPrefix(ref, "#/") {
		return ref[1:]
	}
	return at
}

// covered reports whether the 2020-12 keywords of mt's schema are checked.
func (s strictSchemas) covered(mt *openapi3.MediaType) bool { return s[mt] != nil }

// check validates a JSON body against mt's 2020-12 schema, if it has one,
// adding what fails under base ("/body").
func (s strictSchemas) check(v *violations, mt *openapi3.MediaType, body []byte, base string) {
	schema := s[mt]
	if schema == nil {
		return
	}
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return // not JSON: the 3.0 check has said so already
	}
	var ve *jsonschema.ValidationError
	if err := schema.Validate(value); errors.As(err, &ve) {
		strictLeaves(v, ve, base)
	} else if err != nil {
		v.push("body", base, "body could not be checked against its 2020-12 schema")
	}
}

// strictLeaves adds the innermost causes of a validation error: those
// name the keyword that failed and where. Messages name the keyword, never
// the value (the library's own messages quote it).
func strictLeaves(v *violations, e *jsonschema.ValidationError, base string) {
	if len(e.Causes) == 0 {
		kw := "schema"
		if path := e.ErrorKind.KeywordPath(); len(path) > 0 {
			kw = path[len(path)-1]
			if _, err := strconv.Atoi(kw); err == nil && len(path) > 1 {
				kw = path[len(path)-2] // an index into allOf, prefixItems, ...
			}
		}
		v.push("body", base+pointer(e.InstanceLocation),
			truncate(fmt.Sprintf("value does not match the schema (%s)", kw), 200))
		return
	}
	for _, c := range e.Causes {
		strictLeaves(v, c, base)
	}
}

// uses2020 reports whether a schema, or one it reaches, uses a keyword of
// JSON Schema 2020-12 that kin-openapi's 3.0 visitor ignores.
func uses2020(r *openapi3.SchemaRef) bool {
	w := &schemaWalk{seen: map[*openapi3.Schema]bool{}, keywords: map[string]int{}}
	if err := w.ref(r); err != nil {
		return false
	}
	return len(w.keywords) > 0
}

// uncheckedKeywords counts the 2020-12 keywords, by name, of the schemas
// no 2020-12 check covers: parameters, and bodies whose schema did not
// compile or is not JSON. They are what Notes lists.
func (c *Contract) uncheckedKeywords() map[string]int {
	w := &schemaWalk{seen: map[*openapi3.Schema]bool{}, keywords: map[string]int{}}
	content := func(ct openapi3.Content) {
		for _, mt := range ct {
			if mt != nil && !c.strict.covered(mt) {
				_ = w.ref(mt.Schema)
			}
		}
	}
	for _, o := range c.ops {
		if o.unchecked != "" {
			continue
		}
		op := o.route.Operation
		for _, list := range []openapi3.Parameters{o.route.PathItem.Parameters, op.Parameters} {
			for _, p := range list {
				if p != nil && p.Value != nil {
					_ = w.ref(p.Value.Schema)
					content(p.Value.Content)
				}
			}
		}
		if rb := op.RequestBody; rb != nil && rb.Value != nil {
			content(rb.Value.Content)
		}
		if op.Responses != nil {
			for _, r := range op.Responses.Map() {
				if r != nil && r.Value != nil {
					content(r.Value.Content)
					for _, h := range r.Value.Headers {
						if h != nil && h.Value != nil {
							_ = w.ref(h.Value.Schema)
						}
					}
				}
			}
		}
	}
	return w.keywords
}
