package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/policies"
)

// dropper is an instance going away the way a restarting server does: it
// answers the first request on each connection with keep-alive, then closes
// the connection instead of answering the next one that arrives on it, as a
// server shutting down closes its idle connections while requests are already
// on their way to them. It records the requests it answered and those it
// dropped, by Idempotency-Key (or X-Key).
type dropper struct {
	addr string

	mu       sync.Mutex
	answered map[string]int
	dropped  map[string]int
}

func newDropper(t testing.TB) *dropper {
	d := &dropper{answered: map[string]int{}, dropped: map[string]int{}}
	d.addr = rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for n := 0; ; n++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			key := requestKey(req)
			if n > 0 {
				d.mu.Lock()
				d.dropped[key]++
				d.mu.Unlock()
				return // closed with the request unanswered (and its body unread)
			}
			_, _ = io.Copy(io.Discard, req.Body)
			d.mu.Lock()
			d.answered[key]++
			d.mu.Unlock()
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Upstream: dropper\r\n\r\ndropper")
		}
	})
	return d
}

func (d *dropper) counts(key string) (answered, dropped int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.answered[key], d.dropped[key]
}

func requestKey(r *http.Request) string {
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		return k
	}
	return r.Header.Get("X-Key")
}

// keyCounter is an upstream handler that counts requests by key.
type keyCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (k *keyCounter) handler(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	k.mu.Lock()
	k.n[requestKey(r)]++
	k.mu.Unlock()
	w.Header().Set("X-Upstream", "good")
	_, _ = io.WriteString(w, "good")
}

func (k *keyCounter) count(key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n[key]
}

// noBudget retries, but its budget allows no budgeted retry at all: only the
// retries of requests an instance did not process can happen.
func noBudget(t testing.TB) policies.Policy {
	return retryPolicy(t, func(r *policies.Retries) { r.Attempts, r.Budget, r.MinConcurrent = 2, 0, 0 })
}

// A rolling restart loses no request: an Idempotency-Key PUT sent on a pooled
// connection that its instance closed, before a byte of an answer, goes to a
// healthy instance at once, whatever the retry budget says: under CPU
// contention the budget runs out, and a few such PUTs in a thousand used to
// get a 502. Each request is answered exactly once.
func TestStaleConnectionsLoseNoRequestUnderLoad(t *testing.T) {
	t.Parallel()
	drop := newDropper(t)
	good := &keyCounter{n: map[string]int{}}
	up := newUpstream(t, "good", good.handler)
	h := resilientGateway(t, noBudget(t), drop.addr, up.Addr())

	const clients, each = 8, 40
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("key-%d-%d", c, i)
				req := newRequest(t, http.MethodPut, h.url("/items/"+key), strings.NewReader(`{"n":`+key+`}`),
					"Idempotency-Key: "+key, "Content-Type: application/json")
				res, err := h.client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				if err != nil || res.StatusCode != http.StatusOK {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %v %v", key, err, statusOf(res)))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		for i, l := range h.logs.lines(t, "gateway") {
			if i < 5 {
				t.Logf("gateway log: %v", l)
			}
		}
		t.Errorf("%d of %d PUTs failed with a healthy instance available; first: %s", len(failures), clients*each, failures[0])
	}
	dropped := 0
	for c := range clients {
		for i := range each {
			key := fmt.Sprintf("key-%d-%d", c, i)
			a, d := drop.counts(key)
			dropped += d
			if n := a + good.count(key); n != 1 {
				t.Errorf("%s was answered %d times, want once", key, n)
			}
		}
	}
	// The property is only tested if connections were dropped under requests.
	if dropped == 0 {
		t.Fatal("no request arrived on a connection the dropper closed: the test tested nothing")
	}
	if got := retriesCounted(t, h, "stale_connection"); got != dropped {
		t.Errorf("bulwark_retries_total{reason=stale_connection} = %d, want %d (one per dropped request)", got, dropped)
	}
	if got := retriesCounted(t, h, "budget_exhausted"); got != 0 {
		t.Errorf("bulwark_retries_total{reason=budget_exhausted} = %d, want 0: no retry needed the budget", got)
	}
}

func statusOf(res *http.Response) any {
	if res == nil {
		return "no response"
	}
	return res.StatusCode
}

// A request that reached an instance on a pooled connection and got no answer
// may have been processed: it is resent outside the budget only when repeating
// it is safe. And the resending stops once every instance was tried.
func TestStaleConnectionRetriesAreSafeAndBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		method  string
		header  string
		resent  bool
		dropAll bool // every instance drops its pooled connections
	}{
		{name: "a PUT is resent to the healthy instance", method: http.MethodPut, header: "X-Key: k", resent: true},
		{name: "a POST with an Idempotency-Key is resent", method: http.MethodPost, header: "Idempotency-Key: k", resent: true},
		{name: "a POST without one is not resent: it may have been processed", method: http.MethodPost, header: "X-Key: k"},
		{name: "a PUT stops after every instance dropped it once", method: http.MethodPut, header: "X-Key: k", dropAll: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := newDropper(t), newDropper(t)
			good := &keyCounter{n: map[string]int{}}
			second := b.addr
			if !tt.dropAll {
				second = newUpstream(t, "good", good.handler).Addr()
			}
			h := resilientGateway(t, noBudget(t), a.addr, second)
			// Round robin, over the instances sorted by address: the first two
			// requests open a connection to each, which each answers and keeps.
			// The request under test must then go to a's kept connection,
			// which a drops: one more warm-up when a had the second turn (when
			// both drop, either may be first).
			warm := func(key string) {
				res, body := h.do(t, newRequest(t, http.MethodPut, h.url("/"), strings.NewReader("x"), "X-Key: "+key))
				if res.StatusCode != http.StatusOK {
					t.Fatalf("warming up: %d %q", res.StatusCode, body)
				}
			}
			warm("warm-0")
			warm("warm-1")
			if answered, _ := a.counts("warm-1"); answered == 1 && !tt.dropAll {
				warm("warm-2")
			}
			res, body := h.do(t, newRequest(t, tt.method, h.url("/"), strings.NewReader("body"), tt.header))
			if _, d := a.counts("k"); d != 1 && !tt.dropAll {
				t.Fatalf("the dropper saw the request %d times on a kept connection, want 1 (got %d %q)", d, res.StatusCode, body)
			}
			switch {
			case tt.dropAll:
				_, da := a.counts("k")
				_, db := b.counts("k")
				if res.StatusCode != http.StatusBadGateway || da != 1 || db != 1 {
					t.Errorf("got %d, the instances dropped it %d and %d times; want 502 after one try on each", res.StatusCode, da, db)
				}
			case tt.resent:
				if res.StatusCode != http.StatusOK || good.count("k") != 1 {
					t.Errorf("got %d %q, healthy instance answered %d times; want 200 from it, once", res.StatusCode, body, good.count("k"))
				}
			default:
				if res.StatusCode != http.StatusBadGateway || good.count("k") != 0 {
					t.Errorf("got %d %q, healthy instance answered %d times; want 502 and no resend", res.StatusCode, body, good.count("k"))
				}
			}
		})
	}
}

// unprocessed is the rule the retries above rest on, case by case.
func TestUnprocessedKnowsWhatNeverReachedTheInstance(t *testing.T) {
	t.Parallel()
	trace := func(reused, wrote, firstByte bool) *attemptTrace {
		at := &attemptTrace{}
		at.gotConn.Store(true)
		at.reused.Store(reused)
		at.wroteRequest.Store(wrote)
		at.gotFirstByte.Store(firstByte)
		return at
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	closedIdle := errors.New("http: server closed idle connection")
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name   string
		method string
		key    bool
		err    error
		trace  *attemptTrace
		want   bool
	}{
		{"a refused connection, for any method", http.MethodPost, false, refused, nil, true},
		{"a pooled connection closed while idle, for any method", http.MethodPost, false, closedIdle, trace(true, true, false), true},
		{"a request never written to its connection, for any method", http.MethodPost, false, io.EOF, trace(true, false, false), true},
		{"end of file on a pooled connection after the write, for a PUT", http.MethodPut, false, io.EOF, trace(true, true, false), true},
		{"a reset on a pooled connection after the write, for a keyed POST", http.MethodPost, true, reset, trace(true, true, false), true},
		{"end of file on a pooled connection after the write, not for a POST", http.MethodPost, false, io.EOF, trace(true, true, false), false},
		{"end of file on a new connection after the write: it may have crashed", http.MethodPut, false, io.EOF, trace(false, true, false), false},
		{"a failure after the first byte of the answer", http.MethodPut, false, io.EOF, trace(true, true, true), false},
		{"a timeout", http.MethodPut, false, &net.OpError{Op: "read", Err: errTimeoutForTest{}}, trace(true, true, false), false},
		{"a protocol error", http.MethodPut, false, errors.New("malformed HTTP response"), trace(true, true, false), false},
		{"the direct path's stale connection, for a GET", http.MethodGet, false, fmt.Errorf("%w: %w", h1.ErrStaleConn, io.EOF), nil, true},
		{"no error", http.MethodPost, false, nil, trace(true, false, false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, "http://example.test/", nil)
			if tt.key {
				req.Header.Set("Idempotency-Key", "k")
			}
			if got := unprocessed(req, tt.err, tt.trace); got != tt.want {
				t.Errorf("unprocessed(%s, %v) = %v, want %v", tt.method, tt.err, got, tt.want)
			}
		})
	}
}

type errTimeoutForTest struct{}

func (errTimeoutForTest) Error() string   { return "i/o timeout" }
func (errTimeoutForTest) Timeout() bool   { return true }
func (errTimeoutForTest) Temporary() bool { return true }
