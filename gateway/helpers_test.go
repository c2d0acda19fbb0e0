package gateway

import (
	"github.com/bulwark-gw/bulwark/internal/nettest"

	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/policies"
)

// TestMain fails the package when a test leaves a goroutine behind: every test
// closes its servers and the gateway's idle upstream connections, so a leaked
// proxy copy loop, timer or WebSocket tunnel shows up here.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seen is what a test upstream received, one value per request.
type seen struct {
	Method     string
	Path       string // decoded path
	RawPath    string // the path as written on the request line (EscapedPath)
	RequestURI string
	RawQuery   string
	Host       string
	Header     http.Header
	Body       []byte
	RemoteAddr string
}

// upstream is a real HTTP server that records every request it receives before
// handing it to its behaviour (by default: 200, its name as the body and in
// X-Upstream).
type upstream struct {
	*httptest.Server
	name string

	mu   sync.Mutex
	reqs []seen
	// conns counts TCP connections the server accepted (ConnState StateNew).
	conns atomic.Int64
	// closed counts connections that ended (ConnState StateClosed).
	closed atomic.Int64
}

// newUpstream starts a recording upstream. h, when not nil, answers after the
// request was recorded; the body has been read into seen.Body and is replayed to h.
func newUpstream(t testing.TB, name string, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{name: name}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Upstream", name)
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, name)
		}
	}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{
			Method:     r.Method,
			Path:       r.URL.Path,
			RawPath:    r.URL.EscapedPath(),
			RequestURI: r.RequestURI,
			RawQuery:   r.URL.RawQuery,
			Host:       r.Host,
			Header:     r.Header.Clone(),
			Body:       body,
			RemoteAddr: r.RemoteAddr,
		})
		u.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	u.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			u.conns.Add(1)
		case http.StateClosed:
			u.closed.Add(1)
		}
	}
	u.Config.ErrorLog = discardLog()
	u.Start()
	t.Cleanup(u.Close)
	return u
}

// newStreamingUpstream is an upstream whose handler sees the request body
// unread (for Expect: 100-continue and streaming request bodies); it records
// everything but the body.
func newStreamingUpstream(t testing.TB, name string, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{name: name}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{
			Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RequestURI: r.RequestURI,
			RawQuery: r.URL.RawQuery, Host: r.Host, Header: r.Header.Clone(), RemoteAddr: r.RemoteAddr,
		})
		u.mu.Unlock()
		h(w, r)
	}))
	u.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			u.conns.Add(1)
		}
	}
	u.Config.ErrorLog = discardLog()
	u.Start()
	t.Cleanup(u.Close)
	return u
}

// Addr is the host:port the gateway dials.
func (u *upstream) Addr() string { return u.Listener.Addr().String() }

// Count is the number of requests received so far.
func (u *upstream) Count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

// Requests returns a copy of everything received so far.
func (u *upstream) Requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.reqs...)
}

// Last is the most recent request; the test fails if there was none.
func (u *upstream) Last(t testing.TB) seen {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatalf("upstream %s received no request", u.name)
	}
	return u.reqs[len(u.reqs)-1]
}

// harness is a gateway served by a real HTTP server, with its registry and logs.
type harness struct {
	g      *Gateway
	srv    *httptest.Server
	client *http.Client
	reg    *prometheus.Registry
	logs   *syncBuffer
}

// newHarness builds a gateway with a private registry and a JSON log buffer,
// configures it (unless cfg has no routes and snap is nil) and serves it.
func newHarness(t testing.TB, cfg Config, snap *discovery.Snapshot) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	h.g = New(Options{
		Logger:     slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: h.reg,
	})
	if len(cfg.Routes) > 0 || snap != nil {
		h.g.Configure(cfg, snap)
	}
	h.srv = httptest.NewUnstartedServer(h.g)
	h.srv.Config.ErrorLog = discardLog()
	h.srv.Start()
	h.client = h.srv.Client()
	t.Cleanup(func() {
		h.srv.Close()
		h.g.closeIdle()
	})
	return h
}

// closeIdle closes the gateway's idle upstream connections, so that goleak sees
// no transport goroutines once a test's servers are gone.
func (g *Gateway) closeIdle() { g.Close() }

// url is the gateway's base URL plus path.
func (h *harness) url(path string) string { return h.srv.URL + path }

// addr is the gateway's host:port.
func (h *harness) addr() string { return h.srv.Listener.Addr().String() }

// do sends a request and returns the response with its body read.
func (h *harness) do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return res, body
}

// get sends GET path with optional headers ("Name: value").
func (h *harness) get(t testing.TB, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return h.do(t, newRequest(t, http.MethodGet, h.url(path), nil, headers...))
}

func newRequest(t testing.TB, method, url string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			t.Fatalf("header %q is not Name: value", kv)
		}
		if strings.EqualFold(k, "Host") {
			req.Host = strings.TrimSpace(v)
			continue
		}
		req.Header.Add(k, strings.TrimSpace(v))
	}
	return req
}

// snapshot builds a discovery snapshot from "service=addr,addr" pairs via the
// static source, as the real process does.
func snapshot(t testing.TB, services map[string][]string) *discovery.Snapshot {
	t.Helper()
	var list []discovery.StaticService
	for name, addrs := range services {
		list = append(list, discovery.StaticService{Name: name, Instances: addrs})
	}
	s, err := discovery.NewStatic(list)
	if err != nil {
		t.Fatal(err)
	}
	return s.Snapshot()
}

// policy is a resolved policy with the given timeouts (connect 1 s) and balancer.
func policy(timeout, try time.Duration, bal policies.Balancer) policies.Policy {
	if bal.Kind == "" {
		bal.Kind = policies.RoundRobin
	}
	return policies.Policy{Timeout: timeout, TryTimeout: try, ConnectTimeout: time.Second, Balancer: bal}
}

// problemOf decodes an application/problem+json answer, failing on any other type.
func problemOf(t testing.TB, res *http.Response, body []byte) problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %q)", ct, res.StatusCode, body)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decoding problem %q: %v", body, err)
	}
	if p.Status != res.StatusCode {
		t.Errorf("problem status = %d, response status = %d", p.Status, res.StatusCode)
	}
	if got := res.Header.Get("X-Request-Id"); got != p.RequestID {
		t.Errorf("X-Request-Id = %q, problem request_id = %q; want the same", got, p.RequestID)
	}
	return p
}

// rawExchange writes raw bytes to the gateway over a fresh TCP connection and
// reads one response. The connection is closed before returning.
func rawExchange(t testing.TB, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", raw, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// closedAddr returns a loopback address that refuses connections, and that no
// listener of the test can take (nettest.RefusingAddr).
func closedAddr(t testing.TB) string { return nettest.RefusingAddr(t) }

// rawServer and eventually are shared with the other packages' tests
// (internal/nettest): a raw TCP server, and a bounded poll for what is
// recorded after a response is written.
var (
	rawServer  = nettest.RawServer
	eventually = nettest.Eventually
)

// metricValue returns the value of the counter, gauge or histogram sample count
// of the series of name whose labels include want; ok is false when there is none.
func metricValue(t testing.TB, reg prometheus.Gatherer, name string, want map[string]string) (v float64, ok bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				v += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				v += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				v += float64(m.GetHistogram().GetSampleCount())
			}
			ok = true
		}
	}
	return v, ok
}

// metricLabels lists the label sets of name's series that have a non-zero value.
func metricLabels(t testing.TB, reg prometheus.Gatherer, name string) []map[string]string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetCounter() != nil && m.GetCounter().GetValue() == 0 {
				continue
			}
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			out = append(out, labels)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes the JSON log lines whose "component" is component.
func (b *syncBuffer) lines(t testing.TB, component string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	data := append([]byte(nil), b.buf.Bytes()...)
	b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(data) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if m["component"] == component {
			out = append(out, m)
		}
	}
	return out
}

func discardLog() *log.Logger { return slog.NewLogLogger(slog.DiscardHandler, slog.LevelError) }

// mustHeader fails unless the header has exactly the value want.
func mustHeader(t testing.TB, h http.Header, name, want string) {
	t.Helper()
	if got := h.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s = %q, want [%q]", name, got, want)
	}
}

// mustNoHeader fails if the header is present.
func mustNoHeader(t testing.TB, h http.Header, name string) {
	t.Helper()
	if got, ok := h[http.CanonicalHeaderKey(name)]; ok {
		t.Errorf("%s = %q, want it absent", name, got)
	}
}

// defaultTimeout is the policy timeout of tests that are not about timeouts.
const defaultTimeout = 5 * time.Second

// ByPath returns the request received for path (the decoded path); the test
// fails unless there is exactly one. Parallel subtests use distinct paths to
// find their own request.
func (u *upstream) ByPath(t testing.TB, path string) seen {
	t.Helper()
	var found []seen
	for _, r := range u.Requests() {
		if r.Path == path {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("upstream %s received %d requests for %s, want 1", u.name, len(found), path)
	}
	return found[0]
}
