package test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// restartable is an upstream that can be stopped and started again on the same
// address, gracefully (in-flight requests finish) or abruptly (connections cut).
type restartable struct {
	t    *testing.T
	addr string
	h    http.Handler

	mu  sync.Mutex
	srv *http.Server
	wg  sync.WaitGroup
}

func newRestartable(t *testing.T, h http.Handler) *restartable {
	in := &restartable{t: t, addr: freeAddr(t), h: h}
	in.start()
	t.Cleanup(func() { in.stop(false) })
	return in
}

func (in *restartable) start() {
	in.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after an abrupt close
		if ln, err = net.Listen("tcp", in.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		in.t.Fatalf("restarting %s: %v", in.addr, err)
	}
	srv := &http.Server{Handler: in.h, ReadHeaderTimeout: 5 * time.Second}
	in.mu.Lock()
	in.srv = srv
	in.mu.Unlock()
	in.wg.Go(func() { _ = srv.Serve(ln) })
}

// stop shuts the restartable down: gracefully lets in-flight requests finish and
// closes idle connections (a rolling deploy); otherwise every connection is
// cut at once (a crash).
func (in *restartable) stop(graceful bool) {
	in.mu.Lock()
	srv := in.srv
	in.srv = nil
	in.mu.Unlock()
	if srv == nil {
		return
	}
	if graceful {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	} else {
		_ = srv.Close()
	}
	in.wg.Wait()
}

// deliveries counts, per X-Request-Id, the requests upstreams received.
type deliveries struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *deliveries) handler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		d.mu.Lock()
		d.n[r.Method+" "+r.Header.Get("X-Request-Id")]++
		d.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a little work, so requests are in flight at a restart
		fmt.Fprintf(w, "upstream %s %s %s", name, r.Method, r.URL.Path)
	})
}

// mixedTargeter alternates GET, PUT with an Idempotency-Key and, when posts is
// set, POST without one; every request is unique.
func mixedTargeter(base string, posts bool) vegeta.Targeter {
	var n atomic.Int64
	return func(tgt *vegeta.Target) error {
		i := n.Add(1)
		kinds := int64(2)
		if posts {
			kinds = 3
		}
		*tgt = vegeta.Target{URL: fmt.Sprintf("%s/items/%d", base, i), Header: http.Header{}}
		switch i % kinds {
		case 0:
			tgt.Method = "GET"
		case 1:
			tgt.Method = "PUT"
			tgt.Body = []byte(`{"n":` + fmt.Sprint(i) + `}`)
			tgt.Header.Set("Idempotency-Key", fmt.Sprintf("key-%d", i))
		default:
			tgt.Method = "POST"
			tgt.Body = []byte(`{"n":` + fmt.Sprint(i) + `}`)
		}
		tgt.Header.Set("X-Request-Id", fmt.Sprintf("req-%d", i)) // the gateway keeps a well-formed one
		return nil
	}
}

// attack runs rate requests per second for d and returns the results by method.
func attack(t *testing.T, tr vegeta.Targeter, rate int, d time.Duration) map[string][]*vegeta.Result {
	t.Helper()
	a := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.MaxWorkers(64), vegeta.KeepAlive(true))
	out := map[string][]*vegeta.Result{}
	for res := range a.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, "resilience") {
		out[res.Method] = append(out[res.Method], res)
	}
	return out
}

// load sends a targeter's requests back to back from a few clients, each on
// its own keep-alive connection pool, until finish: a test paces its events by
// how many requests were answered (after), never by a rate, so a slow machine
// only makes it slower.
type load struct {
	answered atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	results map[string][]*vegeta.Result
	err     error // building a request failed
}

func startLoad(tr vegeta.Targeter, clients int) *load {
	l := &load{stop: make(chan struct{}), results: map[string][]*vegeta.Result{}}
	for range clients {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		l.wg.Go(func() {
			defer c.CloseIdleConnections()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				l.send(c, tr)
			}
		})
	}
	return l
}

func (l *load) send(c *http.Client, tr vegeta.Targeter) {
	var tgt vegeta.Target
	req, err := func() (*http.Request, error) {
		if err := tr(&tgt); err != nil {
			return nil, err
		}
		return tgt.Request()
	}()
	if err != nil {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		return
	}
	res := &vegeta.Result{Method: tgt.Method, URL: tgt.URL}
	r, err := c.Do(req)
	if err == nil {
		res.Code = uint16(r.StatusCode)
		res.Body, err = io.ReadAll(r.Body)
		r.Body.Close()
	}
	if err != nil {
		res.Code, res.Error = 0, err.Error()
	}
	l.mu.Lock()
	l.results[res.Method] = append(l.results[res.Method], res)
	l.mu.Unlock()
	l.answered.Add(1)
}

// after waits until n more requests were answered, for up to 30 s.
func (l *load) after(t *testing.T, n int64) {
	t.Helper()
	mark := l.answered.Load()
	if !eventually(30*time.Second, func() bool { return l.answered.Load() >= mark+n }) {
		l.finish(t)
		t.Fatalf("fewer than %d requests were answered in 30 s", n)
	}
}

// finish stops the clients and returns the results by method.
func (l *load) finish(t *testing.T) map[string][]*vegeta.Result {
	t.Helper()
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		t.Fatalf("building a request: %v", l.err)
	}
	return l.results
}

func failures(results []*vegeta.Result) []string {
	var bad []string
	for _, r := range results {
		if r.Code != 200 {
			bad = append(bad, fmt.Sprintf("%s %s: %d %s %s", r.Method, r.URL, r.Code, r.Error, strings.TrimSpace(string(r.Body))))
		}
	}
	return bad
}

func restartSetup(t *testing.T) (*proc, []*restartable, *deliveries) {
	d := &deliveries{n: map[string]int{}}
	var ins []*restartable
	for i := range 3 {
		ins = append(ins, newRestartable(t, d.handler(fmt.Sprintf("i%d", i))))
	}
	pr := startServe(t, func(p ports) string {
		return fmt.Sprintf("listen:\n  http: %q\nadmin:\n  listen: %q\n  token: %q\nlog:\n  level: warn\n  access_log: false\n"+
			"discovery:\n  static:\n    - service: items\n      instances: [%q, %q, %q]\nroutes:\n  - path: /items\n    service: items\n",
			p.HTTP, p.Admin, adminToken, ins[0].addr, ins[1].addr, ins[2].addr)
	})
	return pr, ins, d
}

// TestRollingRestartLosesNoRequest restarts each of three instances in turn
// (graceful shutdown, down while 100 requests are answered, back on the same
// port) under back-to-back GETs and PUTs with an Idempotency-Key from 8
// clients: no client request fails. The restarts are paced by requests
// answered, not by the clock, so a busy machine runs the same scenario.
func TestRollingRestartLosesNoRequest(t *testing.T) {
	pr, ins, _ := restartSetup(t)
	l := startLoad(mixedTargeter(pr.url(""), false), 8)
	l.after(t, 100) // pooled connections to every instance
	for _, in := range ins {
		in.stop(true)
		l.after(t, 100)
		in.start()
		l.after(t, 100)
	}
	results := l.finish(t)
	total := len(results["GET"]) + len(results["PUT"])
	if bad := append(failures(results["GET"]), failures(results["PUT"])...); len(bad) > 0 {
		t.Fatalf("%d of %d requests failed during a rolling restart; first: %s", len(bad), total, bad[0])
	}
	t.Logf("%d requests over three restarts", total)
	pr.checkNoRace()
}

// TestInstancesKilledAbruptly cuts an restartable's connections at once, twice,
// under mixed load: idempotent requests all succeed (retried on another
// restartable); a POST without an Idempotency-Key may fail, but is never
// delivered twice.
func TestInstancesKilledAbruptly(t *testing.T) {
	pr, ins, d := restartSetup(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, in := range []*restartable{ins[0], ins[2]} {
			time.Sleep(700 * time.Millisecond)
			in.stop(false)
			time.Sleep(300 * time.Millisecond)
			in.start()
		}
	}()
	results := attack(t, mixedTargeter(pr.url(""), true), 300, 3*time.Second)
	<-done
	if bad := append(failures(results["GET"]), failures(results["PUT"])...); len(bad) > 0 {
		t.Errorf("%d idempotent requests failed when instances were killed; first: %s", len(bad), bad[0])
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	posts := 0
	for key, n := range d.n {
		if strings.HasPrefix(key, "POST ") {
			posts++
			if n > 1 {
				t.Errorf("%s was delivered %d times: a POST without an Idempotency-Key must reach upstreams at most once", key, n)
			}
		}
	}
	if posts == 0 {
		t.Fatal("no POST reached an upstream")
	}
	t.Logf("POSTs: %d sent, %d delivered, %d failed at the client", len(results["POST"]), posts, len(failures(results["POST"])))
	pr.checkNoRace()
}
