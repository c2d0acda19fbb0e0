package test

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMDrainsThenExits: readiness fails first (so load balancers move away),
// the request in flight completes, and the process exits 0 within the grace period.
func TestSIGTERMDrainsThenExits(t *testing.T) {
	const grace = 5 * time.Second
	slow := newUpstreamDelay(t, "slow", time.Second)
	gw := startServe(t, configOptions{
		Routes:   []routeSpec{{Path: "/slow", Service: "slow", Upstream: slow}},
		Shutdown: "  drain_delay: 500ms\n  grace: 5s\n",
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

	sent := time.Now()
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

	code := gw.waitExit(grace + 2*time.Second)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took := time.Since(sent); took > grace {
		t.Errorf("the process took %v to exit, longer than the %v grace period", took, grace)
	}
	if !strings.Contains(gw.stderr.String(), "stopped") {
		t.Error("stderr does not log the end of the shutdown")
	}
	if _, err := tryDo(probe, "GET", gw.url("/slow/x"), nil); err == nil {
		t.Error("the gateway still answers after exiting")
	}
	gw.checkNoRace()
}
