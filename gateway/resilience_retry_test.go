package gateway

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// retryPolicy retries with a short backoff and no breaker or outlier
// ejection, so that every upstream attempt is visible and nothing else
// changes which instance gets it; edit adjusts it further.
func retryPolicy(t testing.TB, edit func(*policies.Retries)) policies.Policy {
	t.Helper()
	return resilientPolicy(t, func(p *policies.Policy) {
		p.Breaker.Failures = 0
		p.Outlier.ConsecutiveFailures = 0
		p.Retries.Backoff = time.Millisecond
		if edit != nil {
			edit(&p.Retries)
		}
	})
}

// retriesCounted is bulwark_retries_total{service="svc", reason}.
func retriesCounted(t testing.TB, h *harness, reason string) int {
	t.Helper()
	v, _ := metricValue(t, h.reg, "bulwark_retries_total", map[string]string{"service": "svc", "reason": reason})
	return int(v)
}

// bodies lists the request bodies an upstream received, sorted.
func bodies(u *upstream) []string {
	var out []string
	for _, r := range u.Requests() {
		out = append(out, string(r.Body))
	}
	slices.Sort(out)
	return out
}

// A request whose connection was refused never reached the instance, so it is
// retried on another one whatever its method, with its body intact: the
// client never sees the dead instance.
func TestRetriesHideARefusedInstance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		body   bool
	}{
		{name: "a GET is retried", method: http.MethodGet},
		{name: "a POST without an idempotency key is retried with its body", method: http.MethodPost, body: true},
		{name: "a PATCH is retried with its body", method: http.MethodPatch, body: true},
		{name: "a PUT is retried with its body", method: http.MethodPut, body: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			good := newUpstream(t, "good", nil)
			h := resilientGateway(t, retryPolicy(t, nil), closedAddr(t), good.Addr())
			const n = 10
			var sent []string
			for i := range n {
				var req *http.Request
				if tt.body {
					body := fmt.Sprintf("%s body %d: %s", tt.method, i, strings.Repeat("x", 1000))
					sent = append(sent, body)
					req = newRequest(t, tt.method, h.url("/"), strings.NewReader(body), "Content-Type: text/plain")
				} else {
					req = newRequest(t, tt.method, h.url("/"), nil)
				}
				if res, body := h.do(t, req); res.StatusCode != http.StatusOK || string(body) != "good" {
					t.Fatalf("request %d: %d %q, want 200 from the working instance", i+1, res.StatusCode, body)
				}
			}
			if got := good.Count(); got != n {
				t.Errorf("the working instance received %d requests, want %d", got, n)
			}
			if tt.body {
				slices.Sort(sent)
				if got := bodies(good); !slices.Equal(got, sent) {
					t.Errorf("the working instance received bodies %.60q, want %.60q", got, sent)
				}
			}
			// Round robin sends every other request to the refused instance first.
			if got := retriesCounted(t, h, "connect_refused"); got != n/2 {
				t.Errorf("bulwark_retries_total{reason=connect_refused} = %d, want %d", got, n/2)
			}
		})
	}
}

// A request that reached an instance is retried only when repeating it is
// safe (an idempotent method, or an Idempotency-Key) and the failure is the
// gateway kind (502, 503, 504); the retry goes to the other instance, with
// the same body.
func TestRetriesRepeatOnlyWhatIsSafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		headers []string
		status  int // the bad instance's answer
		retried bool
	}{
		{name: "a GET answered 502 is retried", method: http.MethodGet, status: 502, retried: true},
		{name: "a GET answered 503 is retried", method: http.MethodGet, status: 503, retried: true},
		{name: "a GET answered 504 is retried", method: http.MethodGet, status: 504, retried: true},
		{name: "a GET answered 500 is not retried: the application said so", method: http.MethodGet, status: 500},
		{name: "a GET answered 501 is not retried", method: http.MethodGet, status: 501},
		{name: "a DELETE answered 503 is retried", method: http.MethodDelete, status: 503, retried: true},
		{name: "a PUT answered 503 is retried with its body", method: http.MethodPut, status: 503, retried: true},
		{name: "a POST answered 503 is not retried", method: http.MethodPost, status: 503},
		{name: "a PATCH answered 502 is not retried", method: http.MethodPatch, status: 502},
		{name: "a POST with an Idempotency-Key answered 503 is retried with its body", method: http.MethodPost,
			headers: []string{"Idempotency-Key: 8f14e45f"}, status: 503, retried: true},
		{name: "a POST with an Idempotency-Key answered 500 is not retried", method: http.MethodPost,
			headers: []string{"Idempotency-Key: 8f14e45f"}, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bad := newUpstream(t, "bad", statusHandler("bad", tt.status))
			good := newUpstream(t, "good", nil)
			h := resilientGateway(t, retryPolicy(t, nil), bad.Addr(), good.Addr())
			withBody := tt.method != http.MethodGet && tt.method != http.MethodDelete
			// Round robin: of two requests, one goes first to each instance.
			var sent, statuses []string
			for i := range 2 {
				var req *http.Request
				if withBody {
					body := fmt.Sprintf(`{"request": %d, "pad": %q}`, i, strings.Repeat("y", 2000))
					sent = append(sent, body)
					req = newRequest(t, tt.method, h.url("/"), strings.NewReader(body), tt.headers...)
				} else {
					req = newRequest(t, tt.method, h.url("/"), nil, tt.headers...)
				}
				res, body := h.do(t, req)
				statuses = append(statuses, fmt.Sprintf("%d %s", res.StatusCode, body))
			}
			slices.Sort(statuses)
			want := []string{"200 good", fmt.Sprintf("%d bad", tt.status)}
			goodWant := 1
			if tt.retried {
				want = []string{"200 good", "200 good"}
				goodWant = 2
			}
			slices.Sort(want)
			if !slices.Equal(statuses, want) {
				t.Errorf("the client got %q, want %q", statuses, want)
			}
			if bad.Count() != 1 || good.Count() != goodWant {
				t.Errorf("bad received %d and good %d requests, want 1 and %d", bad.Count(), good.Count(), goodWant)
			}
			if withBody {
				// Whoever got a request got its body whole, the retry included.
				got := append(bodies(bad), bodies(good)...)
				slices.Sort(got)
				wantBodies := slices.Clone(sent)
				if tt.retried {
					wantBodies = append(wantBodies, bodies(bad)...) // the retried one, twice
				}
				slices.Sort(wantBodies)
				if !slices.Equal(got, wantBodies) {
					t.Errorf("the instances received bodies %.50q, want %.50q", got, wantBodies)
				}
				if tt.retried && !slices.Contains(bodies(good), bodies(bad)[0]) {
					t.Errorf("the retried body did not reach the good instance intact")
				}
			}
			wantRetries := 0
			if tt.retried {
				wantRetries = 1
			}
			if got := retriesCounted(t, h, fmt.Sprintf("status_%d", tt.status)); got != wantRetries {
				t.Errorf("bulwark_retries_total{reason=status_%d} = %d, want %d", tt.status, got, wantRetries)
			}
		})
	}
}

// Each retry goes to an instance not yet tried: with every instance failing,
// each receives a request once, and retries stop when none is left even if
// attempts would allow more.
func TestRetriesGoToAnotherInstance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		instances int
		attempts  int
		wantTries int
	}{
		{name: "three attempts over three instances try each once", instances: 3, attempts: 3, wantTries: 3},
		{name: "two attempts over three instances try two of them", instances: 3, attempts: 2, wantTries: 2},
		{name: "ten attempts over two instances stop after both were tried", instances: 2, attempts: 10, wantTries: 2},
		{name: "a single instance is not retried", instances: 1, attempts: 5, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ups, addrs := failingUpstreams(t, tt.instances, http.StatusServiceUnavailable)
			h := resilientGateway(t, retryPolicy(t, func(r *policies.Retries) { r.Attempts = tt.attempts }), addrs...)
			res, body := h.get(t, "/")
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("X-Upstream") == "" {
				t.Fatalf("got %d %q, want the last instance's own 503", res.StatusCode, body)
			}
			total := 0
			for _, u := range ups {
				if u.Count() > 1 {
					t.Errorf("instance %s was tried %d times by one request", u.name, u.Count())
				}
				total += u.Count()
			}
			if total != tt.wantTries {
				t.Errorf("the request was tried %d times, want %d", total, tt.wantTries)
			}
			if got := retriesCounted(t, h, "status_503"); got != tt.wantTries-1 {
				t.Errorf("bulwark_retries_total{reason=status_503} = %d, want %d", got, tt.wantTries-1)
			}
		})
	}
}

// Retries can be limited: attempts 1 turns them off, and a budget of 0 with
// min_concurrent 0 allows no retry of a request that reached an instance
// (counted as budget_exhausted). A request whose connection was refused never
// reached one and costs nothing to resend, so it is retried outside the budget.
// When no retry is made the client sees the first attempt's failure.
func TestRetriesCanBeLimited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		refused      bool // the bad instance refuses connections, rather than answering 503
		edit         func(*policies.Retries)
		retried      bool
		wantExhausts int
	}{
		{name: "attempts 1 never retries a 503", edit: func(r *policies.Retries) { r.Attempts = 1 }},
		{name: "attempts 1 never retries a refused connection", refused: true,
			edit: func(r *policies.Retries) { r.Attempts = 1 }},
		{name: "an empty budget refuses the retry of a 503", edit: func(r *policies.Retries) {
			r.Attempts, r.Budget, r.MinConcurrent = 3, 0, 0
		}, wantExhausts: 1},
		{name: "a refused connection is retried outside the budget", refused: true, edit: func(r *policies.Retries) {
			r.Attempts, r.Budget, r.MinConcurrent = 3, 0, 0
		}, retried: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			good := newUpstream(t, "good", nil)
			badAddr, badStatus, reason := closedAddr(t), http.StatusBadGateway, "connect_refused"
			if !tt.refused {
				badAddr = newUpstream(t, "bad", statusHandler("bad", http.StatusServiceUnavailable)).Addr()
				badStatus, reason = http.StatusServiceUnavailable, "status_503"
			}
			h := resilientGateway(t, retryPolicy(t, tt.edit), badAddr, good.Addr())
			var statuses []int
			for range 2 { // round robin: one request starts on each instance
				res, _ := h.get(t, "/")
				statuses = append(statuses, res.StatusCode)
			}
			slices.Sort(statuses)
			want, wantGood, wantRetries := []int{http.StatusOK, badStatus}, 1, 0
			if tt.retried {
				want, wantGood, wantRetries = []int{http.StatusOK, http.StatusOK}, 2, 1
			}
			slices.Sort(want)
			if !slices.Equal(statuses, want) {
				t.Errorf("statuses = %v, want %v", statuses, want)
			}
			if got := good.Count(); got != wantGood {
				t.Errorf("the working instance received %d requests, want %d", got, wantGood)
			}
			if got := retriesCounted(t, h, reason); got != wantRetries {
				t.Errorf("bulwark_retries_total{reason=%s} = %d, want %d", reason, got, wantRetries)
			}
			if got := retriesCounted(t, h, "budget_exhausted"); got != tt.wantExhausts {
				t.Errorf("bulwark_retries_total{reason=budget_exhausted} = %d, want %d", got, tt.wantExhausts)
			}
		})
	}
}

// Retries happen within the whole-request timeout: a retry is cut off with
// the rest of the request when the timeout fires, and answered 504 then. The
// timeouts are long enough that a busy machine still sends the retry in time;
// what is asserted is which attempts happened and that the answer came from
// the timer (not before it, and long before the instances would have).
func TestRetriesStayWithinTheTimeout(t *testing.T) {
	t.Parallel()
	// hang holds a request until the gateway gives up on it, or for 30 s.
	const hangFor = 30 * time.Second
	hang := func(hits *atomic.Int64) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			select {
			case <-r.Context().Done():
			case <-time.After(hangFor):
			}
		}
	}
	t.Run("a retry after a fast failure is cut off at the timeout", func(t *testing.T) {
		t.Parallel()
		var hung atomic.Int64
		fast := newUpstream(t, "fast", statusHandler("fast", http.StatusServiceUnavailable))
		slow := newUpstream(t, "slow", hang(&hung))
		const timeout = time.Second
		p := retryPolicy(t, nil)
		p.Timeout, p.TryTimeout = timeout, timeout
		h := resilientGateway(t, p, fast.Addr(), slow.Addr())
		// Round robin: one request starts on each instance; the one that
		// starts on the fast one is retried on the slow one.
		for i := range 2 {
			start := time.Now()
			res, body := h.get(t, fmt.Sprintf("/%d", i))
			took := time.Since(start)
			if res.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("request %d: status %d (%q), want 504", i+1, res.StatusCode, body)
			}
			problemOf(t, res, body)
			if took < timeout || took >= hangFor {
				t.Errorf("request %d answered after %v, want at the %v timeout", i+1, took, timeout)
			}
		}
		if fast.Count() != 1 || hung.Load() != 2 {
			t.Errorf("fast received %d and slow %d requests, want 1 and 2 (one of them the retry)", fast.Count(), hung.Load())
		}
		if got := retriesCounted(t, h, "status_503"); got != 1 {
			t.Errorf("bulwark_retries_total{reason=status_503} = %d, want 1", got)
		}
	})
	t.Run("try timeouts are retried until the timeout", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int64
		var addrs []string
		for i := range 3 {
			addrs = append(addrs, newUpstream(t, fmt.Sprintf("u%d", i), hang(&hits)).Addr())
		}
		// The second try starts at 2 s and is cut by the timeout at 3 s, a
		// second before its own try timeout would have started a third: a
		// second of margin either way.
		const try, timeout = 2 * time.Second, 3 * time.Second
		p := retryPolicy(t, func(r *policies.Retries) { r.Attempts = 3 })
		p.Timeout, p.TryTimeout = timeout, try
		h := resilientGateway(t, p, addrs...)
		start := time.Now()
		res, body := h.get(t, "/")
		took := time.Since(start)
		if res.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("status %d (%q), want 504", res.StatusCode, body)
		}
		if took < timeout || took >= hangFor {
			t.Errorf("answered after %v, want at the %v timeout", took, timeout)
		}
		if got := hits.Load(); got != 2 {
			t.Errorf("the instances received %d attempts, want 2 (the first, and the retry the timeout cut)", got)
		}
		if got := retriesCounted(t, h, "timeout"); got != 1 {
			t.Errorf("bulwark_retries_total{reason=timeout} = %d, want 1", got)
		}
	})
}

// The budget limits the retries in flight at once, not only those waiting
// out their backoff: with min_concurrent 1 and budget 0, while one retry is
// held by the upstream, a second failing request is not retried.
func TestRetryBudgetCountsRetriesInFlight(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	// The first attempt of every path fails; the second (the retry) is held.
	var mu sync.Mutex
	tries := map[string]int{}
	handler := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tries[r.URL.Path]++
		n := tries[r.URL.Path]
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		g.handler("held")(w, r)
	}
	a, b := newUpstream(t, "a", handler), newUpstream(t, "b", handler)
	h := resilientGateway(t, retryPolicy(t, func(r *policies.Retries) { r.Budget, r.MinConcurrent = 0, 1 }),
		a.Addr(), b.Addr())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer g.open()

	first := sendGet(t, h, &wg, "/first")
	eventually(t, "the first request's retry to be in flight", func() bool { return a.Count()+b.Count() == 2 })
	second := receive(t, sendGet(t, h, &wg, "/second"))
	if second.status != http.StatusServiceUnavailable {
		t.Errorf("the second request got %d, want its first attempt's 503: the one retry allowed is in flight", second.status)
	}
	if got := retriesCounted(t, h, "budget_exhausted"); got != 1 {
		t.Errorf("bulwark_retries_total{reason=budget_exhausted} = %d, want 1", got)
	}
	g.open()
	if r := receive(t, first); r.status != http.StatusOK {
		t.Errorf("the first request got %d, want 200 from its retry", r.status)
	}
}
