package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Issue 18's rule: a document a mainstream tool renders loses no operation
// in bulwark. testdata/golden/operation-counts.json holds, per fixture, the
// number of operations under paths. The numbers were checked once against
// `redocly stats` (@redocly/cli 2.77.0; it crashes on the Docker Engine
// document, whose count comes from the walk below only), and -update
// rewrites them from referenceCount, an independent walk of the raw files,
// never from what Load returns: a count that drops in Load fails here.

// countCase is one fixture: its root under testdata and how it is served.
type countCase struct {
	file string
	opts Options
}

func countCases() []countCase {
	split := func(dir, loc, root string) countCase {
		return countCase{dir + loc, Options{Location: loc, RefRoot: root, ReadRef: readFrom(dir)}}
	}
	return []countCase{
		{file: "swagger2-uber.json"}, {file: "swagger2-petstore-formdata.yaml"}, {file: "swagger2-docker-engine.yaml"},
		{file: "oas30-petstore-expanded.yaml"}, {file: "oas30-callback-example.yaml"}, {file: "oas30-link-example.yaml"},
		{file: "oas30-twilio-messaging-v1.json"}, {file: "oas31-webhook-example.json"}, {file: "oas31-museum.yaml"},
		{file: "oas31-openai.yaml"},
		split("swagger2-petstore-separate", "/spec/swagger.yaml", "/"),
		split("oas31-redocly-cafe", "/openapi.yaml", ""),
		split("real/oas31-redocly-starter-2022", "/openapi.yaml", ""),
		{file: "real/swagger2-docker-remote-v1.21.json"},
	}
}

func TestEveryFixtureLoadsEveryOperation(t *testing.T) {
	goldenPath := filepath.Join("testdata", "golden", "operation-counts.json")
	want := map[string]int{}
	if !*update {
		b, err := os.ReadFile(goldenPath)
		if err != nil {
			t.Fatalf("no golden counts (run with -update): %v", err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int{}
	for _, c := range countCases() {
		t.Run(c.file, func(t *testing.T) {
			ref := referenceCount(t, c.file)
			got[c.file] = ref
			if *update {
				return
			}
			if ref != want[c.file] {
				t.Errorf("the raw files have %d operations, the golden count is %d", ref, want[c.file])
			}
			doc, err := Load(context.Background(), fixture(t, c.file), c.opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(doc.Operations) != want[c.file] {
				t.Errorf("Load indexed %d operations, the document has %d", len(doc.Operations), want[c.file])
			}
		})
	}
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// referenceCount counts the operations under paths by reading the files
// directly: a path item or an operation that is a $ref is followed on disk
// (relative to the file it is written in, with its JSON pointer). It shares
// no code with the bundler.
func referenceCount(t *testing.T, file string) int {
	t.Helper()
	root := filepath.Join("testdata", file)
	doc := readRaw(t, root)
	paths, _ := doc.(map[string]any)["paths"].(map[string]any)
	n := 0
	for _, item := range paths {
		item, where := follow(t, item, root)
		m, _ := item.(map[string]any)
		for k, op := range m {
			if !httpMethods[k] {
				continue
			}
			if op, _ := follow(t, op, where); op != nil {
				n++
			}
		}
	}
	return n
}

// follow resolves v while it is a {$ref} written in the file at where.
func follow(t *testing.T, v any, where string) (any, string) {
	for range 32 {
		m, ok := v.(map[string]any)
		ref, isRef := m["$ref"].(string)
		if !ok || !isRef {
			return v, where
		}
		file, frag, _ := strings.Cut(ref, "#")
		if file != "" {
			where = filepath.Join(filepath.Dir(where), filepath.FromSlash(file))
		}
		v = readRaw(t, where)
		for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			if tok == "" {
				continue
			}
			tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			switch c := v.(type) {
			case map[string]any:
				v = c[tok]
			case []any:
				i, _ := strconv.Atoi(tok)
				v = c[i]
			}
		}
	}
	t.Fatalf("a $ref chain longer than 32 in %s", where)
	return nil, ""
}

func readRaw(t *testing.T, file string) any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) && path.Ext(file) == ".json" {
		err = json.Unmarshal(b, &v)
	} else {
		err = yaml.Unmarshal(b, &v)
	}
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}
