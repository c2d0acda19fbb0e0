package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// fastTarget is one body schema of a real document, compiled for each
// direction: index 1 is the request, 0 the response.
type fastTarget struct {
	name   string
	schema *openapi3.SchemaRef
	check  [2]fastCheck // nil when compileFast falls back
	why    [2]string
	seed   [2]any // a value for the schema: the document's example, else a generated one
}

// fastFixture is every request and response body schema of the real
// documents in testdata, in both directions, with the words the fuzzer
// builds values from: enum values and property names.
type fastFixture struct {
	targets []fastTarget
	words   []string
}

var (
	fastFixtureOnce sync.Once
	fastFixtureData *fastFixture
	fastFixtureErr  error
)

// fastDocuments are the fixture documents, in the order the fuzzer counts
// their schemas: the largest one last, since -short runs leave it out.
var fastDocuments = []string{
	"contract/shop.yaml", "oas30-callback-example.yaml", "oas30-link-example.yaml", "oas30-petstore-expanded.yaml",
	"oas30-twilio-messaging-v1.json", "oas31-museum.yaml", "oas31-redocly-cafe/openapi.yaml", "oas31-webhook-example.json",
	"real/oas31-redocly-starter-2022/openapi.yaml", "real/swagger2-docker-remote-v1.21.json", "swagger2-docker-engine.yaml",
	"swagger2-petstore-formdata.yaml", "swagger2-petstore-separate/spec/swagger.yaml", "swagger2-uber.json",
	"oas31-openai.yaml",
}

// fastDocumentOptions are those of the documents made of several files.
var fastDocumentOptions = map[string]Options{
	"oas31-redocly-cafe/openapi.yaml":              {Location: "/openapi.yaml", ReadRef: readFrom("oas31-redocly-cafe")},
	"swagger2-petstore-separate/spec/swagger.yaml": {Location: "/spec/swagger.yaml", ReadRef: readFrom("swagger2-petstore-separate")},
	"real/oas31-redocly-starter-2022/openapi.yaml": {Location: "/openapi.yaml", ReadRef: readFrom("real/oas31-redocly-starter-2022")},
}

// fastFixtures loads the documents once per process: fuzzing calls it for
// every input.
func fastFixtures(t testing.TB) *fastFixture {
	t.Helper()
	fastFixtureOnce.Do(func() { fastFixtureData, fastFixtureErr = loadFastFixture() })
	if fastFixtureErr != nil {
		t.Fatal(fastFixtureErr)
	}
	return fastFixtureData
}

func loadFastFixture() (*fastFixture, error) {
	fx := &fastFixture{}
	words := map[string]bool{}
	// The table tests' schemas first: they have what real documents seldom
	// have (multipleOf, not, readOnly excused from around a schema).
	for _, tc := range fastCases {
		s, err := loadFastSchemas(tc.schemas)
		if err != nil {
			return nil, err
		}
		collectWords(s, words, map[*openapi3.Schema]bool{})
		tg := fastTarget{name: "case " + tc.name, schema: s}
		for d := range 2 {
			tg.check[d], tg.why[d] = compileFastWhy(s, d == 1)
			if len(tc.valid) > 0 {
				tg.seed[d], _ = decodeJSON([]byte(tc.valid[0]))
			}
		}
		fx.targets = append(fx.targets, tg)
	}
	for i, file := range fastDocuments {
		if i == len(fastDocuments)-1 && testing.Short() {
			break
		}
		data, err := os.ReadFile(path.Join("testdata", file))
		if err != nil {
			return nil, err
		}
		doc, err := Load(context.Background(), data, fastDocumentOptions[file])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		seen := map[*openapi3.Schema]bool{}
		for _, b := range fastBodies(doc.T) {
			if b.mt.Schema == nil || b.mt.Schema.Value == nil || seen[b.mt.Schema.Value] {
				continue
			}
			seen[b.mt.Schema.Value] = true
			collectWords(b.mt.Schema, words, map[*openapi3.Schema]bool{})
			tg := fastTarget{name: file + " " + b.where, schema: b.mt.Schema}
			for d, dir := range []direction{response, request} {
				tg.check[d], tg.why[d] = compileFastWhy(b.mt.Schema, dir == request)
				if ex := mediaExample("application/json", b.mt, dir); ex != "" {
					tg.seed[d], _ = decodeJSON([]byte(ex))
				}
			}
			fx.targets = append(fx.targets, tg)
		}
	}
	fx.words = slices.Sorted(maps.Keys(words))
	return fx, nil
}

// fastBody is a media type of an operation's request or response.
type fastBody struct {
	where string
	mt    *openapi3.MediaType
}

// fastBodies lists every request and response media type of a document, in
// a stable order (the fuzzer picks a target by its index).
func fastBodies(t *openapi3.T) []fastBody {
	var out []fastBody
	for _, p := range slices.Sorted(maps.Keys(t.Paths.Map())) {
		item := t.Paths.Value(p)
		ops := item.Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := ops[method]
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				for _, ct := range slices.Sorted(maps.Keys(rb.Value.Content)) {
					out = append(out, fastBody{method + " " + p + " request " + ct, rb.Value.Content[ct]})
				}
			}
			if op.Responses == nil {
				continue
			}
			rs := op.Responses.Map()
			for _, status := range slices.Sorted(maps.Keys(rs)) {
				if r := rs[status]; r != nil && r.Value != nil {
					for _, ct := range slices.Sorted(maps.Keys(r.Value.Content)) {
						out = append(out, fastBody{method + " " + p + " " + status + " " + ct, r.Value.Content[ct]})
					}
				}
			}
		}
	}
	return out
}

// collectWords gathers the enum strings and property names of a schema
// graph: values built from them get past the first checks.
func collectWords(s *openapi3.SchemaRef, words map[string]bool, seen map[*openapi3.Schema]bool) {
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	v := s.Value
	seen[v] = true
	for _, e := range v.Enum {
		if str, ok := e.(string); ok {
			words[str] = true
		}
	}
	for name, p := range v.Properties {
		words[name] = true
		collectWords(p, words, seen)
	}
	for _, r := range slices.Concat(v.AllOf, v.AnyOf, v.OneOf, openapi3.SchemaRefs{v.Not, v.Items, v.AdditionalProperties.Schema}) {
		collectWords(r, words, seen)
	}
}

// decodeJSON decodes one JSON value as the contract does, refusing what
// the contract refuses before decoding: too deep a value.
func decodeJSON(data []byte) (any, bool) {
	if jsonDeeperThan(data, MaxBodyNesting) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// FuzzFastCheck is differential. The input picks a body schema of the real
// documents and a direction, and gives a value: itself when it is JSON,
// else the pick's seed edited as it says (fuzzEdit), so that the fuzzer
// works near valid values. Where the picked schema compiles, the check
// and kin-openapi must agree both ways: a value the check accepts and
// kin-openapi refuses breaks the contract; the other way round the check
// is only slower, but still wrong. Every other schema that compiles must
// keep the first promise for the value too (agreeing the other way is
// left to its own picks: running kin-openapi on each would make every
// input a thousand times slower).
func FuzzFastCheck(f *testing.F) {
	fx := fastFixtures(f)
	seeds := map[string]bool{}
	for i, tg := range fx.targets {
		for _, d := range []int{1, 0} { // one seed a schema, of a request if it compiles
			if tg.check[d] == nil || tg.seed[d] == nil {
				continue
			}
			if b, _ := json.Marshal(tg.seed[d]); !seeds[string(b)] {
				seeds[string(b)] = true
				f.Add(uint16(2*i+d), b)
			}
			break
		}
	}
	for i, tg := range fx.targets {
		if tg.name == "contract/shop.yaml POST /pets request application/json" {
			f.Add(uint16(2*i+1), kibPet())
		}
	}
	f.Fuzz(func(t *testing.T, pick uint16, data []byte) {
		fx := fastFixtures(t)
		i, d := int(pick)/2%len(fx.targets), int(pick)%2
		v, ok := decodeJSON(data)
		if !ok {
			if fx.targets[i].seed[d] == nil {
				return
			}
			v = fuzzEdit(fx.targets[i].seed[d], data, fx.words)
		}
		for j, tg := range fx.targets {
			for d := range 2 {
				if tg.check[d] == nil {
					continue
				}
				got := tg.check[d](v)
				if !got && j != i {
					continue
				}
				err := tg.schema.Value.VisitJSON(v, fastOptions(d == 1)...)
				switch {
				case got && err != nil:
					t.Fatalf("%s (request %v): fastCheck accepts what kin refuses: %v\nvalue: %s", tg.name, d == 1, err, show(v))
				case !got && err == nil:
					t.Errorf("%s (request %v): fastCheck refuses what kin accepts\nvalue: %s", tg.name, d == 1, show(v))
				}
			}
		}
	})
}

func fastOptions(asRequest bool) []openapi3.SchemaValidationOption {
	if asRequest {
		return []openapi3.SchemaValidationOption{openapi3.VisitAsRequest(), openapi3.MultiErrors()}
	}
	return []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// TestFastCheckCompilesTheFixturesBodySchemas logs what share of the real
// documents' body schemas take the fast path, and why the others do not.
func TestFastCheckCompilesTheFixturesBodySchemas(t *testing.T) {
	fx := fastFixtures(t)
	compiled, reasons := map[string][2]int{}, map[string]int{}
	for _, tg := range fx.targets {
		file, _, _ := strings.Cut(tg.name, " ")
		if file == "case" {
			continue // not a real document's
		}
		n := compiled[file]
		for d := range 2 {
			n[1]++
			if tg.check[d] != nil {
				n[0]++
			} else {
				reasons[tg.why[d]]++
			}
		}
		compiled[file] = n
	}
	total := [2]int{}
	for _, file := range slices.Sorted(maps.Keys(compiled)) {
		n := compiled[file]
		total[0], total[1] = total[0]+n[0], total[1]+n[1]
		t.Logf("%-48s %4d of %4d compile", file, n[0], n[1])
	}
	t.Logf("all: %d of %d compile (%.0f%%)", total[0], total[1], 100*float64(total[0])/float64(total[1]))
	for _, why := range slices.Sorted(maps.Keys(reasons)) {
		t.Logf("falls back %4d× for %s", reasons[why], why)
	}
	if n := compiled["contract/shop.yaml"]; n[0] != n[1] {
		t.Errorf("shop.yaml: only %d of %d compile", n[0], n[1])
	}
}

// fuzzEdit applies to a copy of v the edits data spells, three bytes each
// (what, where, a parameter): each replaces, adds or removes one node of
// the value, so that a valid seed becomes a value just off it. Copying a
// member can double a value, so the edits stop at fuzzMaxNodes.
func fuzzEdit(v any, data []byte, words []string) any {
	v = fuzzCopy(v)
	for ; len(data) >= 3; data = data[3:] {
		n := fuzzCount(v)
		if n > fuzzMaxNodes {
			break
		}
		op, at, arg := data[0], int(data[1]), int(data[2])
		i := 0
		v = fuzzAt(v, at%n, &i, func(x any) any { return fuzzOp(op, arg, x, words) })
	}
	return v
}

const fuzzMaxNodes = 2000

func fuzzCopy(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = fuzzCopy(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = fuzzCopy(x)
		}
		return out
	}
	return v
}

func fuzzCount(v any) int {
	n := 1
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			n += fuzzCount(x)
		}
	case map[string]any:
		for _, x := range v {
			n += fuzzCount(x)
		}
	}
	return n
}

// fuzzAt replaces the node at the index at, counting in preorder (members
// of an object in key order); i counts the nodes passed.
func fuzzAt(v any, at int, i *int, f func(any) any) any {
	if *i == at {
		*i++
		return f(v)
	}
	*i++
	switch v := v.(type) {
	case []any:
		for k := range v {
			if v[k] = fuzzAt(v[k], at, i, f); *i > at {
				break
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if v[k] = fuzzAt(v[k], at, i, f); *i > at {
				break
			}
		}
	}
	return v
}

// Numbers and strings at the edges of what schemas check.
var (
	fuzzNumbers = []string{"0", "-0", "1", "-1", "1.5", "0.1", "0.3", "1e3", "1.0", "-7", "100", "2147483647", "2147483648",
		"9223372036854775807", "9223372036854775808", "1e19", "1e400", "1e-400", "12345678901234567890", "4.9e-324"}
	fuzzStrings = []string{"", "a", "ab", "2024-02-29", "2023-02-29", "2024-02-29T12:00:00Z", "2024-02-29T25:00:00Z",
		"aGVsbG8=", "a b", "é", "😀", "\xff", "00000000-0000-0000-0000-000000000000", "user@example.com"}
)

// fuzzOp is one edit of a node x.
func fuzzOp(op byte, arg int, x any, words []string) any {
	switch op % 10 {
	case 0:
		return nil
	case 1:
		return arg%2 == 0
	case 2:
		return json.Number(fuzzNumbers[arg%len(fuzzNumbers)])
	case 3:
		return json.Number(strconv.Itoa(arg - 128))
	case 4:
		return fuzzStrings[arg%len(fuzzStrings)]
	case 5:
		if len(words) == 0 {
			return ""
		}
		return words[arg*7919%len(words)]
	case 6: // an object member less, or one more named by a word
		m, ok := x.(map[string]any)
		if !ok {
			return map[string]any{}
		}
		if keys := slices.Sorted(maps.Keys(m)); len(keys) > 0 && arg%2 == 0 {
			delete(m, keys[arg/2%len(keys)])
		} else if len(words) > 0 {
			m[words[arg*7919%len(words)]] = nil
		}
		return m
	case 7: // an array item less, or one more
		a, ok := x.([]any)
		switch {
		case !ok:
			return []any{x}
		case len(a) == 0:
			return append(a, nil)
		case arg%2 == 0:
			i := arg / 2 % len(a)
			return slices.Delete(a, i, i+1)
		}
		return append(a, fuzzCopy(a[arg%len(a)]))
	case 8: // a member in the place of its object or array
		switch x := x.(type) {
		case []any:
			if len(x) > 0 {
				return x[arg%len(x)]
			}
		case map[string]any:
			if keys := slices.Sorted(maps.Keys(x)); len(keys) > 0 {
				return x[keys[arg%len(keys)]]
			}
		}
		return x
	}
	return strings.Repeat(string(rune(arg*31)), arg%4)
}
