package openapi

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// The contract checks live traffic against a service's own document (issue
// 18): requests before they reach the service (the gateway's validate
// stage, report or enforce) and a sample of responses after (report only).
//
// It is compiled once per document, on first use, and only read after:
// the path index, one kin-openapi route per operation and the validation
// options are built here, never per request. Operations are found with the
// same matcher as the security index (pathmatch.go), so the validate stage
// and admission agree on which operation a request is: literal over
// template, "%2F" kept inside a segment, methods case-sensitive, HEAD
// served by GET. kin-openapi's own routers are not used: gorillamux
// decodes the path before matching and would disagree with admission.
//
// OpenAPI 3.1: kin-openapi validates a 3.1 document's values with a JSON
// Schema 2020-12 validator that it compiles again on every value it checks
// (hundreds of microseconds for a real schema). The contract validates 3.1
// documents with kin's OpenAPI 3.0 validator instead, which understands
// 3.1's type lists and null, and ignores the keywords only 2020-12 has
// (const, if/then/else, prefixItems, ...): those are listed by Notes, so the
// portal can say which checks are off. It never reports a violation the
// 2020-12 validator would not.
//
// Cost: checking parameters is a few microseconds. A JSON body is decoded
// (about 10 µs for 1 KiB) and then checked by a validity check compiled
// once per schema (fastcheck.go, under a microsecond); only a body that
// check doubts, or whose schema it does not cover, goes through kin's
// schema visitor (about 15 µs more), which also says what is wrong.

// Contract validates requests and responses against one document. It is
// immutable and safe for concurrent use.
type Contract struct {
	// byLen holds the path templates by their number of segments, each list
	// most specific first (see pathmatch.go).
	byLen map[int][]*contractPath
	// ops are the operations by Operation name, for Response.
	ops   map[string]*contractOp
	notes []string
	// strict are the 2020-12 schemas of a 3.1 document's JSON bodies that
	// use keywords the 3.0 visitor ignores (strict.go).
	strict strictSchemas
	// fast are the compiled validity checks of JSON bodies (fastcheck.go),
	// by media type object: a body they pass skips kin-openapi's visitor.
	fast map[*openapi3.MediaType]fastCheck
}

// contractPath is one path template under one server base path.
type contractPath struct {
	template string     // the document's path key, "/pets/{id}"
	segs     []segment  // base path + template
	names    [][]string // the parameter names in each segment, nil for a literal
	ops      map[string]*contractOp
}

// contractOp is one operation, ready for kin-openapi.
type contractOp struct {
	name     string
	template string
	// route is what openapi3filter reads; its operation is a copy whose
	// security list is empty, since security presence is checked on its own
	// (without kin reading the body once more for it).
	route    *routers.Route
	security openapi3.SecurityRequirements
	// unchecked is why the operation could not be compiled: its traffic is
	// found and counted, never checked (nor refused), and the others of the
	// document are still checked.
	unchecked string
}

// contractOnce is the lazily compiled contract of a Document.
type contractOnce struct {
	once sync.Once
	c    *Contract
	err  error
}

// Contract compiles the document's contract on first call and returns the
// same one after. An error means the document cannot be validated against
// (a parameter or schema kin-openapi cannot use, such as a pattern Go's
// regexp cannot compile): validation stays off for it, and the error says
// why, for the caller to show as a problem. It never blocks traffic.
func (d *Document) Contract() (*Contract, error) {
	if d == nil || d.T == nil {
		return nil, errors.New("no document to validate against")
	}
	d.contract.once.Do(func() {
		d.contract.c, d.contract.err = compileContract(d)
	})
	return d.contract.c, d.contract.err
}

// Notes say what the contract does not check for this document (3.1
// keywords that kin-openapi's fast validator ignores), one line each.
func (c *Contract) Notes() []string { return slices.Clone(c.notes) }

// maxCompileErrors bounds the reasons a refused contract lists.
const maxCompileErrors = 5

func compileContract(d *Document) (*Contract, error) {
	t := d.T
	// kin decides on 3.1 validation from the route's Spec; a shallow copy
	// saying 3.0 keeps the fast validator (see the package notes above).
	spec := t
	if t.IsOpenAPI31OrLater() {
		cp := *t
		cp.OpenAPI = "3.0.3"
		spec = &cp
	}
	c := &Contract{byLen: map[int][]*contractPath{}, ops: map[string]*contractOp{},
		fast: map[*openapi3.MediaType]fastCheck{}}
	if t.Paths == nil {
		return c, nil
	}
	slugs := map[string]string{}
	for _, o := range d.Operations {
		slugs[o.Method+" "+o.Path] = o.Slug
	}
	var server *openapi3.Server
	bases := []string{}
	for _, s := range t.Servers {
		if s == nil {
			continue
		}
		if server == nil {
			server = s
		}
		if !slices.Contains(bases, serverPath(s.URL)) {
			bases = append(bases, serverPath(s.URL))
		}
	}
	if len(bases) == 0 {
		bases = []string{""}
	}
	w := &schemaWalk{seen: map[*openapi3.Schema]bool{}, keywords: map[string]int{}}
	var sc *strictCompiler
	if t.IsOpenAPI31OrLater() {
		sc = newStrictCompiler(t)
	}
	var errs []string
	paths := t.Paths.Map()
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item := paths[p]
		if item == nil {
			continue
		}
		ops := map[string]*contractOp{}
		for m, op := range item.Operations() {
			if op == nil {
				continue
			}
			name := slugs[strings.ToUpper(m)+" "+p]
			if name == "" {
				name = strings.ToUpper(m) + " " + p
			}
			if err := checkOperation(item, op, w); err != nil {
				why := fmt.Sprintf("%s %s: %v", strings.ToUpper(m), p, err)
				errs = append(errs, why)
				co := &contractOp{name: name, template: p, unchecked: why}
				ops[strings.ToUpper(m)] = co
				c.ops[name] = co
				continue
			}
			if sc != nil {
				sc.operation(p, m, op)
			}
			c.compileFast(op)
			opCopy := *op
			opCopy.Security = &openapi3.SecurityRequirements{}
			security := t.Security
			if op.Security != nil {
				security = *op.Security
			}
			co := &contractOp{name: name, template: p, security: security, route: &routers.Route{
				Spec: spec, Server: server, Path: p, PathItem: item, Method: strings.ToUpper(m), Operation: &opCopy}}
			ops[strings.ToUpper(m)] = co
			c.ops[name] = co
		}
		for _, b := range bases {
			full := b + "/" + strings.TrimPrefix(p, "/")
			cp := &contractPath{template: p, segs: compileTemplate(full), names: paramNames(full), ops: ops}
			c.byLen[len(cp.segs)] = append(c.byLen[len(cp.segs)], cp)
		}
	}
	if len(errs) > 0 && len(errs) == len(c.ops) {
		// Nothing could be compiled: validation is off for the document.
		more := ""
		if len(errs) > maxCompileErrors {
			more = fmt.Sprintf(" (and %d more)", len(errs)-maxCompileErrors)
			errs = errs[:maxCompileErrors]
		}
		return nil, fmt.Errorf("compiling the contract: %s%s", strings.Join(errs, "; "), more)
	}
	for i, why := range errs {
		if i == maxCompileErrors {
			c.notes = append(c.notes, fmt.Sprintf("%d more operations are not checked", len(errs)-i))
			break
		}
		c.notes = append(c.notes, "not checked: "+why)
	}
	for _, list := range c.byLen {
		slices.SortStableFunc(list, func(a, b *contractPath) int {
			switch {
			case moreSpecific(a.segs, b.segs):
				return -1
			case moreSpecific(b.segs, a.segs):
				return 1
			}
			return 0
		})
	}
	if sc != nil {
		c.strict = sc.out
		unchecked := c.uncheckedKeywords()
		for _, k := range slices.Sorted(maps.Keys(unchecked)) {
			c.notes = append(c.notes, fmt.Sprintf("JSON Schema keyword %q (%d schemas) is not checked", k, unchecked[k]))
		}
	}
	return c, nil
}

// checkOperation finds what would make kin-openapi fail or panic on every
// request of an operation: unresolved references, parameters without a
// usable serialization, patterns that do not compile.
func checkOperation(item *openapi3.PathItem, op *openapi3.Operation, w *schemaWalk) error {
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				return errors.New("a parameter reference is not resolved")
			}
			p := ref.Value
			if p.Content == nil {
				if _, err := p.SerializationMethod(); err != nil {
					return fmt.Errorf("parameter %q: %w", p.Name, err)
				}
			}
			if err := w.ref(p.Schema); err != nil {
				return fmt.Errorf("parameter %q: %w", p.Name, err)
			}
			if err := w.content(p.Content); err != nil {
				return fmt.Errorf("parameter %q: %w", p.Name, err)
			}
		}
	}
	if rb := op.RequestBody; rb != nil {
		if rb.Value == nil {
			return errors.New("the request body reference is not resolved")
		}
		if err := w.content(rb.Value.Content); err != nil {
			return fmt.Errorf("request body: %w", err)
		}
	}
	if op.Responses != nil {
		for status, ref := range op.Responses.Map() {
			if ref == nil || ref.Value == nil {
				return fmt.Errorf("response %s: the reference is not resolved", status)
			}
			if err := w.content(ref.Value.Content); err != nil {
				return fmt.Errorf("response %s: %w", status, err)
			}
		}
	}
	return nil
}

// schemaWalk visits schemas once each (graphs may have cycles), checking
// what kin-openapi needs and counting the 2020-12 keywords it ignores.
type schemaWalk struct {
	seen     map[*openapi3.Schema]bool
	keywords map[string]int
}

func (w *schemaWalk) content(c openapi3.Content) error {
	for _, k := range slices.Sorted(maps.Keys(c)) {
		if mt := c[k]; mt != nil {
			if err := w.ref(mt.Schema); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

func (w *schemaWalk) ref(r *openapi3.SchemaRef) error {
	if r == nil {
		return nil
	}
	if r.Value == nil {
		return fmt.Errorf("schema %q is not resolved", r.Ref)
	}
	s := r.Value
	if w.seen[s] {
		return nil
	}
	w.seen[s] = true
	if s.Pattern != "" {
		if _, err := regexp.Compile(goPattern(s.Pattern)); err != nil {
			return fmt.Errorf("pattern %q does not compile: %v", truncate(s.Pattern, 80), err)
		}
	}
	for name, used := range map[string]bool{
		"const": s.Const != nil, "prefixItems": len(s.PrefixItems) > 0, "contains": s.Contains != nil,
		"patternProperties": len(s.PatternProperties) > 0, "dependentSchemas": len(s.DependentSchemas) > 0,
		"propertyNames": s.PropertyNames != nil, "if": s.If != nil,
		"unevaluatedProperties": s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil,
		"unevaluatedItems":      s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil,
		"dependentRequired":     len(s.DependentRequired) > 0,
	} {
		if used {
			w.keywords[name]++
		}
	}
	subs := slices.Concat(s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems,
		openapi3.SchemaRefs{s.Not, s.Items, s.AdditionalProperties.Schema, s.Contains, s.PropertyNames, s.If, s.Then, s.Else})
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		subs = append(subs, s.Properties[k])
	}
	for _, sub := range subs {
		if err := w.ref(sub); err != nil {
			return err
		}
	}
	return nil
}

// jsUnicode is kin-openapi's one rewrite of a pattern before Go compiles it.
var jsUnicode = regexp.MustCompile(`\\u([0-9A-F]{4})`)

func goPattern(p string) string { return jsUnicode.ReplaceAllString(p, `\x{$1}`) }

// paramNames lists the parameter names in each segment of a template, in
// the order compileSegment reads them; nil for a literal segment.
func paramNames(tmpl string) [][]string {
	parts := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	out := make([][]string, len(parts))
	for i, p := range parts {
		for {
			open := strings.IndexByte(p, '{')
			if open < 0 {
				break
			}
			end := strings.IndexByte(p[open:], '}')
			if end < 0 {
				break
			}
			out[i] = append(out[i], p[open+1:open+end])
			p = p[open+end+1:]
		}
	}
	return out
}

// splitMixed returns the parameter values of a segment mixing literals and
// parameters, taking each middle literal at its leftmost place as
// matchMixed does; ok is false when the segment does not fit.
func splitMixed(lits []string, s string) ([]string, bool) {
	vals := make([]string, 0, len(lits)-1)
	if !walkMixed(lits, s, func(v string) { vals = append(vals, v) }) {
		return nil, false
	}
	return vals, true
}
