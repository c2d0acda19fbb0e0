package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/config"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/openapi"
)

// benchDoc is a petstore operation with a typical object schema.
const benchDoc = `openapi: 3.0.3
info: {title: Pets, version: '1'}
paths:
  /pets:
    post:
      operationId: addPet
      parameters:
        - {name: dryRun, in: query, schema: {type: boolean}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, tag, owner]
              properties:
                name: {type: string, minLength: 1, maxLength: 100}
                tag: {type: string, enum: [dog, cat, bird]}
                age: {type: integer, minimum: 0}
                owner:
                  type: object
                  required: [email]
                  properties: {email: {type: string, format: email}, note: {type: string}}
                notes: {type: array, items: {type: string, maxLength: 200}}
      responses:
        '201':
          description: made
          content:
            application/json:
              schema: {type: object, required: [id, name], properties: {id: {type: integer}, name: {type: string}}}
`

// BenchmarkContract is a 1 KiB JSON POST through the gateway to an upstream
// on the same route, same run: without validation, with validate.requests
// (report and enforce: the same work), and with validate.responses sampling
// 1% and 100%. bench/RESULTS.md has the ratios against "off".
func BenchmarkContract(b *testing.B) {
	doc, err := openapi.Load(context.Background(), []byte(benchDoc), openapi.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ct, err := doc.Contract()
	if err != nil {
		b.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":7,"name":"Rex"}`)
	}))
	b.Cleanup(up.Close)
	body := []byte(`{"name":"Rex","tag":"dog","age":3,"owner":{"email":"ann@example.com","note":"` +
		strings.Repeat("n", 700) + `"},"notes":["a","b","c"]}`)
	for _, c := range []struct{ name, validate string }{
		{"off", ""},
		{"requests", "validate: {requests: enforce}"},
		{"responses_1pct", "validate: {responses: report, sample: 1%}"},
		{"responses_100pct", "validate: {responses: report, sample: 100%}"},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, err := config.Parse("b.yaml", []byte("discovery: {static: [{service: pets, instances: ['"+up.Listener.Addr().String()+"']}]}\n"+
				"routes: [{path: /pets, service: pets}]\nservices:\n  pets: {"+c.validate+"}\n"))
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := f.Gateway()
			if err != nil {
				b.Fatal(err)
			}
			cfg.Contracts = func(string) (gateway.Contract, string) { return contractAdapter{ct}, "" }
			g := gateway.New(gateway.Options{})
			b.Cleanup(g.Close)
			static, _ := discovery.NewStatic(f.StaticServices())
			g.Configure(cfg, static.Snapshot())
			srv := httptest.NewServer(g)
			b.Cleanup(srv.Close)
			client := srv.Client()
			if c.name == "requests" { // the check is on: a body without owner is refused
				res, err := client.Post(srv.URL+"/pets", "application/json", strings.NewReader(`{"name":"Rex","tag":"dog"}`))
				if err != nil || res.StatusCode != http.StatusBadRequest {
					b.Fatalf("an invalid body: %v %v, want 400", res.Status, err)
				}
				res.Body.Close()
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pets", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusCreated {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
		})
	}
}
