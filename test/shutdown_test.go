package test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainsThenExits: readiness fails first (so load balancers move away),
// the request in flight completes, and the process exits 0 as soon as it has,
// without waiting out the grace period. The grace is long (30 s) against a
// 1 s request, so "exited once the request was done" and "waited for the grace"
// are far apart: the exit must come within half the grace, and the log must not
// say the grace ran out.
func TestSIGTERMDrainsThenExits(t *testing.T) {
	const grace = 30 * time.Second
	slow := newUpstreamDelay(t, "slow", time.Second)
	gw := startServe(t, configOptions{
		Routes:   []routeSpec{{Path: "/slow", Service: "slow", Upstream: slow}},
		Shutdown: "  drain_delay: 500ms\n  grace: 30s\n",
	}.render)
	c := newClient(t)

	type result struct {
		res response
		err error
	}
	inflight := make(chan result, 1)
	go func() {
		res, err := tryDo(c, "GET", gw.url("/slow/x"), nil)
		inflight <- result{res, err}
	}()
	if !eventually(2*time.Second, func() bool { return slow.Active() == 1 }) {
		t.Fatal("the slow request did not reach the upstream")
	}

	gw.signal(syscall.SIGTERM)

	// During the drain delay the admin listener is still up and says 503.
	probe := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	defer probe.CloseIdleConnections()
	var readyz []int
	sawDraining := eventually(2*time.Second, func() bool {
		res, err := tryDo(probe, "GET", gw.adminURL("/readyz"), nil)
		if err != nil {
			return false
		}
		readyz = append(readyz, res.Status)
		return res.Status == http.StatusServiceUnavailable && strings.Contains(res.Body, "draining")
	})
	if !sawDraining {
		t.Errorf("/readyz never answered 503 draining after SIGTERM; saw %v", readyz)
	}

	select {
	case r := <-inflight:
		if r.err != nil {
			t.Errorf("the request in flight at SIGTERM failed: %v", r.err)
		} else if r.res.Status != http.StatusOK || !strings.HasPrefix(r.res.Body, "upstream slow") {
			t.Errorf("the request in flight at SIGTERM got %d %q, want 200 from the upstream", r.res.Status, r.res.Body)
		}
	case <-time.After(grace + time.Second):
		t.Fatal("the request in flight at SIGTERM did not complete within the grace period")
	}

	// Nothing is left in flight: the process exits now, long before the grace
	// would run out (waitExit fails the test after half of it).
	code := gw.waitExit(grace / 2)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if strings.Contains(gw.stderr.String(), "grace period over") {
		t.Error("the log says the grace period ran out; the only request in flight had finished long before")
	}
	if !strings.Contains(gw.stderr.String(), "stopped") {
		t.Error("stderr does not log the end of the shutdown")
	}
	if _, err := tryDo(probe, "GET", gw.url("/slow/x"), nil); err == nil {
		t.Error("the gateway still answers after exiting")
	}
	gw.checkNoRace()
}

// TestSIGTERMUnderLoadFailsNoAcceptedRequest: while clients keep sending, SIGTERM
// lets every request the gateway accepted finish with 200, through the drain
// delay and the close of the listener. After the listener closes a new connection
// is refused, which a client (or its load balancer, told by /readyz) retries
// elsewhere; an accepted request that fails (EOF, reset, 5xx) is a dropped one.
func TestSIGTERMUnderLoadFailsNoAcceptedRequest(t *testing.T) {
	fast := newUpstream(t, "fast")
	slow := newUpstreamDelay(t, "slow", 300*time.Millisecond)
	gw := startServe(t, configOptions{
		Routes: []routeSpec{
			{Path: "/fast", Service: "fast", Upstream: fast},
			{Path: "/slow", Service: "slow", Upstream: slow},
		},
		Shutdown: "  drain_delay: 300ms\n  grace: 5s\n",
	}.render)

	var (
		mu       sync.Mutex
		ok       int
		dropped  []string
		refused  int
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		deadline = time.Now().Add(8 * time.Second) // bounds the loop whatever happens
	)
	for w := range 8 {
		path := "/fast/x"
		if w%4 == 0 {
			path = "/slow/x"
		}
		wg.Go(func() {
			c := newClient(t)
			for time.Now().Before(deadline) {
				select {
				case <-stop:
					return
				default:
				}
				res, err := tryDo(c, "GET", gw.url(path), nil)
				mu.Lock()
				switch {
				case err != nil && isRefused(err):
					refused++
					mu.Unlock()
					return // the listener is closed: this client is done
				case err != nil:
					dropped = append(dropped, err.Error())
				case res.Status != http.StatusOK:
					dropped = append(dropped, fmt.Sprintf("status %d %q", res.Status, res.Body))
				default:
					ok++
				}
				mu.Unlock()
			}
		})
	}
	if !eventually(3*time.Second, func() bool { return fast.Count() > 50 && slow.Active() > 0 }) {
		t.Fatal("the load did not start")
	}
	gw.signal(syscall.SIGTERM)
	code := gw.waitExit(7 * time.Second)
	close(stop)
	wg.Wait()

	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dropped) > 0 {
		t.Errorf("%d accepted requests failed during the shutdown (of %d ok); first: %s", len(dropped), ok, dropped[0])
	}
	if ok == 0 || slow.Count() == 0 {
		t.Errorf("ok %d, slow upstream saw %d: the load did not run through the shutdown", ok, slow.Count())
	}
	t.Logf("%d requests ok, %d clients refused after the listener closed", ok, refused)
	gw.checkNoRace()
}

// isRefused reports a connection the closed listener refused.
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
