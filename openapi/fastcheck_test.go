package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// fastSchemas loads YAML component schemas into a 3.0 document, so that
// $refs, recursive ones too, resolve as in a loaded document, and returns
// the one named S.
func fastSchemas(t testing.TB, schemas string) *openapi3.SchemaRef {
	t.Helper()
	s, err := loadFastSchemas(schemas)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadFastSchemas(schemas string) (*openapi3.SchemaRef, error) {
	doc := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n" +
		"    " + strings.ReplaceAll(strings.TrimSpace(schemas), "\n", "\n    ") + "\n"
	d, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, doc)
	}
	s := d.Components.Schemas["S"]
	if s == nil {
		return nil, fmt.Errorf("no schema S in\n%s", doc)
	}
	return s, nil
}

// fastDecode decodes JSON as the contract does: numbers stay json.Number.
func fastDecode(t testing.TB, text string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return v
}

// kinAccepts is what fastCheck must agree with.
func kinAccepts(s *openapi3.SchemaRef, v any, asRequest bool) bool {
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}
	if asRequest {
		opts[0] = openapi3.VisitAsRequest()
	}
	return s.Value.VisitJSON(v, opts...) == nil
}

// fastCase is a schema with values kin-openapi accepts and refuses, in
// both directions unless dir says "request" or "response".
type fastCase struct {
	name, schemas  string
	valid, invalid []string
	dir            string
}

var fastCases = []fastCase{
	{name: "the empty schema takes all but null", schemas: "S: {}",
		valid: []string{`1`, `"a"`, `{}`, `[]`, `true`}, invalid: []string{`null`}},
	{name: "a type", schemas: "S: {type: string}",
		valid: []string{`"a"`, `""`}, invalid: []string{`1`, `null`, `true`, `{}`, `[]`}},
	{name: "nullable", schemas: "S: {type: string, nullable: true}",
		valid: []string{`null`, `"a"`}, invalid: []string{`1`}},
	{name: "a type list with null", schemas: "S: {type: [string, 'null']}",
		valid: []string{`null`, `"a"`}, invalid: []string{`1`, `{}`}},
	{name: "a type no value has", schemas: "S: {type: file}",
		invalid: []string{`null`, `"a"`, `1`, `{}`}},
	{name: "booleans", schemas: "S: {type: boolean}", valid: []string{`true`, `false`}, invalid: []string{`0`, `"true"`}},
	{name: "integers are whole float64s", schemas: "S: {type: integer}",
		valid:   []string{`1`, `-0`, `1.0`, `1e3`, `12345678901234567890`, `1.5e300`, `-1e-400`},
		invalid: []string{`1.5`, `"1"`, `1e400`, `-1e400`, `null`}},
	{name: "int32", schemas: "S: {type: integer, format: int32}",
		valid: []string{`2147483647`, `-2147483648`}, invalid: []string{`2147483648`, `-2147483649`}},
	{name: "int64 is checked on the float64", schemas: "S: {type: integer, format: int64}",
		valid: []string{`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`}, invalid: []string{`1e19`, `-1e19`}},
	{name: "an integer format on a number is no check", schemas: "S: {type: number, format: int32}",
		valid: []string{`1e12`, `0.5`}},
	{name: "a number format has no validator", schemas: "S: {type: number, format: float}", valid: []string{`1e300`}},
	{name: "bounds", schemas: "S: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 10}",
		valid: []string{`0.5`, `10`, `1e-300`}, invalid: []string{`0`, `-0`, `-1`, `10.5`}},
	{name: "an exclusive maximum", schemas: "S: {type: number, maximum: 10, exclusiveMaximum: true}",
		valid: []string{`9.99`, `-1e300`}, invalid: []string{`10`, `11`}},
	{name: "an exclusive flag without its bound", schemas: "S: {type: number, exclusiveMinimum: true}", valid: []string{`-1e300`}},
	{name: "multipleOf a fraction has slack", schemas: "S: {type: number, multipleOf: 0.1}",
		valid: []string{`0.3`, `1`, `0`, `-0.7`, `1e300`}, invalid: []string{`0.15`, `0.0001`}},
	{name: "multipleOf an integer", schemas: "S: {type: integer, multipleOf: 3}",
		valid: []string{`9`, `-3`, `0`, `3e20`}, invalid: []string{`10`, `1`}},
	{name: "number keywords apply to numbers only", schemas: "S: {minimum: 5, format: int32}",
		valid: []string{`6`, `1e12`, `"abc"`, `{}`, `[]`, `true`}, invalid: []string{`4`, `null`}},
	{name: "lengths count runes", schemas: "S: {type: string, minLength: 2, maxLength: 3}",
		valid: []string{`"ab"`, `"😀😀"`, `"héé"`, `"\ud800x"`}, invalid: []string{`"a"`, `"abcd"`, `"😀"`, `""`}},
	{name: "a pattern", schemas: `S: {type: string, pattern: "^[a-z]+$"}`,
		valid: []string{`"abc"`}, invalid: []string{`"aB"`, `""`}},
	{name: "a pattern with a \\u escape", schemas: `S: {type: string, pattern: "^\\u00E9+$"}`,
		valid: []string{`"éé"`}, invalid: []string{`"e"`}},
	{name: "a pattern Go cannot compile refuses every string", schemas: `S: {pattern: "(?<=a)b"}`,
		valid: []string{`1`, `{}`}, invalid: []string{`"ab"`, `""`}},
	{name: "the date format", schemas: "S: {type: string, format: date}",
		valid: []string{`"2024-02-29"`}, invalid: []string{`"2023-02-29"`, `"2024-13-01"`, `"x"`}},
	{name: "the date-time format", schemas: "S: {type: string, format: date-time}",
		valid: []string{`"2024-02-29T23:59:60.5+01:00"`}, invalid: []string{`"2024-02-29 12:00:00Z"`, `"2024-02-30T00:00:00Z"`}},
	{name: "the byte format", schemas: "S: {type: string, format: byte}",
		valid: []string{`"aGVsbG8="`, `""`}, invalid: []string{`"a b"`}},
	{name: "a format without a validator is no check", schemas: "S: {type: string, format: email}",
		valid: []string{`"not an email"`}},
	{name: "a string enum", schemas: "S: {type: string, enum: [a, b]}",
		valid: []string{`"a"`, `"b"`}, invalid: []string{`"c"`, `1`, `null`}},
	{name: "a number enum compares float64s", schemas: "S: {type: integer, enum: [1, 2]}",
		valid: []string{`1`, `1.0`, `2e0`}, invalid: []string{`3`, `"1"`}},
	{name: "a mixed enum", schemas: `S: {enum: [1, "a", null, true, {a: [1]}, [1, "b"]]}`,
		valid: []string{`1`, `"a"`, `true`, `{"a":[1.0]}`, `[1,"b"]`}, invalid: []string{`null`, `false`, `{"a":[2]}`, `[1]`, `{}`}},
	{name: "a nullable enum", schemas: "S: {type: string, nullable: true, enum: [a, null]}",
		valid: []string{`null`, `"a"`}, invalid: []string{`"b"`}},
	{name: "properties and required", schemas: "S: {type: object, required: [a], properties: {a: {type: string}, b: {type: integer}}}",
		valid:   []string{`{"a":"x"}`, `{"a":"x","c":[1]}`, `{"a":"x","b":2}`},
		invalid: []string{`{}`, `{"a":1}`, `{"a":"x","b":"y"}`, `{"a":null}`, `[]`, `"a"`}},
	{name: "required without properties", schemas: "S: {type: object, required: [a, b]}",
		valid: []string{`{"a":null,"b":0}`}, invalid: []string{`{"a":1}`}},
	{name: "no additional properties", schemas: "S: {type: object, properties: {a: {type: string}}, additionalProperties: false}",
		valid: []string{`{"a":"x"}`, `{}`}, invalid: []string{`{"a":"x","c":1}`}},
	{name: "additional properties against a schema", schemas: "S: {type: object, properties: {a: {type: string}}, additionalProperties: {type: integer}}",
		valid: []string{`{"a":"x","c":1}`}, invalid: []string{`{"c":"s"}`, `{"a":1}`}},
	{name: "an empty additional properties schema refuses null", schemas: "S: {type: object, additionalProperties: {}}",
		valid: []string{`{"c":[]}`}, invalid: []string{`{"c":null}`}},
	{name: "additional properties allowed", schemas: "S: {type: object, additionalProperties: true}",
		valid: []string{`{"c":null}`}},
	{name: "property counts", schemas: "S: {type: object, minProperties: 1, maxProperties: 2}",
		valid: []string{`{"a":1}`, `{"a":1,"b":2}`}, invalid: []string{`{}`, `{"a":1,"b":2,"c":3}`}},
	{name: "properties without a type apply to objects only", schemas: "S: {properties: {a: {type: string}}}",
		valid: []string{`"x"`, `1`, `{"a":"b"}`}, invalid: []string{`{"a":1}`}},
	{name: "a schema of empty schemas is empty, so takes a null property", schemas: "S: {properties: {a: {}}}",
		valid: []string{`{"a":null}`, `1`}, invalid: []string{`null`}},
	{name: "an empty property schema refuses null", schemas: "S: {type: object, properties: {a: {}}}",
		valid: []string{`{"a":1}`}, invalid: []string{`{"a":null}`}},
	{name: "items and their count", schemas: "S: {type: array, items: {type: integer}, minItems: 1, maxItems: 2}",
		valid: []string{`[1]`, `[1,2]`}, invalid: []string{`[]`, `[1,2,3]`, `["a"]`, `[null]`, `{}`}},
	{name: "items without a type", schemas: "S: {items: {type: string}}",
		valid: []string{`"x"`, `["a"]`}, invalid: []string{`[1]`}},
	{name: "allOf", schemas: "S: {allOf: [{type: object, required: [a]}, {properties: {a: {type: integer}}}]}",
		valid: []string{`{"a":1}`}, invalid: []string{`{"a":"x"}`, `{}`}},
	{name: "anyOf", schemas: "S: {anyOf: [{type: string}, {type: integer}]}",
		valid: []string{`"x"`, `1`}, invalid: []string{`1.5`, `null`}},
	{name: "oneOf takes exactly one", schemas: "S: {oneOf: [{type: number}, {type: integer}]}",
		valid: []string{`1.5`}, invalid: []string{`1`, `"x"`}},
	{name: "not", schemas: "S: {not: {type: string}}",
		valid: []string{`1`, `{}`}, invalid: []string{`"x"`, `null`}},
	{name: "a combinator that takes null takes it for the schema", schemas: "S: {type: string, allOf: [{nullable: true}]}",
		valid: []string{`null`, `"a"`}, invalid: []string{`1`}},
	{name: "anyOf with a nullable alternative", schemas: "S: {anyOf: [{type: string}, {type: integer, nullable: true}]}",
		valid: []string{`null`, `"a"`, `2`}, invalid: []string{`true`}},
	{name: "a discriminator without oneOf or anyOf is an annotation",
		schemas: "S: {type: object, discriminator: {propertyName: kind}, properties: {kind: {type: string}}}",
		valid:   []string{`{"kind":"x"}`, `{}`}, invalid: []string{`{"kind":1}`}},
	{name: "recursion", schemas: `
S: {type: object, properties: {name: {type: string}, children: {type: array, items: {$ref: "#/components/schemas/S"}}}}`,
		valid: []string{`{"children":[{"children":[{}]}]}`}, invalid: []string{`{"children":[{"name":1}]}`, `{"children":[null]}`}},
	{name: "readOnly in a request", dir: "request", schemas: `
S: {type: object, required: [id, name, secret], properties: {id: {type: integer, readOnly: true}, name: {type: string}, secret: {type: string, writeOnly: true}}}`,
		valid:   []string{`{"name":"x","secret":"s"}`},
		invalid: []string{`{"id":1,"name":"x","secret":"s"}`, `{"id":null,"name":"x","secret":"s"}`, `{"name":"x"}`}},
	{name: "writeOnly in a response", dir: "response", schemas: `
S: {type: object, required: [id, name, secret], properties: {id: {type: integer, readOnly: true}, name: {type: string}, secret: {type: string, writeOnly: true}}}`,
		valid:   []string{`{"id":1,"name":"x"}`},
		invalid: []string{`{"id":1,"name":"x","secret":"s"}`, `{"name":"x"}`}},
	{name: "readOnly declared around a schema excuses its required", dir: "request", schemas: `
S: {type: object, properties: {a: {$ref: "#/components/schemas/Pet"}, b: {$ref: "#/components/schemas/Base"}}}
Pet: {allOf: [{$ref: "#/components/schemas/Base"}], properties: {id: {readOnly: true}}}
Base: {type: object, required: [id, name], properties: {name: {type: string}}}`,
		valid:   []string{`{"a":{"name":"x"}}`, `{"b":{"id":1,"name":"x"}}`},
		invalid: []string{`{"b":{"name":"x"}}`, `{"a":{"id":1,"name":"x"}}`}},
	{name: "readOnly declared around a schema is required in a response", dir: "response", schemas: `
S: {allOf: [{$ref: "#/components/schemas/Base"}], properties: {id: {readOnly: true}}}
Base: {type: object, required: [id, name], properties: {name: {type: string}}}`,
		valid: []string{`{"id":1,"name":"x"}`}, invalid: []string{`{"name":"x"}`}},
}

func TestFastCheckAgreesWithKin(t *testing.T) {
	for _, tc := range fastCases {
		s := fastSchemas(t, tc.schemas)
		for _, asRequest := range []bool{true, false} {
			if tc.dir == "request" && !asRequest || tc.dir == "response" && asRequest {
				continue
			}
			check, why := compileFastWhy(s, asRequest)
			if check == nil {
				t.Errorf("%s (request %v): falls back: %s", tc.name, asRequest, why)
				continue
			}
			for _, want := range []bool{true, false} {
				values := tc.valid
				if !want {
					values = tc.invalid
				}
				for _, text := range values {
					v := fastDecode(t, text)
					if kin := kinAccepts(s, v, asRequest); kin != want {
						t.Errorf("%s (request %v): kin says %v of %s, the case %v", tc.name, asRequest, kin, text, want)
					}
					if got := check(v); got != want {
						t.Errorf("%s (request %v): fastCheck says %v of %s, kin %v", tc.name, asRequest, got, text, want)
					}
				}
			}
		}
	}
}

func TestFastCheckFallsBackOnWhatItDoesNotImplement(t *testing.T) {
	for _, tc := range []struct{ why, schemas string }{
		{"uniqueItems", "S: {type: array, uniqueItems: true}"},
		{"discriminator", `
S: {oneOf: [{$ref: "#/components/schemas/A"}], discriminator: {propertyName: kind}}
A: {type: object, properties: {kind: {type: string}}}`},
		{"an allOf cycle", `S: {type: object, allOf: [{$ref: "#/components/schemas/S"}]}`},
		{"a not cycle", `S: {type: string, not: {$ref: "#/components/schemas/S"}}`},
		{"a cycle deeper down", `
S: {type: object, properties: {a: {$ref: "#/components/schemas/A"}}}
A: {type: object, anyOf: [{$ref: "#/components/schemas/B"}]}
B: {type: object, oneOf: [{$ref: "#/components/schemas/A"}]}`},
	} {
		s := fastSchemas(t, tc.schemas)
		if check, _ := compileFastWhy(s, true); check != nil {
			t.Errorf("%s: compiled", tc.why)
		}
	}
	yes, no := true, false
	for name, s := range map[string]*openapi3.SchemaRef{
		"an unresolved ref":            {Ref: "#/components/schemas/Gone"},
		"an unresolved property":       openapi3.NewObjectSchema().WithPropertyRef("a", &openapi3.SchemaRef{Ref: "#/x"}).NewRef(),
		"const":                        {Value: &openapi3.Schema{Const: "a"}},
		"if":                           {Value: &openapi3.Schema{If: openapi3.NewStringSchema().NewRef()}},
		"patternProperties":            {Value: &openapi3.Schema{PatternProperties: openapi3.Schemas{"^a": openapi3.NewStringSchema().NewRef()}}},
		"unevaluatedProperties: false": {Value: &openapi3.Schema{UnevaluatedProperties: openapi3.BoolSchema{Has: &no}}},
		"an enum of Go ints":           {Value: &openapi3.Schema{Enum: []any{1}}},
		"prefixItems":                  {Value: &openapi3.Schema{PrefixItems: openapi3.SchemaRefs{{Value: &openapi3.Schema{Always: &yes}}}}},
	} {
		if check, _ := compileFastWhy(s, false); check != nil {
			t.Errorf("%s: compiled", name)
		}
	}
}

// TestFastCheckOnGoValues covers what JSON text cannot carry: boolean
// schemas, invalid UTF-8, numbers encoding/json would not produce, other
// Go types (false: kin-openapi decides), and values nested too deep.
func TestFastCheckOnGoValues(t *testing.T) {
	yes, no := true, false
	length := &openapi3.Schema{Type: &openapi3.Types{"string"}, MinLength: 2, MaxLength: openapi3.Uint64Ptr(2)}
	for _, tc := range []struct {
		name   string
		schema *openapi3.Schema
		v      any
		want   bool
	}{
		{"true takes anything", &openapi3.Schema{Always: &yes}, map[string]any{}, true},
		{"true takes null", &openapi3.Schema{Always: &yes}, nil, true},
		{"false takes nothing", &openapi3.Schema{Always: &no}, "a", false},
		{"false takes null when nullable too", &openapi3.Schema{Always: &no, Nullable: true}, nil, true},
		{"a false property", openapi3.NewObjectSchema().WithPropertyRef("a", &openapi3.SchemaRef{Value: &openapi3.Schema{Always: &no}}), map[string]any{"a": 1}, false},
		{"invalid UTF-8 counts a rune a byte", length, "\xff\xfe", true},
		{"invalid UTF-8 too long", length, "a\xff\xfe", false},
		{"a number that is no number", openapi3.NewFloat64Schema(), json.Number("1x"), false},
		{"a float64 is for kin to judge", openapi3.NewFloat64Schema(), float64(1), false},
		{"an int is for kin to judge", openapi3.NewIntegerSchema(), 1, false},
	} {
		check, why := compileFastWhy(tc.schema.NewRef(), true)
		if check == nil {
			t.Errorf("%s: falls back: %s", tc.name, why)
			continue
		}
		if got := check(tc.v); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
		if kin := kinAccepts(tc.schema.NewRef(), tc.v, true); tc.want && !kin {
			t.Errorf("%s: kin refuses", tc.name)
		}
	}

	tree := fastSchemas(t, `S: {type: array, items: {$ref: "#/components/schemas/S"}}`)
	check := compileFast(tree, true)
	deep := func(n int) any {
		return fastDecode(t, strings.Repeat("[", n)+strings.Repeat("]", n))
	}
	if !check(deep(MaxBodyNesting)) {
		t.Error("a value as deep as a body may be is refused")
	}
	if check(deep(10 * fastMaxDepth)) {
		t.Error("a value deeper than the check goes is accepted")
	}
}

// TestFastSmallIntReadsAsParseFloat: the shortcut for short integers must
// give the very float64 kin-openapi gets, the sign of zero included.
func TestFastSmallIntReadsAsParseFloat(t *testing.T) {
	for _, x := range []string{"0", "-0", "7", "-7", "999999999999999", "-999999999999999", "1000000000000000", "1.0", "1e3", "", "-", "--1", "1-", "+1", "0x1"} {
		want, err := json.Number(x).Float64()
		got, ok := fastSmallInt(json.Number(x))
		switch {
		case ok && (err != nil || math.Float64bits(got) != math.Float64bits(want)):
			t.Errorf("%q: %v, ParseFloat %v (%v)", x, got, want, err)
		case !ok && err == nil && len(strings.TrimPrefix(x, "-")) <= 15 && !strings.ContainsAny(x, ".ex+"):
			t.Errorf("%q: not read", x)
		}
	}
}

// TestShopBodySchemasCompile: the benchmark's schemas, the POST /pets
// request body and its responses, must take the fast path.
func TestShopBodySchemasCompile(t *testing.T) {
	doc := load(t, shopDocument(t), Options{})
	op := doc.T.Paths.Find("/pets").Post
	body := op.RequestBody.Value.Content.Get("application/json").Schema
	if check, why := compileFastWhy(body, true); check == nil {
		t.Fatalf("POST /pets request body: %s", why)
	} else if v := fastDecode(t, string(kibPet())); !check(v) || !kinAccepts(body, v, true) {
		t.Fatal("kibPet is refused")
	}
	for status, r := range op.Responses.Map() {
		for ct, mt := range r.Value.Content {
			if check, why := compileFastWhy(mt.Schema, false); check == nil {
				t.Errorf("POST /pets %s %s: %s", status, ct, why)
			}
		}
	}
}

func shopDocument(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/contract/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkFastCheck compares kin-openapi's visitor with the compiled check
// on kibPet, decoded once, against shop.yaml's POST /pets request body.
func BenchmarkFastCheck(b *testing.B) {
	doc := load(b, shopDocument(b), Options{})
	s := doc.T.Paths.Find("/pets").Post.RequestBody.Value.Content.Get("application/json").Schema
	dec := json.NewDecoder(bytes.NewReader(kibPet()))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		b.Fatal(err)
	}
	check := compileFast(s, true)
	if check == nil || !check(v) {
		b.Fatal("kibPet does not pass the check")
	}
	b.Run("kin", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Value.VisitJSON(v, openapi3.VisitAsRequest(), openapi3.MultiErrors()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !check(v) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			compileFast(s, true)
		}
	})
}
