package openapi

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// fastCheck reports whether a decoded JSON value (as encoding/json decodes
// with UseNumber: nil, bool, json.Number, string, []any, map[string]any) is
// valid against the schema it was compiled from.
//
// true is a promise: kin-openapi's VisitJSON, with the options compileFast
// was given, accepts the value. false only says "ask kin-openapi", which
// also explains what is wrong; a value of any other Go type, or nested
// deeper than fastMaxDepth, is false for that reason.
type fastCheck func(v any) bool

// fastMaxDepth bounds the recursion of a check. The caller refuses bodies
// nested deeper than MaxBodyNesting before decoding them; this limit is
// only there so that no value, however deep, can exhaust the stack.
const fastMaxDepth = 256

// compileFast compiles s for values checked as a request body (asRequest
// true: kin-openapi's openapi3.VisitAsRequest()) or as a response body
// (false: openapi3.VisitAsResponse()), always with openapi3.MultiErrors()
// and without setting defaults, by kin-openapi's OpenAPI 3.0 visitor (not
// EnableJSONSchema2020). kin-openapi visits every value through every
// schema and asks each schema whether it is empty on each visit; the
// compiled check decides all of that once, so the common case, a valid
// body, costs a walk of the value and nothing else.
//
// It returns nil when the schema graph uses anything the check does not
// implement exactly as kin-openapi does (see fastUnsupported); the caller
// then uses kin-openapi alone. It is kin-openapi's 3.0 visitor the check
// agrees with: openapi3filter validates the request bodies of OpenAPI 3.1
// documents with EnableJSONSchema2020 instead, which the check is not.
//
// String formats are looked up in openapi3.SchemaStringFormats (and the
// number and integer ones likewise) on every value, as kin-openapi does,
// so formats defined after compiling apply; patterns are compiled with
// Go's regexp, kin-openapi's default (no SetSchemaRegexCompiler).
func compileFast(s *openapi3.SchemaRef, asRequest bool) fastCheck {
	check, _ := compileFastWhy(s, asRequest)
	return check
}

// compileFastWhy is compileFast that also says why it returned nil.
func compileFastWhy(s *openapi3.SchemaRef, asRequest bool) (fastCheck, string) {
	c := &fastCompiler{
		asRequest: asRequest,
		memo:      map[fastKey]*fastNode{},
		empty:     map[*openapi3.Schema]bool{},
		color:     map[*openapi3.Schema]uint8{},
	}
	root := c.ref(s, nil)
	if c.why != "" {
		return nil, c.why
	}
	return func(v any) bool { return root.ok(v, 0) }, ""
}

// fastGoRegexp is kin-openapi's intoGoRegexp: \uXXXX (upper-case hex
// only) becomes \x{XXXX}.
var fastCodepoint = regexp.MustCompile(`(?P<replaced_with_slash_x>\\u)(?P<code>[0-9A-F]{4})`)

func fastGoRegexp(re string) string { return fastCodepoint.ReplaceAllString(re, `\x{${code}}`) }

// fastUnsupported names what makes kin-openapi's verdict on a schema
// something the check does not reproduce: the keywords its 3.0 visitor
// applies that are left out here (uniqueItems, a discriminator choosing
// among oneOf/anyOf), and JSON Schema 2020-12 keywords, which that visitor
// ignores but whose documents mean them (3.1): falling back keeps the
// check from promising what a 2020-12 validator would refuse.
func fastUnsupported(s *openapi3.Schema) string {
	for _, k := range []struct {
		name string
		used bool
	}{
		{"uniqueItems", s.UniqueItems},
		{"discriminator", s.Discriminator != nil && len(s.OneOf)+len(s.AnyOf) > 0},
		{"const", s.Const != nil},
		{"prefixItems", len(s.PrefixItems) > 0},
		{"contains", s.Contains != nil || s.MinContains != nil || s.MaxContains != nil},
		{"patternProperties", len(s.PatternProperties) > 0},
		{"dependentSchemas", len(s.DependentSchemas) > 0},
		{"dependentRequired", len(s.DependentRequired) > 0},
		{"propertyNames", s.PropertyNames != nil},
		{"unevaluatedItems", s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil},
		{"unevaluatedProperties", s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil},
		{"if/then/else", s.If != nil || s.Then != nil || s.Else != nil},
		{"$dynamicRef", s.DynamicRef != ""},
		{"contentSchema", s.ContentSchema != nil},
	} {
		if k.used {
			return k.name
		}
	}
	return ""
}

// fastCompiler compiles a schema graph once. The memo ties recursion: a
// schema met again below itself (a tree node's children) is the node being
// compiled, filled in by the time any value is checked.
type fastCompiler struct {
	asRequest bool
	memo      map[fastKey]*fastNode
	empty     map[*openapi3.Schema]bool
	color     map[*openapi3.Schema]uint8 // cyclic's: 1 on the path, 2 done
	why       string                     // the first reason to fall back
}

// fastKey is a schema with the names that schemas applied to the same value
// around it declare readOnly (requests) or writeOnly (responses): kin-openapi
// excuses them from "required" (readOnlyOrWriteOnlyInAllOf), so a schema's
// check depends on where it is applied.
type fastKey struct {
	s       *openapi3.Schema
	excused string
}

func (c *fastCompiler) fail(why string) {
	if c.why == "" {
		c.why = why
	}
}

func (c *fastCompiler) ref(r *openapi3.SchemaRef, excused []string) *fastNode {
	if r == nil || r.Value == nil {
		if r == nil {
			c.fail("a missing schema")
		} else {
			c.fail(fmt.Sprintf("the unresolved reference %q", r.Ref))
		}
		return &fastNode{}
	}
	return c.compile(r.Value, excused)
}

func (c *fastCompiler) refs(rs openapi3.SchemaRefs, excused []string) []*fastNode {
	out := make([]*fastNode, 0, len(rs))
	for _, r := range rs {
		out = append(out, c.ref(r, excused))
	}
	return out
}

// isEmpty is kin-openapi's IsEmpty, which it asks on every visit: the
// schema graph does not change, so once is enough.
func (c *fastCompiler) isEmpty(s *openapi3.Schema) bool {
	e, ok := c.empty[s]
	if !ok {
		e = s.IsEmpty()
		c.empty[s] = e
	}
	return e
}

func (c *fastCompiler) compile(s *openapi3.Schema, excused []string) *fastNode {
	key := fastKey{s, strings.Join(excused, "\x00")}
	if n, ok := c.memo[key]; ok {
		return n
	}
	n := &fastNode{permitsNull: s.Nullable || s.Type.IncludesNull(), types: fastTypesOf(s.Type), format: s.Format}
	c.memo[key] = n
	switch {
	case c.why != "":
	case s.Always != nil:
		n.mode = fastFalse
		if *s.Always {
			n.mode = fastTrue
		}
	case c.isEmpty(s):
		n.mode = fastEmpty
	case fastUnsupported(s) != "":
		c.fail(fastUnsupported(s))
	case c.cyclic(s):
		c.fail("a schema applied again to the value it applies to (through allOf, anyOf, oneOf or not)")
	default:
		c.keywords(n, s, c.excuse(s, excused))
	}
	return n
}

func (c *fastCompiler) keywords(n *fastNode, s *openapi3.Schema, excused []string) {
	if s.Not != nil {
		n.not = c.ref(s.Not, excused)
	}
	n.oneOf, n.anyOf, n.allOf = c.refs(s.OneOf, excused), c.refs(s.AnyOf, excused), c.refs(s.AllOf, excused)
	if len(s.Enum) > 0 {
		n.enum, n.allStrings = s.Enum, true
		for _, e := range s.Enum {
			if !fastPlainJSON(e) {
				c.fail(fmt.Sprintf("an enum value of Go type %T", e))
			}
			str, ok := e.(string)
			n.allStrings, n.enumStrings = n.allStrings && ok, append(n.enumStrings, str)
		}
	}
	if s.Min != nil || s.Max != nil || s.MultipleOf != nil || s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet() {
		n.num = &fastNumber{exMin: fastExclusive(s.ExclusiveMin, s.Min), exMax: fastExclusive(s.ExclusiveMax, s.Max),
			min: s.Min, max: s.Max, multipleOf: s.MultipleOf}
	}
	if s.MinLength != 0 || s.MaxLength != nil || s.Pattern != "" {
		n.str = &fastString{minLength: s.MinLength, maxLength: s.MaxLength}
		if s.Pattern != "" {
			// kin-openapi refuses every string when the pattern does not compile.
			n.str.pattern, _ = regexp.Compile(fastGoRegexp(s.Pattern))
			n.str.broken = n.str.pattern == nil
		}
	}
	if s.MinItems != 0 || s.MaxItems != nil || s.Items != nil {
		n.arr = &fastArray{minItems: s.MinItems, maxItems: s.MaxItems}
		if s.Items != nil {
			n.arr.items = c.ref(s.Items, nil)
		}
	}
	n.obj = c.object(s, excused)
}

func (c *fastCompiler) object(s *openapi3.Schema, excused []string) *fastObject {
	ap := s.AdditionalProperties
	if len(s.Properties) == 0 && len(s.Required) == 0 && s.MinProps == 0 && s.MaxProps == nil && ap.Has == nil && ap.Schema == nil {
		return nil
	}
	o := &fastObject{minProps: s.MinProps, maxProps: s.MaxProps, props: map[string]*fastNode{}, closed: ap.Has != nil && !*ap.Has}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[name]
		prop := fastProp{name: name, node: c.ref(p, nil), hidden: p != nil && p.Value != nil && c.hides(p.Value)}
		prop.required = slices.Contains(s.Required, name) && !slices.Contains(excused, name)
		o.props[name], o.list = prop.node, append(o.list, prop)
		if prop.hidden {
			o.hidden = append(o.hidden, name)
		}
	}
	if ap.Schema != nil && !o.closed {
		o.additional = c.ref(ap.Schema, nil)
	}
	for _, k := range s.Required {
		if slices.Contains(excused, k) {
			continue
		}
		o.required = append(o.required, k)
		if o.props[k] == nil {
			o.others = append(o.others, k)
		}
	}
	return o
}

// hides is whether a property is one the direction must not carry.
func (c *fastCompiler) hides(p *openapi3.Schema) bool {
	return c.asRequest && p.ReadOnly || !c.asRequest && p.WriteOnly
}

// excuse adds to excused the names that s, or any schema of its allOf,
// declares hidden (kin-openapi's declaresReadOnlyOrWriteOnly).
func (c *fastCompiler) excuse(s *openapi3.Schema, excused []string) []string {
	out, seen := slices.Clone(excused), map[*openapi3.Schema]bool{}
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for name, p := range s.Properties {
			if p != nil && p.Value != nil && c.hides(p.Value) {
				out = append(out, name)
			}
		}
		for _, r := range s.AllOf {
			if r != nil {
				walk(r.Value)
			}
		}
	}
	walk(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// cyclic reports whether s is applied again to the value it applies to,
// through not, allOf, anyOf or oneOf. kin-openapi accepts at that second
// visit whatever the schema says, which the check does not mimic.
func (c *fastCompiler) cyclic(s *openapi3.Schema) bool {
	switch c.color[s] {
	case 1:
		return true
	case 2:
		return false
	}
	c.color[s] = 1
	if s.Always == nil && !c.isEmpty(s) { // kin-openapi goes no further into those
		for _, r := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf, openapi3.SchemaRefs{s.Not}) {
			if r != nil && r.Value != nil && c.cyclic(r.Value) {
				return true
			}
		}
	}
	c.color[s] = 2
	return false
}

func fastTypesOf(t *openapi3.Types) (m fastTypes) {
	for i, name := range []string{"boolean", "integer", "number", "string", "array", "object"} {
		if t.Permits(name) {
			m |= 1 << i
		}
	}
	return m
}

// fastExclusive is the exclusive bound kin-openapi applies: a 3.1 number,
// or a 3.0 true that makes the inclusive bound exclusive too.
func fastExclusive(eb openapi3.ExclusiveBound, bound *float64) *float64 {
	switch {
	case eb.Value != nil:
		return eb.Value
	case eb.Bool != nil && *eb.Bool:
		return bound
	}
	return nil
}

// fastPlainJSON reports whether v holds only what encoding/json decodes to
// without UseNumber, as kin-openapi's loader decodes an enum.
func fastPlainJSON(v any) bool {
	switch v := v.(type) {
	case nil, bool, string, float64:
		return true
	case []any:
		return !slices.ContainsFunc(v, func(x any) bool { return !fastPlainJSON(x) })
	case map[string]any:
		for _, x := range v {
			if !fastPlainJSON(x) {
				return false
			}
		}
		return true
	}
	return false
}
