package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden is what a fixture becomes: its kind and title, the servers it is
// served under through the gateway, every operation's slug, and how many
// warnings validation had.
type golden struct {
	Kind       Kind     `json:"kind"`
	Title      string   `json:"title"`
	Servers    []string `json:"servers"`
	Original   []string `json:"original_servers,omitempty"`
	Warnings   int      `json:"warnings"`
	Operations []string `json:"operations"` // "slug METHOD path"
}

// TestGoldenDocuments loads every real fixture through the same options (a
// public URL and a stripped route prefix) and compares the outcome with
// testdata/golden: a change in conversion, normalization or indexing shows up
// as a diff. Run with -update to accept one.
func TestGoldenDocuments(t *testing.T) {
	cases := map[string]Options{
		"swagger2-uber.json": {}, "swagger2-petstore-formdata.yaml": {}, "swagger2-docker-engine.yaml": {},
		"oas30-petstore-expanded.yaml": {}, "oas30-link-example.yaml": {}, "oas30-twilio-messaging-v1.json": {},
		"oas31-museum.yaml": {}, "oas31-webhook-example.json": {},
		"oas31-redocly-cafe/openapi.yaml":              {Location: "/openapi.yaml", ReadRef: readFrom("oas31-redocly-cafe")},
		"swagger2-petstore-separate/spec/swagger.yaml": {Location: "/spec/swagger.yaml", RefRoot: "/", ReadRef: readFrom("swagger2-petstore-separate")},
	}
	for file, opts := range cases {
		t.Run(file, func(t *testing.T) {
			opts.PublicURL, opts.RoutePrefix, opts.StripPrefix = "https://gw.test", "/svc", true
			doc, err := Load(context.Background(), fixture(t, file), opts)
			if err != nil {
				t.Fatal(err)
			}
			g := golden{Kind: doc.Kind, Title: doc.Title, Original: doc.OriginalServers, Warnings: len(doc.Problems)}
			for _, s := range doc.T.Servers {
				g.Servers = append(g.Servers, s.URL)
			}
			for _, op := range doc.Operations {
				g.Operations = append(g.Operations, op.Slug+" "+op.Method+" "+op.Path)
			}
			got, _ := json.MarshalIndent(g, "", "  ")
			path := filepath.Join("testdata", "golden", strings.NewReplacer("/", "_").Replace(file)+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no golden file (run with -update): %v", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
				t.Errorf("%s differs from its golden file %s:\n%s", file, path, got)
			}
		})
	}
}
