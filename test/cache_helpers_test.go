package test

// The HTTP cache's end-to-end tests share what is in this file: an origin that
// counts what reaches it and answers from a script, a config with cache blocks,
// a Cache-Status (RFC 9211, an RFC 8941 list) parser, and a reader of labelled
// Prometheus series. They test the cache as its users are promised it works,
// from outside the process: the client's responses and the origin's counts.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// cacheWriteToken is the admin write token of every cache config.
const cacheWriteToken = "e2e-cache-write-token-0123456789"

// originScript answers one request; n is the number of requests the case's
// folder has received, this one included.
type originScript func(w http.ResponseWriter, r *http.Request, n int)

// seenRequest is what the origin received.
type seenRequest struct {
	Method, URI, Path string
	Header            http.Header
}

// cacheOrigin is an origin server that can be stopped and started on its
// address. Requests are grouped by case folder: the first two path segments
// ("/storing/3/…"); each folder has its script and its count.
type cacheOrigin struct {
	t  *testing.T
	in *restartable

	mu      sync.Mutex
	scripts map[string]originScript
	counts  map[string]int
	seen    map[string][]seenRequest
	release chan struct{} // closed at cleanup: scripts that block wait on it
}

func newCacheOrigin(t *testing.T) *cacheOrigin {
	o := &cacheOrigin{
		t: t, scripts: map[string]originScript{}, counts: map[string]int{},
		seen: map[string][]seenRequest{}, release: make(chan struct{}),
	}
	o.in = newRestartable(t, http.HandlerFunc(o.serve))
	// Registered after newRestartable's cleanup, so it runs first: blocked
	// handlers return before the server is closed.
	t.Cleanup(func() { close(o.release) })
	return o
}

// Addr is the origin's host:port.
func (o *cacheOrigin) Addr() string { return o.in.addr }

// folder is the case folder of a path: "/a/b/c" → "/a/b/".
func folder(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	if len(parts) < 2 {
		return path
	}
	return "/" + parts[0] + "/" + parts[1] + "/"
}

// script sets the script of the case folder dir ("/storing/3/").
func (o *cacheOrigin) script(dir string, s originScript) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scripts[dir] = s
}

// count is the number of requests the folder received.
func (o *cacheOrigin) count(dir string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[dir]
}

// requests returns what the folder received, in order.
func (o *cacheOrigin) requests(dir string) []seenRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.seen[dir])
}

// last is the folder's latest request (the zero value if none).
func (o *cacheOrigin) last(dir string) seenRequest {
	rs := o.requests(dir)
	if len(rs) == 0 {
		return seenRequest{}
	}
	return rs[len(rs)-1]
}

func (o *cacheOrigin) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") {
		http.NotFound(w, r)
		return
	}
	dir := folder(r.URL.Path)
	o.mu.Lock()
	o.counts[dir]++
	n := o.counts[dir]
	o.seen[dir] = append(o.seen[dir], seenRequest{Method: r.Method, URI: r.RequestURI, Path: r.URL.Path, Header: r.Header.Clone()})
	s := o.scripts[dir]
	o.mu.Unlock()
	if s == nil {
		s = answer(200, "Cache-Control", "max-age=60")
	}
	s(w, r, n)
}

// originBody is the body of the origin's n-th answer in a folder: which answer
// it was, to which request, for which host. Tests tell responses apart by it.
func originBody(r *http.Request, n int) string {
	host := r.Header.Get("X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}
	return fmt.Sprintf("n=%d %s %s host=%s", n, r.Method, r.RequestURI, host)
}

// answer is a script that always answers status with the header pairs and
// originBody.
func answer(status int, header ...string) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, r, n, status, header...)
	}
}

// reply writes status, the header pairs and originBody.
func reply(w http.ResponseWriter, r *http.Request, n, status int, header ...string) {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Add(header[i], header[i+1])
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(status)
	if status != http.StatusNotModified && status != http.StatusNoContent {
		fmt.Fprint(w, originBody(r, n))
	}
}

// byNth answers the first request with first and every later one with later.
func byNth(first, later originScript) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			first(w, r, n)
			return
		}
		later(w, r, n)
	}
}

// validating answers 304 (with header) when the request's If-None-Match names
// etag or its If-Modified-Since is at or after lastModified, else 200.
func validating(etag, lastModified string, header ...string) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		h := slices.Clone(header)
		if etag != "" {
			h = append(h, "ETag", etag)
		}
		if lastModified != "" {
			h = append(h, "Last-Modified", lastModified)
		}
		if inm := r.Header.Get("If-None-Match"); inm != "" && etag != "" {
			if strings.Contains(inm, strings.TrimPrefix(etag, "W/")) || inm == "*" {
				reply(w, r, n, http.StatusNotModified, h...)
				return
			}
		} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && lastModified != "" {
			a, err1 := http.ParseTime(ims)
			b, err2 := http.ParseTime(lastModified)
			if err1 == nil && err2 == nil && !a.Before(b) {
				reply(w, r, n, http.StatusNotModified, h...)
				return
			}
		}
		reply(w, r, n, 200, h...)
	}
}

// httpDate is now+offset as an HTTP date.
func httpDate(offset time.Duration) string {
	return time.Now().Add(offset).UTC().Format(http.TimeFormat)
}

// cacheService is one service of a cache config: its policy block (YAML,
// without indentation) and the routes that lead to it.
type cacheService struct {
	Name   string
	Policy string
	Routes []cacheRoute
	Addr   string // the service's instance when not the config's origin
}

// cacheRoute is a route prefix and, optionally, its own cache: block (a YAML
// flow mapping, e.g. "{enabled: true, default_ttl: 60s}").
type cacheRoute struct {
	Path, Name, Cache string
}

// renderCacheConfig is a config with every service on the origin at addr.
// The defaults turn retries, breakers and ejection off, so that the origin's
// counts are the client's requests; a service turns them back on itself.
func renderCacheConfig(addr string, services ...cacheService) func(p ports) string {
	return func(p ports) string {
		var b strings.Builder
		fmt.Fprintf(&b, "listen:\n  http: %q\n", p.HTTP)
		fmt.Fprintf(&b, "admin:\n  listen: %q\n  token: %q\n  write_token: %q\n", p.Admin, adminToken, cacheWriteToken)
		b.WriteString("log:\n  level: info\n  access_log: false\n")
		b.WriteString("portal:\n  path: \"\"\n")
		b.WriteString("defaults:\n  retries: {attempts: 1}\n  breaker: {failures: 0}\n  outlier: {consecutive_failures: 0}\n")
		b.WriteString("discovery:\n  static:\n")
		for _, s := range services {
			a := addr
			if s.Addr != "" {
				a = s.Addr
			}
			fmt.Fprintf(&b, "    - service: %s\n      instances: [%q]\n", s.Name, a)
		}
		b.WriteString("services:\n")
		for _, s := range services {
			fmt.Fprintf(&b, "  %s:\n", s.Name)
			for _, line := range strings.Split(strings.TrimRight(s.Policy, "\n"), "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
		b.WriteString("routes:\n")
		for _, s := range services {
			for _, r := range s.Routes {
				fmt.Fprintf(&b, "  - path: %s\n    service: %s\n", r.Path, s.Name)
				if r.Name != "" {
					fmt.Fprintf(&b, "    name: %s\n", r.Name)
				}
				if r.Cache != "" {
					fmt.Fprintf(&b, "    cache: %s\n", r.Cache)
				}
			}
		}
		return b.String()
	}
}

// cacheOn is the policy of a service with the cache on and extra cache keys
// (YAML lines, e.g. "serve_stale_on_error: 30s").
func cacheOn(extra ...string) string {
	s := "cache:\n  enabled: true\n"
	for _, e := range extra {
		s += "  " + e + "\n"
	}
	return s
}
