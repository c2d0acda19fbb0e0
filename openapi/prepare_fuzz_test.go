package openapi

import (
	"context"
	"errors"
	"testing"
)

// FuzzPrepare feeds documents from strangers to the pre-processor (bundling
// and draft-4 rewriting) and on into Load: it must never panic, and what it
// produces either loads or is an *Error. Every external $ref reads the same
// input back, so refs, cycles and rewrites compound.
func FuzzPrepare(f *testing.F) {
	for _, seed := range []string{
		head + "paths:\n" + okPath + "  /p: {$ref: 'p.yaml'}\n",
		head + "paths:\n  /p:\n    get: {$ref: '#/paths/~1p/get'}\n",
		"openapi: 3.1.0\ninfo: {title: x, version: '1', description: {$ref: a.md}}\npaths: {}\n",
		"swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok, schema: {type: [string, 'null'], items: [{}, {}], properties: {a: {required: true}}}}\n",
		"swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {/a: {$ref: '../x'}, /b: {$ref: 'http://h/x'}}\n",
		"openapi: 3.0.0\npaths: {/a: {get: {$ref: '#'}}}\n",
		`{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{"/a":{"$ref":"a.json#/x"}}}`,
		"openapi: 3.0.0\npaths: &a {/a: *a}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		read := func(context.Context, string) ([]byte, error) { return data, nil }
		for _, kind := range []Kind{Swagger2, OpenAPI3, OpenAPI3_1} {
			prepare(context.Background(), data, kind, Options{Location: "/d/x.yaml", ReadRef: read})
		}
		doc, err := Load(context.Background(), data, Options{Location: "/d/x.yaml", ReadRef: read})
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("Load returned %T %v, want an *Error", err, err)
		}
		if err == nil && doc == nil {
			t.Fatal("no document and no error")
		}
	})
}
