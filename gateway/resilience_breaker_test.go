package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// The helpers below are shared by the resilience tests (breaker, bulkhead,
// retries, outlier ejection).

// resilientPolicy is the built-in policy (breaker, bulkhead, retries and
// outlier ejection all on) with the tests' timeouts, changed by edit.
func resilientPolicy(t testing.TB, edit func(*policies.Policy)) policies.Policy {
	t.Helper()
	p := policies.Defaults()
	p.Timeout, p.TryTimeout, p.ConnectTimeout = defaultTimeout, defaultTimeout, time.Second
	if edit != nil {
		edit(&p)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("test policy is invalid: %v", err)
	}
	return p
}

// resilientGateway routes every path to service svc, with policy p, over addrs.
func resilientGateway(t testing.TB, p policies.Policy, addrs ...string) *harness {
	t.Helper()
	return newHarness(t, Config{
		Routes:   []Route{{Name: "r", Path: "/", Service: "svc"}},
		Policies: map[string]policies.Policy{"svc": p},
	}, snapshot(t, map[string][]string{"svc": addrs}))
}

// statusHandler answers every request with code and the upstream's name.
func statusHandler(name string, code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Upstream", name)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, name)
	}
}

// failingUpstreams starts n upstreams u0..u(n-1) answering code, and returns
// them with their addresses.
func failingUpstreams(t *testing.T, n, code int) ([]*upstream, []string) {
	t.Helper()
	var ups []*upstream
	var addrs []string
	for i := range n {
		name := fmt.Sprintf("u%d", i)
		u := newUpstream(t, name, statusHandler(name, code))
		ups, addrs = append(ups, u), append(addrs, u.Addr())
	}
	return ups, addrs
}

// waitFinished waits until the gateway has finished n requests to service:
// the breaker learns a request's outcome, and the metrics count it, after the
// client may already hold the answer, so a test that sends the next request
// at once could race the accounting of the last one.
func waitFinished(t testing.TB, h *harness, service string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d requests to %s to finish", n, service), func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"service": service})
		return int(v) == n
	})
}

// gate holds upstream requests until let or open releases them, or until
// their client (the gateway) goes away.
type gate struct {
	tokens chan struct{}
	opened chan struct{}
	once   sync.Once
}

func newGate() *gate {
	return &gate{tokens: make(chan struct{}, 1024), opened: make(chan struct{})}
}

// wait blocks a handler; it reports false when the request was cancelled.
func (g *gate) wait(r *http.Request) bool {
	select {
	case <-g.tokens:
		return true
	case <-g.opened:
		return true
	case <-r.Context().Done():
		return false
	}
}

// let releases n waiting (or future) requests.
func (g *gate) let(n int) {
	for range n {
		g.tokens <- struct{}{}
	}
}

// open releases every request, now and later. Tests defer it so that no
// handler is left blocked when the servers close.
func (g *gate) open() { g.once.Do(func() { close(g.opened) }) }

// handler waits at the gate, then answers 200 with name.
func (g *gate) handler(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !g.wait(r) {
			return
		}
		w.Header().Set("X-Upstream", name)
		_, _ = io.WriteString(w, name)
	}
}

// result is one request's outcome as a client saw it.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error
	took   time.Duration
}

// send makes the request on its own goroutine (tracked by wg) and delivers
// the outcome on the returned channel.
func send(h *harness, wg *sync.WaitGroup, req *http.Request) <-chan result {
	ch := make(chan result, 1)
	wg.Go(func() {
		start := time.Now()
		res, err := h.client.Do(req)
		if err != nil {
			ch <- result{err: err, took: time.Since(start)}
			return
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		ch <- result{status: res.StatusCode, header: res.Header, body: body, err: err, took: time.Since(start)}
	})
	return ch
}

// sendGet is send for a GET of path.
func sendGet(t testing.TB, h *harness, wg *sync.WaitGroup, path string) <-chan result {
	t.Helper()
	return send(h, wg, newRequest(t, http.MethodGet, h.url(path), nil))
}

// receive waits (boundedly) for an outcome.
func receive(t testing.TB, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10 s")
		return result{}
	}
}

// breakerState is the bulwark_breaker_state gauge of service (-1 without one).
func breakerState(t testing.TB, h *harness, service string) float64 {
	t.Helper()
	v, ok := metricValue(t, h.reg, "bulwark_breaker_state", map[string]string{"service": service})
	if !ok {
		return -1
	}
	return v
}

// breakerTransitions is bulwark_breaker_transitions_total{service, to}.
func breakerTransitions(t testing.TB, h *harness, service, to string) int {
	t.Helper()
	v, _ := metricValue(t, h.reg, "bulwark_breaker_transitions_total", map[string]string{"service": service, "to": to})
	return int(v)
}

// breakerPolicy has a breaker of failures, openFor and probes, and no
// retries, so every client request is exactly one upstream attempt.
func breakerPolicy(t testing.TB, failures int, openFor time.Duration, probes int) policies.Policy {
	t.Helper()
	return resilientPolicy(t, func(p *policies.Policy) {
		p.Breaker = policies.Breaker{Failures: failures, OpenFor: openFor, HalfOpenRequests: probes}
		p.Retries.Attempts = 1
		p.Outlier.ConsecutiveFailures = 0
	})
}

// mustBreakerOpenAnswer checks a refusal by the open breaker: 503,
// problem+json naming the service, and a Retry-After of wantRetryAfter seconds.
func mustBreakerOpenAnswer(t testing.TB, res *http.Response, body []byte, wantRetryAfter string) {
	t.Helper()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status = %d (%q), want 503 from the open breaker", res.StatusCode, body)
	}
	p := problemOf(t, res, body)
	if p.Detail != ErrBreakerOpen.Error() || p.Service != "svc" {
		t.Errorf("problem = %+v, want the breaker's detail and service svc", p)
	}
	if wantRetryAfter != "" {
		mustHeader(t, res.Header, "Retry-After", wantRetryAfter)
	}
}

// A breaker opens after exactly `failures` consecutive failed requests: those
// reach the upstream, and from then on every request is refused at once with
// 503, problem+json and a Retry-After of the time left until it probes, with
// no traffic reaching the upstream.
func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int  // the upstream's answer
		refused bool // no upstream listens: connect errors
	}{
		{name: "500 answers open it", status: http.StatusInternalServerError},
		{name: "502 answers open it", status: http.StatusBadGateway},
		{name: "503 answers open it", status: http.StatusServiceUnavailable},
		{name: "refused connections open it", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const failures = 3
			var up *upstream
			addr := closedAddr(t)
			if !tt.refused {
				up = newUpstream(t, "up", statusHandler("up", tt.status))
				addr = up.Addr()
			}
			h := resilientGateway(t, breakerPolicy(t, failures, 5*time.Second, 1), addr)

			for i := range failures {
				want := tt.status
				if tt.refused {
					want = http.StatusBadGateway
				}
				if res, body := h.get(t, "/fail"); res.StatusCode != want {
					t.Fatalf("request %d: status %d (%q), want %d", i+1, res.StatusCode, body, want)
				}
				waitFinished(t, h, "svc", i+1)
			}
			if got := breakerState(t, h, "svc"); got != 2 {
				t.Fatalf("bulwark_breaker_state = %v after %d failures, want 2 (open)", got, failures)
			}
			// Refused by the breaker itself: its detail in the problem, and no
			// attempt on an instance (nothing received, nothing dialled). How
			// fast a refusal is is BenchmarkOpenBreakerRejection's business.
			for range 5 {
				res, body := h.get(t, "/while-open")
				mustBreakerOpenAnswer(t, res, body, "5") // ceil of the ~5 s left of open_for
			}
			if up != nil {
				if got := up.Count(); got != failures {
					t.Errorf("the upstream received %d requests, want exactly %d: none while open", got, failures)
				}
			} else {
				v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"service": "svc"})
				if int(v) != failures {
					t.Errorf("bulwark_upstream_errors_total{svc} = %v, want exactly %d: no connection tried while open", v, failures)
				}
			}
			if got := breakerTransitions(t, h, "svc", "open"); got != 1 {
				t.Errorf("bulwark_breaker_transitions_total{to=open} = %d, want 1", got)
			}
		})
	}
}

// Only failures in a row open the breaker, and 4xx answers are the client's
// problem: they count as successes, never as failures.
func TestBreakerCountsOnlyConsecutiveServerFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		codes []int // the upstream's answers, in order
	}{
		{name: "400 answers never open it", codes: []int{400, 400, 400, 400, 400, 400}},
		{name: "404 answers never open it", codes: []int{404, 404, 404, 404, 404, 404}},
		{name: "429 answers never open it", codes: []int{429, 429, 429, 429, 429, 429}},
		{name: "a 404 between failures starts the count again", codes: []int{500, 500, 404, 500, 500, 404, 500, 500}},
		{name: "a 200 between failures starts the count again", codes: []int{502, 502, 200, 502, 502, 200, 502, 502}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
				code, _ := strconv.Atoi(r.URL.Query().Get("code"))
				w.WriteHeader(code)
			})
			h := resilientGateway(t, breakerPolicy(t, 3, 5*time.Second, 1), up.Addr())
			for i, code := range tt.codes {
				res, body := h.get(t, fmt.Sprintf("/?code=%d", code))
				if res.StatusCode != code {
					t.Fatalf("request %d: status %d (%q), want the upstream's %d", i+1, res.StatusCode, body, code)
				}
				waitFinished(t, h, "svc", i+1)
			}
			// The breaker is still closed: the next request reaches the upstream.
			res, body := h.get(t, "/?code=200")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d (%q) after %v, want the upstream's 200: the breaker opened", res.StatusCode, body, tt.codes)
			}
			if got := up.Count(); got != len(tt.codes)+1 {
				t.Errorf("the upstream received %d requests, want %d", got, len(tt.codes)+1)
			}
			if got := breakerState(t, h, "svc"); got != 0 {
				t.Errorf("bulwark_breaker_state = %v, want 0 (closed)", got)
			}
		})
	}
}

// A client that gives up says nothing about the upstream: cancellations are
// neither failures (they never open the breaker) nor successes (they do not
// reset the count of failures in a row).
func TestBreakerIgnoresClientsThatLeave(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	var hanging atomic.Int64
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang":
			hanging.Add(1)
			<-r.Context().Done() // until the gateway gives up on it
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	h := resilientGateway(t, breakerPolicy(t, 3, 5*time.Second, 1), up.Addr())
	finished := 0

	// leave sends a request the upstream holds and cancels it once it arrived.
	leave := func() {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		before := hanging.Load()
		var wg sync.WaitGroup
		ch := send(h, &wg, newRequest(t, http.MethodGet, h.url("/hang"), nil).WithContext(ctx))
		eventually(t, "the request to reach the upstream", func() bool { return hanging.Load() > before })
		cancel()
		if r := receive(t, ch); r.err == nil {
			t.Fatalf("the cancelled request got status %d", r.status)
		}
		wg.Wait()
		finished++
		waitFinished(t, h, "svc", finished)
	}
	get := func(path string, want int) {
		t.Helper()
		res, body := h.get(t, path)
		if res.StatusCode != want {
			t.Fatalf("GET %s: status %d (%q), want %d", path, res.StatusCode, body, want)
		}
		finished++
		waitFinished(t, h, "svc", finished)
	}

	for range 5 { // more than the 3 failures that would open it
		leave()
	}
	if v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"service": "svc", "code": "499"}); v != 5 {
		t.Fatalf("recorded %v requests as 499, want the 5 cancelled ones", v)
	}
	get("/ok", http.StatusOK) // still closed

	// fail, fail, (cancelled), fail: three failures in a row all the same.
	get("/fail", http.StatusInternalServerError)
	get("/fail", http.StatusInternalServerError)
	leave()
	get("/fail", http.StatusInternalServerError)
	res, body := h.get(t, "/ok")
	mustBreakerOpenAnswer(t, res, body, "")
	if got := up.Count(); got != 5+1+3+1 {
		t.Errorf("the upstream received %d requests, want 10", got)
	}
}

// After open_for the breaker lets exactly half_open_requests probes through
// at once, refusing everything else, and closes when all of them succeed;
// bulwark_breaker_state follows it through 0, 2, 1 and back to 0.
func TestBreakerHalfOpenProbesThenCloses(t *testing.T) {
	t.Parallel()
	const probes = 2
	g := newGate()
	defer g.open()
	var failing atomic.Bool
	failing.Store(true)
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		g.handler("up")(w, r)
	})
	h := resilientGateway(t, breakerPolicy(t, 2, 200*time.Millisecond, probes), up.Addr())
	if got := breakerState(t, h, "svc"); got != 0 {
		t.Fatalf("bulwark_breaker_state = %v at the start, want 0 (closed)", got)
	}
	for i := range 2 {
		if res, _ := h.get(t, "/fail"); res.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want the upstream's 502", res.StatusCode)
		}
		waitFinished(t, h, "svc", i+1)
	}
	if got := breakerState(t, h, "svc"); got != 2 {
		t.Fatalf("bulwark_breaker_state = %v, want 2 (open)", got)
	}
	res, body := h.get(t, "/early")
	mustBreakerOpenAnswer(t, res, body, "1") // 200 ms left rounds up to 1 s
	failing.Store(false)

	// Reading the state moves it to half-open once open_for has passed.
	eventually(t, "the breaker to become half-open", func() bool { return breakerState(t, h, "svc") == 1 })

	const clients = 5
	var wg sync.WaitGroup
	defer wg.Wait()
	defer g.open()
	results := make(chan result, clients)
	for i := range clients {
		ch := sendGet(t, h, &wg, fmt.Sprintf("/probe/%d", i))
		wg.Go(func() { results <- <-ch })
	}
	// The probes are held at the upstream; every other request is refused.
	for range clients - probes {
		if r := receive(t, results); r.err != nil || r.status != http.StatusServiceUnavailable {
			t.Fatalf("a request beyond the probes got %d, %v; want 503", r.status, r.err)
		}
	}
	eventually(t, "the probes to reach the upstream", func() bool { return up.Count() == 2+probes })
	select {
	case r := <-results:
		t.Fatalf("a probe was answered (%d, %v) while the upstream held it", r.status, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	if got := up.Count(); got != 2+probes {
		t.Fatalf("the upstream received %d requests while half-open, want the %d probes", got-2, probes)
	}
	if got := breakerState(t, h, "svc"); got != 1 {
		t.Errorf("bulwark_breaker_state = %v while probing, want 1 (half-open)", got)
	}
	g.let(probes)
	for range probes {
		if r := receive(t, results); r.err != nil || r.status != http.StatusOK {
			t.Fatalf("probe got %d, %v; want 200", r.status, r.err)
		}
	}
	waitFinished(t, h, "svc", 3+clients)
	if got := breakerState(t, h, "svc"); got != 0 {
		t.Fatalf("bulwark_breaker_state = %v after the probes succeeded, want 0 (closed)", got)
	}
	g.open()
	for range 3 {
		if res, _ := h.get(t, "/closed"); res.StatusCode != http.StatusOK {
			t.Fatalf("status %d after closing, want 200", res.StatusCode)
		}
	}
	if got := up.Count(); got != 2+probes+3 {
		t.Errorf("the upstream received %d requests, want %d", got, 2+probes+3)
	}
	for to, want := range map[string]int{"open": 1, "half_open": 1, "closed": 1} {
		if got := breakerTransitions(t, h, "svc", to); got != want {
			t.Errorf("bulwark_breaker_transitions_total{to=%s} = %d, want %d", to, got, want)
		}
	}
}

// A failing probe opens the breaker again for another open_for; a later
// successful probe closes it.
func TestBreakerFailingProbeReopens(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	h := resilientGateway(t, breakerPolicy(t, 2, 200*time.Millisecond, 1), up.Addr())
	n := 0
	get := func(want int) {
		t.Helper()
		res, body := h.get(t, "/")
		if res.StatusCode != want {
			t.Fatalf("status %d (%q), want %d", res.StatusCode, body, want)
		}
		n++
		waitFinished(t, h, "svc", n)
	}
	get(http.StatusServiceUnavailable)
	get(http.StatusServiceUnavailable)
	if got := breakerState(t, h, "svc"); got != 2 {
		t.Fatalf("bulwark_breaker_state = %v, want 2 (open)", got)
	}
	eventually(t, "the breaker to become half-open", func() bool { return breakerState(t, h, "svc") == 1 })

	get(http.StatusServiceUnavailable) // the probe, failing
	if got := up.Count(); got != 3 {
		t.Fatalf("the upstream received %d requests, want the probe as the third", got)
	}
	if got := breakerState(t, h, "svc"); got != 2 {
		t.Fatalf("bulwark_breaker_state = %v after a failed probe, want 2 (open again)", got)
	}
	res, body := h.get(t, "/")
	mustBreakerOpenAnswer(t, res, body, "1")
	n++
	if got := up.Count(); got != 3 {
		t.Errorf("the upstream received %d requests, want none after the failed probe", got)
	}

	failing.Store(false)
	eventually(t, "the breaker to become half-open again", func() bool { return breakerState(t, h, "svc") == 1 })
	get(http.StatusOK) // the second probe, succeeding
	if got := breakerState(t, h, "svc"); got != 0 {
		t.Fatalf("bulwark_breaker_state = %v after a good probe, want 0 (closed)", got)
	}
	for to, want := range map[string]int{"open": 2, "half_open": 2, "closed": 1} {
		if got := breakerTransitions(t, h, "svc", to); got != want {
			t.Errorf("bulwark_breaker_transitions_total{to=%s} = %d, want %d", to, got, want)
		}
	}
}

// The breaker guards the service, not a set of instances: a change of
// instances (or a reload with the same policy) keeps it open, and no request
// reaches the old or the new instances until it probes.
func TestBreakerStateSurvivesInstanceChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, h *harness, failing, fresh string)
	}{
		{name: "an update adding an instance", change: func(t *testing.T, h *harness, failing, fresh string) {
			h.g.Update(snapshot(t, map[string][]string{"svc": {failing, fresh}}))
		}},
		{name: "an update replacing the instance", change: func(t *testing.T, h *harness, _, fresh string) {
			h.g.Update(snapshot(t, map[string][]string{"svc": {fresh}}))
		}},
		{name: "a reload with the same policy and new instances", change: func(t *testing.T, h *harness, failing, fresh string) {
			cfg := *h.g.state.Load().cfg
			h.g.Configure(cfg, snapshot(t, map[string][]string{"svc": {failing, fresh}}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bad := newUpstream(t, "bad", statusHandler("bad", http.StatusInternalServerError))
			fresh := newUpstream(t, "fresh", nil)
			h := resilientGateway(t, breakerPolicy(t, 3, 5*time.Second, 1), bad.Addr())
			for i := range 3 {
				h.get(t, "/")
				waitFinished(t, h, "svc", i+1)
			}
			if got := breakerState(t, h, "svc"); got != 2 {
				t.Fatalf("bulwark_breaker_state = %v, want 2 (open)", got)
			}
			tt.change(t, h, bad.Addr(), fresh.Addr())
			if n := len(h.g.state.Load().service("svc").pool.Upstreams); n < 1 || h.g.state.Load().service("svc").byAddr[fresh.Addr()] == nil {
				t.Fatalf("the change did not take effect (%d instances)", n)
			}
			for range 3 {
				res, body := h.get(t, "/")
				mustBreakerOpenAnswer(t, res, body, "5")
			}
			if got := breakerState(t, h, "svc"); got != 2 {
				t.Errorf("bulwark_breaker_state = %v after the change, want 2 (still open)", got)
			}
			if bad.Count() != 3 || fresh.Count() != 0 {
				t.Errorf("bad received %d and fresh %d requests, want 3 and 0", bad.Count(), fresh.Count())
			}
		})
	}
}

// A probe whose response is cut off mid-body (ReverseProxy then aborts the
// handler with http.ErrAbortHandler) must still report its outcome: otherwise
// its half-open slot is never given back and the breaker stays half-open,
// refusing every request, for ever.
func TestBreakerProbeAbortedMidBodyDoesNotWedgeIt(t *testing.T) {
	t.Parallel()
	var mode atomic.Int32 // 0 fail, 1 cut the body, 2 answer
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case 0:
			w.WriteHeader(http.StatusBadGateway)
		case 1:
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, "partial")
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler) // closes the connection mid-body
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})
	h := resilientGateway(t, breakerPolicy(t, 2, 100*time.Millisecond, 1), up.Addr())
	for i := range 2 {
		h.get(t, "/")
		waitFinished(t, h, "svc", i+1)
	}
	eventually(t, "the breaker to become half-open", func() bool { return breakerState(t, h, "svc") == 1 })
	mode.Store(1)
	// A client of its own, on a fresh connection: net/http's client would
	// silently resend a GET whose reused connection closed before any byte
	// of the answer arrived.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if res, err := fresh.Get(h.url("/probe")); err == nil {
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil {
			t.Fatalf("the probe got %d %q whole, want it cut off", res.StatusCode, b)
		}
	}
	if got := up.Count(); got != 3 {
		t.Fatalf("the upstream received %d requests, want the probe as the third", got)
	}
	waitFinished(t, h, "svc", 3)
	mode.Store(2)
	// The cut probe is a failure (the breaker re-opens) and a later probe,
	// after open_for, closes it; well within ten times open_for.
	deadline := time.Now().Add(time.Second)
	for {
		res, body := h.get(t, "/after")
		if res.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d (%q) a second after the aborted probe: the breaker is wedged half-open (state %v)",
				res.StatusCode, body, breakerState(t, h, "svc"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := breakerTransitions(t, h, "svc", "open"); got != 2 {
		t.Errorf("bulwark_breaker_transitions_total{to=open} = %d, want 2: the cut-off probe is a failure", got)
	}
}
