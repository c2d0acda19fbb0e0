package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// The servers are in-process so the benchmark starts nothing it cannot stop:
// the upstream that publishes the document, and the static server that hands
// Swagger UI the same bytes. Both listen on 127.0.0.1 only, on ports the
// kernel picks.

// docsPath is where the upstream publishes its document, and what the
// config's services.bigapi.docs.openapi points the catalog at.
const docsPath = "/v3/api-docs"

// service is the name of the routed service in bulwark's config.
const service = "bigapi"

// server is one loopback HTTP server started by this program.
type server struct {
	srv  *http.Server
	addr string
}

func serve(h http.Handler) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, addr: l.Addr().String()}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *server) close() {
	if s != nil {
		_ = s.srv.Close()
	}
}

func serveJSON(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(doc)))
	_, _ = w.Write(doc)
}

// startUpstream serves the document at docsPath and a small JSON answer
// everywhere else (what the routed service would answer to traffic).
func startUpstream(doc []byte) (*server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+docsPath, func(w http.ResponseWriter, _ *http.Request) { serveJSON(w, doc) })
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { serveJSON(w, []byte(`{"ok":true}`)) })
	return serve(mux)
}

// swaggerIndex is the page Swagger UI runs in: the dist's own CSS and bundle,
// no CDN, and validatorUrl null so it never calls validator.swagger.io.
// docExpansion "list" (its default) shows every tag open, with each
// operation as a collapsed .opblock row: the same first view as the portal's
// service page, which lists every operation grouped by tag.
const swaggerIndex = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Swagger UI baseline</title>
<link rel="stylesheet" href="/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, docExpansion: "list", deepLinking: false});
</script>
</body>
</html>
`

// startSwaggerUI serves dist (the extracted package/ folder of
// swagger-ui-dist), the index page above and the document.
func startSwaggerUI(dist string, doc []byte) (*server, error) {
	if _, err := os.Stat(filepath.Join(dist, "swagger-ui-bundle.js")); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServer(http.Dir(dist)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, swaggerIndex)
	})
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) { serveJSON(w, doc) })
	return serve(mux)
}

// bulwarkConfig is the file bulwark serves: one static service routed at
// /bigapi whose document is at docsPath on its instance, the admin listener
// on loopback with a fixed token, no access log (the browser's requests are
// what is measured, not the log's cost), as test/serve_test.go writes them.
func bulwarkConfig(httpAddr, adminAddr, upstream string) string {
	return fmt.Sprintf(`listen:
  http: %q
admin:
  listen: %q
  token: "bench-portal-token"
log:
  level: warn
  access_log: false
discovery:
  static:
    - service: %s
      instances: [%q]
routes:
  - path: /%s
    service: %s
services:
  %s:
    docs: {openapi: %s}
`, httpAddr, adminAddr, service, upstream, service, service, service, docsPath)
}

// catalogEntry is the part of GET /portal/api/services this program reads
// (catalog.Entry).
type catalogEntry struct {
	Service  string `json:"service"`
	Kind     string `json:"kind"`
	Error    string `json:"error"`
	Hash     string `json:"hash"`
	Problems []struct {
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"problems"`
}

// waitCatalog polls bulwark's catalog until the service's document has been
// fetched and loaded, and returns its entry.
func waitCatalog(ctx context.Context, base string, timeout time.Duration) (catalogEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		var entries []catalogEntry
		err := getJSON(ctx, base+"/portal/api/services", &entries)
		if err == nil {
			for _, e := range entries {
				if e.Service != service {
					continue
				}
				if e.Error != "" {
					return e, fmt.Errorf("the catalog could not read the document: %s", e.Error)
				}
				if e.Hash != "" && e.Kind != "" {
					return e, nil
				}
			}
			last = fmt.Sprintf("%d entries, %s not loaded yet", len(entries), service)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return catalogEntry{}, fmt.Errorf("the catalog did not load the document within %v (last: %s)", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// operationSlug finds the slug of an operationId in the catalog's API.
func operationSlug(ctx context.Context, base, operationID string) (string, int, error) {
	var v struct {
		Operations []struct {
			Slug        string `json:"slug"`
			OperationID string `json:"operation_id"`
		} `json:"operations"`
	}
	if err := getJSON(ctx, base+"/portal/api/services/"+service, &v); err != nil {
		return "", 0, err
	}
	for _, o := range v.Operations {
		if o.OperationID == operationID {
			return o.Slug, len(v.Operations), nil
		}
	}
	return "", len(v.Operations), fmt.Errorf("no operation %q among the catalog's %d", operationID, len(v.Operations))
}

// searchHits is how many hits the catalog's API gives for q (at most 50).
func searchHits(ctx context.Context, base, q string) (int, error) {
	var hits []json.RawMessage
	err := getJSON(ctx, base+"/portal/api/search?q="+url.QueryEscape(q), &hits)
	return len(hits), err
}

func getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, res.Status, bytes.TrimSpace(b[:min(len(b), 200)]))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.Join(fmt.Errorf("GET %s: not the JSON expected", u), err)
	}
	return nil
}

// getOK checks that u answers 200.
func getOK(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return nil
}
