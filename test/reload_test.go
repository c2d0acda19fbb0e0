package test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// reloadWait bounds how long a reload may take to show (the watcher debounces 200 ms).
const reloadWait = 5 * time.Second

// servesWithin polls path until it answers want (status) or reloadWait passes.
func servesWithin(t *testing.T, c *http.Client, url string, want int, wantBody string) bool {
	t.Helper()
	return eventually(reloadWait, func() bool {
		res, err := tryDo(c, "GET", url, nil)
		return err == nil && res.Status == want && strings.HasPrefix(res.Body, wantBody)
	})
}

func TestReload(t *testing.T) {
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	oneRoute := configOptions{Routes: []routeSpec{{Path: "/a", Service: "a", Upstream: a}}}
	twoRoutes := configOptions{Routes: []routeSpec{
		{Path: "/a", Service: "a", Upstream: a},
		{Path: "/b", Service: "b", Upstream: b},
	}}

	tests := []struct {
		name    string
		trigger func(t *testing.T, gw *proc)
	}{
		{
			name:    "replacing the file by rename, as editors do, reloads it",
			trigger: func(t *testing.T, gw *proc) { writeFile(t, gw.ConfigPath, twoRoutes.render(gw.ports)) },
		},
		{
			name: "SIGHUP after the file changed reloads it",
			trigger: func(t *testing.T, gw *proc) {
				writeFile(t, gw.ConfigPath, twoRoutes.render(gw.ports))
				gw.signal(syscall.SIGHUP)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := startServe(t, oneRoute.render)
			c := newClient(t)
			if res := do(t, c, "GET", gw.url("/b/x"), nil); res.Status != http.StatusNotFound {
				t.Fatalf("before the reload /b answers %d, want 404", res.Status)
			}
			tt.trigger(t, gw)
			if !servesWithin(t, c, gw.url("/b/x"), 200, "upstream b GET /b/x") {
				t.Fatalf("the new route /b does not serve within %v of the change", reloadWait)
			}
			if res := do(t, c, "GET", gw.url("/a/x"), nil); res.Status != 200 || !strings.HasPrefix(res.Body, "upstream a") {
				t.Errorf("after the reload the old route /a answers %d %q", res.Status, res.Body)
			}
			if gw.exited() {
				t.Fatal("the process exited")
			}
			// The line is written just after the new state is swapped in.
			if !eventually(time.Second, func() bool { return strings.Contains(gw.stderr.String(), "config reloaded") }) {
				t.Error("stderr does not log the reload")
			}
		})
	}
}

// TestABadNewFileIsRejectedAndTheOldConfigKeepsServing guards "a bad config keeps
// the last good one running": the new file has a typo on a known line.
func TestABadNewFileIsRejectedAndTheOldConfigKeepsServing(t *testing.T) {
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	good := configOptions{Routes: []routeSpec{{Path: "/a", Service: "a", Upstream: a}}}
	gw := startServe(t, good.render)
	c := newClient(t)

	// The good file plus a route to b whose "service" key is misspelled, and a
	// static entry for b so that nothing else is wrong.
	bad := configOptions{Routes: []routeSpec{
		{Path: "/a", Service: "a", Upstream: a},
		{Path: "/b", Service: "b", Upstream: b},
	}}.render(gw.ports)
	bad = strings.Replace(bad, "  - path: /b\n    service: b\n", "  - path: /b\n    servce: b\n", 1)
	line := 1 + strings.Count(bad[:strings.Index(bad, "servce:")], "\n")
	writeFile(t, gw.ConfigPath, bad)

	// One log line per problem: at=FILE:LINE:COL reason="routes[1]: unknown key ...".
	want := regexp.MustCompile(regexp.QuoteMeta(fmt.Sprintf("at=%s:%d:5 ", gw.ConfigPath, line)) + `reason="routes\[1\]: unknown key .*servce`)
	if !eventually(reloadWait, func() bool { return want.MatchString(gw.stderr.String()) }) {
		t.Fatalf("stderr does not report the problem as %s:%d:5 within %v", gw.ConfigPath, line, reloadWait)
	}
	// The summary line follows the problem lines.
	if !eventually(reloadWait, func() bool { return strings.Contains(gw.stderr.String(), "config reload rejected") }) {
		t.Error("stderr does not say the reload was rejected")
	}
	if res := do(t, c, "GET", gw.url("/a/x"), nil); res.Status != 200 || !strings.HasPrefix(res.Body, "upstream a") {
		t.Errorf("after the rejected reload /a answers %d %q, want the old route to keep serving", res.Status, res.Body)
	}
	if res := do(t, c, "GET", gw.url("/b/x"), nil); res.Status != http.StatusNotFound {
		t.Errorf("after the rejected reload /b answers %d, want 404 (nothing of the bad file applies)", res.Status)
	}
	metrics := do(t, c, "GET", gw.adminURL("/metrics"), nil)
	if v, ok := metricValue(metrics.Body, "bulwark_config_last_reload_successful"); v != "0" {
		t.Errorf("bulwark_config_last_reload_successful = %q (found %v), want 0", v, ok)
	}
	if res := do(t, c, "GET", gw.adminURL("/readyz"), nil); res.Status != 200 {
		t.Errorf("/readyz answers %d after a rejected reload, want 200 (the old config serves)", res.Status)
	}

	// Fixing the file recovers: the gauge goes back to 1.
	writeFile(t, gw.ConfigPath, configOptions{Routes: []routeSpec{
		{Path: "/a", Service: "a", Upstream: a},
		{Path: "/b", Service: "b", Upstream: b},
	}}.render(gw.ports))
	if !servesWithin(t, c, gw.url("/b/x"), 200, "upstream b") {
		t.Fatalf("the fixed file does not apply within %v", reloadWait)
	}
	metrics = do(t, c, "GET", gw.adminURL("/metrics"), nil)
	if v, _ := metricValue(metrics.Body, "bulwark_config_last_reload_successful"); v != "1" {
		t.Errorf("bulwark_config_last_reload_successful = %q after a good reload, want 1", v)
	}
}

// TestReloadUnderLoadDropsNothing rewrites the config 20 times, alternating between
// two valid files whose routes both reach live upstreams, while 8 clients send
// requests back to back on keep-alive connections. Every request must succeed and
// every client must keep its one connection.
func TestReloadUnderLoadDropsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("load test; skipped in -short mode")
	}
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	// Both files route /load; the first sends it to a, the second to b, and each
	// keeps the other's extra route so the tables really differ. The upstream pool
	// settings differ too, so every reload also replaces the upstream transport
	// while requests are in flight on the old one.
	configs := [2]configOptions{
		{Upstream: "  max_idle_conns_per_host: 64\n", Routes: []routeSpec{
			{Path: "/load", Service: "a", Upstream: a},
			{Path: "/other", Service: "b", Upstream: b},
		}},
		{Upstream: "  max_idle_conns_per_host: 128\n", Routes: []routeSpec{
			{Path: "/load", Service: "b", Upstream: b},
			{Path: "/other", Service: "a", Upstream: a},
			{Path: "/extra", Service: "a", Upstream: a},
		}},
	}
	gw := startServe(t, configs[0].render)

	const (
		clients  = 8
		rewrites = 20
		duration = 3 * time.Second
	)
	var (
		ok, failed atomic.Int64
		dials      [clients]atomic.Int64
		mu         sync.Mutex
		failures   []string
	)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range clients {
		// One transport per client, allowed one connection, that counts its dials:
		// a dropped connection shows up as a second dial.
		tr := &http.Transport{
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials[i].Add(1)
				return (&net.Dialer{Timeout: time.Second}).DialContext(ctx, network, addr)
			},
		}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: reqTimeout}
		wg.Go(func() {
			for ctx.Err() == nil {
				res, err := c.Get(gw.url("/load/x"))
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				if err == nil && res.StatusCode == http.StatusOK {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				mu.Lock()
				if len(failures) < 10 {
					if err != nil {
						failures = append(failures, err.Error())
					} else {
						failures = append(failures, res.Status)
					}
				}
				mu.Unlock()
			}
		})
	}
	// The file watcher folds a burst of changes within 200 ms into one reload, so
	// 20 rewrites in 3 s would apply once or twice; a SIGHUP after each rewrite
	// applies every one of them (and the watcher then sees nothing new).
	interval := duration / (rewrites + 2)
	for i := range rewrites {
		time.Sleep(interval)
		writeFile(t, gw.ConfigPath, configs[(i+1)%2].render(gw.ports))
		gw.signal(syscall.SIGHUP)
	}
	wg.Wait()

	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during reloads, e.g. %q", n, n+ok.Load(), failures)
	}
	if ok.Load() < clients {
		t.Errorf("only %d requests succeeded; the load did not run", ok.Load())
	}
	for i := range dials {
		if n := dials[i].Load(); n != 1 {
			t.Errorf("client %d dialed %d times, want 1 (its keep-alive connection was dropped)", i, n)
		}
	}
	reloads := strings.Count(gw.stderr.String(), "config reloaded")
	if reloads < rewrites/2 {
		t.Errorf("%d reloads applied during the load, want at least %d of the %d rewrites", reloads, rewrites/2, rewrites)
	}
	if a.Count() == 0 || b.Count() == 0 {
		t.Errorf("requests reached a=%d b=%d; both configs should have served", a.Count(), b.Count())
	}
	if strings.Contains(gw.stderr.String(), "config reload rejected") {
		t.Error("a reload was rejected, but both files are valid")
	}
	gw.checkNoRace()
	t.Logf("%d requests, %d reloads applied, a=%d b=%d", ok.Load(), reloads, a.Count(), b.Count())
}
