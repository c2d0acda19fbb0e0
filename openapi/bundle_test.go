package openapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// instance is a service instance's files as ReadRef sees them, recording
// every path asked for.
type instance struct {
	mu    sync.Mutex
	files map[string]string
	big   map[string]int // paths served as that many bytes of YAML comment
	asked []string
}

func (in *instance) read(_ context.Context, p string) ([]byte, error) {
	in.mu.Lock()
	in.asked = append(in.asked, p)
	in.mu.Unlock()
	if n, ok := in.big[p]; ok {
		return []byte("#" + strings.Repeat("x", n-1)), nil
	}
	if s, ok := in.files[p]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("GET %s answered 404 Not Found", p)
}

const head = "openapi: 3.0.3\ninfo: {title: split, version: '1'}\n"

// okPath is a path item that must survive whatever happens to its
// neighbours.
const okPath = "  /ok:\n    get:\n      operationId: ok\n      responses: {'200': {description: ok}}\n"

func TestMultiFileDocumentsAreBundledSafely(t *testing.T) {
	thousand := func() (string, map[string]string) {
		var b strings.Builder
		files := map[string]string{}
		for i := range 1000 {
			fmt.Fprintf(&b, "  /p%d: {$ref: 'paths/p%d.yaml'}\n", i, i)
			files[fmt.Sprintf("/api/paths/p%d.yaml", i)] = fmt.Sprintf("get: {operationId: p%d, responses: {'200': {description: ok}}}\n", i)
		}
		return b.String(), files
	}
	chain := func(n int) map[string]string {
		files := map[string]string{}
		for i := range n {
			files[fmt.Sprintf("/api/c%d.yaml", i)] = fmt.Sprintf("$ref: 'c%d.yaml'\n", i+1)
		}
		return files
	}
	manyPaths, manyFiles := thousand()
	for _, tt := range []struct {
		name  string
		paths string
		files map[string]string
		big   map[string]int
		ops   int    // operations Load must index
		where string // a problem must be listed here...
		says  string // ...saying this
	}{
		{"a path item in another file is inlined with its operations",
			"  /pets: {$ref: 'paths/pets.yaml'}\n", map[string]string{
				"/api/paths/pets.yaml":        "get:\n  operationId: listPets\n  responses: {'200': {$ref: '../responses/Pets.yaml'}}\npost:\n  $ref: '../ops/create.yaml'\n",
				"/api/responses/Pets.yaml":    "description: pets\ncontent: {application/json: {schema: {$ref: 'schemas.yaml#/Pet'}}}\n",
				"/api/responses/schemas.yaml": "Pet: {type: object, properties: {name: {type: string}}}\n",
				"/api/ops/create.yaml":        "operationId: createPet\nresponses: {'201': {description: created}}\n",
			}, nil, 3, "", ""},
		{"a $ref climbing out of the document's folder is refused, unfetched",
			"  /passwd: {$ref: '../../etc/passwd'}\n", nil, nil, 1, "/paths/~1passwd", "leaves the document's folder"},
		{"a percent-encoded climb is refused too",
			"  /passwd: {$ref: '%2e%2e/%2e%2e/etc/passwd'}\n", nil, nil, 1, "/paths/~1passwd", "leaves the document's folder"},
		{"a $ref to the cloud metadata address is refused, unfetched",
			"  /meta: {$ref: 'http://169.254.169.254/latest/meta-data/'}\n", nil, nil, 1, "/paths/~1meta", "points outside the service's instance"},
		{"a protocol-relative $ref to another host is refused",
			"  /meta: {$ref: '//169.254.169.254/x.yaml'}\n", nil, nil, 1, "/paths/~1meta", "points outside the service's instance"},
		{"a cycle of path items between two files is a problem, not a hang",
			"  /a: {$ref: 'a.yaml'}\n", map[string]string{"/api/a.yaml": "$ref: 'b.yaml'\n", "/api/b.yaml": "$ref: 'a.yaml'\n"},
			nil, 1, "/paths/~1a", "cycle"},
		{"a cycle of schemas between two files loads",
			"  /s:\n    get:\n      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: 'a.yaml#/A'}}}}}\n",
			map[string]string{"/api/a.yaml": "A: {type: object, properties: {b: {$ref: 'b.yaml#/B'}}}\n",
				"/api/b.yaml": "B: {type: object, properties: {a: {$ref: 'a.yaml#/A'}}}\n"}, nil, 2, "", ""},
		{"a chain of files deeper than the bound is cut",
			"  /deep: {$ref: 'c0.yaml'}\n", chain(100), nil, 1, "/paths/~1deep", "chain"},
		{"1,000 referenced files: 200 files in all are read (the root is one), the rest are problems",
			manyPaths, manyFiles, nil, maxRefFiles, "/paths/~1p199", "more than 200 files"},
		{"a 50 MiB referenced file is refused at the size cap",
			"  /big: {$ref: 'big.yaml'}\n", nil, map[string]int{"/api/big.yaml": 50 << 20}, 1, "/paths/~1big", "more than"},
		{"a referenced file nested deeper than any document is refused",
			"  /nest: {$ref: 'nest.yaml'}\n", map[string]string{"/api/nest.yaml": strings.Repeat("[", 5000) + strings.Repeat("]", 5000)},
			nil, 1, "/paths/~1nest", "nests more than"},
		{"a missing file costs its path item only",
			"  /gone: {$ref: 'gone.yaml'}\n", nil, nil, 1, "/paths/~1gone", "404"},
		{"an operation $ref to a missing fragment is a problem",
			"  /frag:\n    get: {$ref: 'ops.yaml#/nope'}\n", map[string]string{"/api/ops.yaml": "list: {responses: {'200': {description: ok}}}\n"}, nil,
			2, "/paths/~1frag/get", "nothing at #/nope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := &instance{files: tt.files, big: tt.big}
			data := []byte(head + "paths:\n" + okPath + tt.paths)
			var doc *Document
			var err error
			within(t, time.Minute, func() {
				doc, err = Load(context.Background(), data, Options{Location: "/api/openapi.yaml", ReadRef: in.read})
			})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(doc.Operations) != tt.ops {
				t.Errorf("%d operations, want %d: %v", len(doc.Operations), tt.ops, doc.Operations)
			}
			if tt.says != "" && !hasProblem(doc, tt.where, tt.says) {
				t.Errorf("no problem at %q saying %q in %v", tt.where, tt.says, doc.Problems)
			}
			if tt.says == "" && len(doc.Problems) > 0 {
				t.Errorf("problems with a sound document: %v", doc.Problems)
			}
			if len(doc.Problems) > maxRefProblems+maxProblems+1 {
				t.Errorf("%d problems listed: the list must stay bounded", len(doc.Problems))
			}
			seen := map[string]bool{}
			for _, p := range in.asked {
				if !strings.HasPrefix(p, "/api/") {
					t.Errorf("ReadRef asked for %s, outside the document's folder", p)
				}
				if seen[p] {
					t.Errorf("ReadRef asked for %s twice", p)
				}
				seen[p] = true
			}
			if len(in.asked) > maxRefFiles {
				t.Errorf("%d files read, more than %d", len(in.asked), maxRefFiles)
			}
		})
	}
}

// Redocly's split layout writes info.description as a $ref to Markdown.
func TestADescriptionRefBecomesTheFilesText(t *testing.T) {
	in := &instance{files: map[string]string{"/docs/intro.md": "# Intro\n\nHello *world*.\n"}}
	data := "openapi: 3.1.0\ninfo:\n  title: t\n  version: '1'\n  description: {$ref: ./intro.md}\n" +
		"paths:\n  /a:\n    get:\n      description: {$ref: 'intro.md'}\n      responses: {'200': {description: ok}}\n" +
		"components:\n  schemas:\n    S:\n      type: object\n      properties:\n        description: {$ref: '#/components/schemas/T'}\n    T: {type: string}\n"
	doc, err := Load(context.Background(), []byte(data), Options{Location: "/docs/openapi.yaml", ReadRef: in.read})
	if err != nil {
		t.Fatal(err)
	}
	if doc.T.Info.Description != "# Intro\n\nHello *world*.\n" {
		t.Errorf("info.description = %q", doc.T.Info.Description)
	}
	if d := doc.T.Paths.Find("/a").Get.Description; !strings.HasPrefix(d, "# Intro") {
		t.Errorf("operation description = %q", d)
	}
	if p := doc.T.Components.Schemas["S"].Value.Properties["description"]; p == nil || p.Ref != "#/components/schemas/T" {
		t.Errorf("a property named description was taken for a description: %+v", p)
	}
	if len(doc.Problems) > 0 {
		t.Errorf("problems: %v", doc.Problems)
	}
}

// Without ReadRef nothing is fetched, and the document still loads.
func TestExternalRefsWithoutAReaderAreProblems(t *testing.T) {
	data := head + "paths:\n" + okPath + "  /x: {$ref: 'x.yaml'}\ncomponents:\n  schemas:\n    X: {$ref: 'x.yaml#/X'}\n"
	doc, err := Load(context.Background(), []byte(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Operations) != 1 || !hasProblem(doc, "/paths/~1x", "not followed") || !hasProblem(doc, "/components/schemas/X", "not followed") {
		t.Errorf("operations %v, problems %v", doc.Operations, doc.Problems)
	}
}

// The folder rule, widened: RefRoot "/" lets the Swagger petstore's
// ../common/Error.yaml in; by default it is refused and every operation
// still loads.
func TestRefRootBoundsWhereRefsMayGo(t *testing.T) {
	for _, tt := range []struct {
		name, root string
		problem    bool
	}{
		{"the document's folder by default: ../common is refused", "", true},
		{"the whole instance with RefRoot /", "/", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Load(context.Background(), fixture(t, "swagger2-petstore-separate/spec/swagger.yaml"),
				Options{Location: "/spec/swagger.yaml", RefRoot: tt.root, ReadRef: readFrom("swagger2-petstore-separate")})
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Operations) != 4 {
				t.Errorf("%d operations, want 4", len(doc.Operations))
			}
			if got := hasProblem(doc, "/definitions/ErrorModel", "leaves the document's folder") ||
				hasProblem(doc, "/paths/~1pets/get/responses/default/schema", "leaves the document's folder"); got != tt.problem {
				t.Errorf("refusal listed: %v, want %v (%v)", got, tt.problem, doc.Problems)
			}
		})
	}
}
