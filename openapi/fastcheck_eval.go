package openapi

// The check itself: a compiled schema applied to a decoded value, in the
// order and with the arithmetic of kin-openapi's 3.0 visitor
// (schema_3point0_validator.go), which fastcheck.go compiles for.

import (
	"encoding/json"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// fastTypes is the set of JSON types a schema's "type" permits.
type fastTypes uint8

const (
	tBoolean fastTypes = 1 << iota
	tInteger
	tNumber
	tString
	tArray
	tObject
)

// fastMode is what decides a schema before its keywords do.
type fastMode uint8

const (
	fastKeywords fastMode = iota // the keywords decide
	fastTrue                     // the boolean schema true
	fastFalse                    // the boolean schema false
	fastEmpty                    // kin-openapi's IsEmpty: anything but null
)

// fastNode is one schema, compiled for one direction and for the names
// the schemas applied to the same value excuse from "required".
type fastNode struct {
	mode        fastMode
	permitsNull bool // nullable, or "null" among the types
	types       fastTypes
	format      string // looked up per value, as kin-openapi does

	not                 *fastNode
	oneOf, anyOf, allOf []*fastNode

	enum        []any
	enumStrings []string // the enum, when every value of it is a string
	allStrings  bool

	num *fastNumber
	str *fastString
	arr *fastArray
	obj *fastObject
}

type fastNumber struct {
	exMin, exMax, min, max, multipleOf *float64
}

type fastString struct {
	minLength uint64
	maxLength *uint64
	pattern   *regexp.Regexp
	broken    bool // a pattern Go cannot compile: no string is valid
}

type fastArray struct {
	minItems uint64
	maxItems *uint64
	items    *fastNode
}

type fastObject struct {
	minProps   uint64
	maxProps   *uint64
	props      map[string]*fastNode
	list       []fastProp // the same properties, in name order
	hidden     []string   // readOnly in a request, writeOnly in a response
	closed     bool       // additionalProperties: false
	additional *fastNode
	required   []string // less those excused as hidden
	others     []string // those of required no property describes
}

type fastProp struct {
	name             string
	node             *fastNode
	required, hidden bool
}

// ok is kin-openapi's visitJSON, in its order wherever the order decides:
// null against a nullable schema, boolean schemas and empty schemas first,
// then not, oneOf/anyOf/allOf (after which null is accepted), enum, and
// the keywords of the value's type.
func (n *fastNode) ok(v any, depth int) bool {
	if v == nil && n.permitsNull {
		return true
	}
	switch n.mode {
	case fastTrue:
		return true
	case fastFalse:
		return false
	case fastEmpty:
		return v != nil
	}
	if n.not != nil && n.not.ok(v, depth) {
		return false
	}
	if len(n.oneOf)+len(n.anyOf)+len(n.allOf) > 0 {
		if !n.combined(v, depth) {
			return false
		}
		if v == nil {
			return true
		}
	}
	if n.enum != nil && !n.inEnum(v) {
		return false
	}
	switch v := v.(type) {
	case bool:
		return n.types&tBoolean != 0
	case json.Number:
		return n.number(v)
	case string:
		return n.string(v)
	case []any:
		return n.array(v, depth)
	case map[string]any:
		return n.object(v, depth)
	}
	return false // null (not nullable here), or a Go type JSON does not decode to
}

// combined is oneOf (exactly one), anyOf (at least one) and allOf (all).
func (n *fastNode) combined(v any, depth int) bool {
	if len(n.oneOf) > 0 {
		matched := 0
		for _, s := range n.oneOf {
			if s.ok(v, depth) {
				if matched++; matched > 1 {
					return false
				}
			}
		}
		if matched != 1 {
			return false
		}
	}
	if len(n.anyOf) > 0 && !n.anyOK(v, depth) {
		return false
	}
	for _, s := range n.allOf {
		if !s.ok(v, depth) {
			return false
		}
	}
	return true
}

func (n *fastNode) anyOK(v any, depth int) bool {
	for _, s := range n.anyOf {
		if s.ok(v, depth) {
			return true
		}
	}
	return false
}

func (n *fastNode) inEnum(v any) bool {
	if n.allStrings {
		s, ok := v.(string)
		return ok && slices.Contains(n.enumStrings, s)
	}
	for _, e := range n.enum {
		if fastEqualJSON(e, v) {
			return true
		}
	}
	return false
}

// number is visitJSONNumber on the float64 kin-openapi converts a
// json.Number to. A non-finite number is left to kin-openapi.
func (n *fastNode) number(x json.Number) bool {
	f, ok := fastSmallInt(x)
	if !ok {
		var err error
		if f, err = x.Float64(); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	integer := n.types&tInteger != 0 && n.types&tNumber == 0
	switch {
	case integer && f != math.Trunc(f):
		return false
	case n.types&(tInteger|tNumber) == 0:
		return false
	}
	if n.format != "" && !fastNumberFormat(n.format, f, integer) {
		return false
	}
	r := n.num
	return r == nil || (r.exMin == nil || f > *r.exMin) && (r.exMax == nil || f < *r.exMax) &&
		(r.min == nil || *r.min <= f) && (r.max == nil || *r.max >= f) &&
		(r.multipleOf == nil || fastMultipleOf(f, *r.multipleOf))
}

// fastSmallInt reads the common number, a short integer, without
// strconv.ParseFloat, to the same float64: every integer of up to 15
// digits is exact in a float64.
func fastSmallInt(x json.Number) (float64, bool) {
	digits := string(x)
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	var i int64
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int64(c-'0')
	}
	if neg {
		return -float64(i), true // -0 too, as ParseFloat reads "-0"
	}
	return float64(i), true
}

// fastNumberFormat runs the format validator kin-openapi would: an integer
// format for a schema that requires integers, else a number format; a
// format without a validator is no constraint.
func fastNumberFormat(format string, f float64, integer bool) bool {
	if !integer {
		v, ok := openapi3.SchemaNumberFormats[format]
		return !ok || v.Validate(f) == nil
	}
	v, ok := openapi3.SchemaIntegerFormats[format]
	switch {
	case !ok:
		return true
	case f == float64(math.MaxInt64): // as kin-openapi's validateIntegerFormat
		return v.Validate(math.MaxInt64) == nil
	case f >= float64(math.MinInt64) && f < float64(math.MaxInt64):
		return v.Validate(int64(f)) == nil
	}
	return false
}

// fastMultipleOf is kin-openapi's multipleOfFailure: exact rationals, with
// a slack of 2^-51 of the value. An exact remainder of zero needs no
// rationals (math.Mod is exact), which is the common valid case.
func fastMultipleOf(value, m float64) bool {
	switch {
	case math.IsNaN(m) || math.IsInf(m, 0):
		return true
	case m <= 0:
		return false
	case math.Mod(value, m) == 0:
		return true
	}
	exact, exactM := new(big.Rat).SetFloat64(value), new(big.Rat).SetFloat64(m)
	q := new(big.Rat).Quo(exact, exactM)
	if q.IsInt() {
		return true
	}
	floor := new(big.Int).Div(q.Num(), q.Denom())
	var distance *big.Rat
	for _, k := range []*big.Int{floor, new(big.Int).Add(floor, big.NewInt(1))} {
		gap := new(big.Rat).Sub(exact, new(big.Rat).Mul(new(big.Rat).SetInt(k), exactM))
		gap.Abs(gap)
		if distance == nil || gap.Cmp(distance) < 0 {
			distance = gap
		}
	}
	slack := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 51))
	return distance.Cmp(new(big.Rat).Mul(new(big.Rat).Abs(exact), slack)) <= 0
}

// string is visitJSONString. kin-openapi means to count UTF-16 units but
// asks utf16.IsSurrogate of runes ranged from a Go string, which never
// are surrogates: it counts runes, an invalid byte as one.
func (n *fastNode) string(x string) bool {
	if n.types&tString == 0 {
		return false
	}
	if r := n.str; r != nil {
		if r.minLength != 0 || r.maxLength != nil {
			length := int64(utf8.RuneCountInString(x))
			if r.minLength != 0 && length < int64(r.minLength) || r.maxLength != nil && length > int64(*r.maxLength) {
				return false
			}
		}
		if r.broken || r.pattern != nil && !r.pattern.MatchString(x) {
			return false
		}
	}
	if n.format != "" {
		if v, ok := openapi3.SchemaStringFormats[n.format]; ok && v.Validate(x) != nil {
			return false
		}
	}
	return true
}

func (n *fastNode) array(a []any, depth int) bool {
	if n.types&tArray == 0 || depth >= fastMaxDepth {
		return false
	}
	r := n.arr
	if r == nil {
		return true
	}
	if r.minItems != 0 && int64(len(a)) < int64(r.minItems) || r.maxItems != nil && int64(len(a)) > int64(*r.maxItems) {
		return false
	}
	if r.items != nil {
		for _, x := range a {
			if !r.items.ok(x, depth+1) {
				return false
			}
		}
	}
	return true
}

func (n *fastNode) object(m map[string]any, depth int) bool {
	if n.types&tObject == 0 || depth >= fastMaxDepth {
		return false
	}
	r := n.obj
	if r == nil {
		return true
	}
	if r.minProps != 0 && int64(len(m)) < int64(r.minProps) || r.maxProps != nil && int64(len(m)) > int64(*r.maxProps) {
		return false
	}
	if r.closed || r.additional != nil || len(m) < len(r.list) {
		return r.byMember(m, depth)
	}
	return r.byProperty(m, depth)
}

// byMember checks each member of m against its property, or as an
// additional one, as kin-openapi does.
func (r *fastObject) byMember(m map[string]any, depth int) bool {
	for _, k := range r.hidden {
		if m[k] != nil { // a null one is no error to kin-openapi
			return false
		}
	}
	if len(r.props) > 0 || r.closed || r.additional != nil {
		for k, x := range m {
			if p, ok := r.props[k]; ok {
				if !p.ok(x, depth+1) {
					return false
				}
			} else if r.closed || r.additional != nil && !r.additional.ok(x, depth+1) {
				return false
			}
		}
	}
	return r.present(m, r.required)
}

// byProperty comes to the same when every member not a property is
// allowed, looking up each property instead of ranging over the members:
// cheaper when the object has as many members as properties or more.
func (r *fastObject) byProperty(m map[string]any, depth int) bool {
	for i := range r.list {
		p := &r.list[i]
		x, ok := m[p.name]
		switch {
		case !ok && p.required, ok && p.hidden && x != nil, ok && !p.node.ok(x, depth+1):
			return false
		}
	}
	return r.present(m, r.others)
}

func (r *fastObject) present(m map[string]any, names []string) bool {
	for _, k := range names {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// fastEqualJSON is kin-openapi's equalJSONValues, by which enum compares,
// for the enum values a loaded document holds (fastPlainJSON): numbers as
// float64, arrays and objects member by member, the rest by equality. A
// value of a Go type JSON does not decode to is unequal (kin-openapi may
// differ: the check is then false, which only means "ask kin-openapi").
func fastEqualJSON(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case string:
		b, ok := b.(string)
		return ok && a == b
	case float64:
		if b, ok := b.(json.Number); ok {
			f, err := b.Float64()
			return err == nil && f == a
		}
		return false
	case []any:
		b, ok := b.([]any)
		return ok && slices.EqualFunc(a, b, fastEqualJSON)
	case map[string]any:
		b, ok := b.(map[string]any)
		return ok && maps.EqualFunc(a, b, fastEqualJSON)
	}
	return false
}
