package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A reload under load fails no request: Configure swaps the whole state
// atomically, and requests finish on the state they started with.
func TestReloadUnderLoadFailsNoRequest(t *testing.T) {
	t.Parallel()
	a, b := newUpstream(t, "a", nil), newUpstream(t, "b", nil)
	cfgA := Config{Routes: []Route{{Name: "r", Path: "/r", Service: "svc-a"}}}
	snapA := snapshot(t, map[string][]string{"svc-a": {a.Addr()}})
	// The other configuration routes the same path through another route, service
	// and instance, and adds routes, so every part of the state changes.
	cfgB := Config{Routes: []Route{
		{Name: "catch-all", Path: "/", Service: "svc-b"},
		{Name: "r-get", Path: "/r", Methods: []string{"GET"}, Service: "svc-b"},
		{Name: "other", Path: "/other", Service: "svc-a"},
	}}
	snapB := snapshot(t, map[string][]string{"svc-a": {a.Addr()}, "svc-b": {b.Addr()}})
	h := newHarness(t, cfgA, snapA)

	const (
		workers     = 8
		maxRequests = 5000
		reloads     = 50
	)
	var (
		sent, failed atomic.Int64
		firstFailure atomic.Value
		stop         = make(chan struct{})
		wg           sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if sent.Add(1) > maxRequests {
					return
				}
				res, err := h.client.Get(h.url(fmt.Sprintf("/r/%d/%d", w, i)))
				if err == nil {
					body, rerr := io.ReadAll(res.Body)
					res.Body.Close()
					if rerr == nil && res.StatusCode == http.StatusOK && (string(body) == "a" || string(body) == "b") {
						continue
					}
					err = fmt.Errorf("status %d, body %q, read error %v", res.StatusCode, body, rerr)
				}
				failed.Add(1)
				firstFailure.CompareAndSwap(nil, err.Error())
			}
		})
	}
	deadline := time.After(2 * time.Second)
reload:
	for i := range reloads {
		if i%2 == 0 {
			h.g.Configure(cfgB, snapB)
		} else {
			h.g.Configure(cfgA, snapA)
		}
		select {
		case <-deadline:
			break reload
		case <-time.After(5 * time.Millisecond):
		}
	}
	close(stop)
	wg.Wait()

	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of %d requests failed during %d reloads; first: %v", n, min(sent.Load(), maxRequests), reloads, firstFailure.Load())
	}
	if a.Count() == 0 || b.Count() == 0 {
		t.Errorf("a got %d and b %d requests; both configurations should have served", a.Count(), b.Count())
	}
	// Every live in-flight gauge returns to zero: a request that started on a
	// route a reload removed releases its count on that route's (deleted)
	// series, never on a live one. Counters surviving a reload for a route that
	// stays are TestMetricsSurviveReload's subject.
	eventually(t, "in-flight gauges back to zero", func() bool {
		families, err := h.reg.Gather()
		if err != nil {
			return false
		}
		for _, f := range families {
			if f.GetName() != "bulwark_requests_in_flight" {
				continue
			}
			for _, m := range f.GetMetric() {
				if m.GetGauge().GetValue() != 0 {
					return false
				}
			}
		}
		return true
	})
}

// A request in flight during a reload finishes on the instance it started on.
func TestReloadLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := newUpstream(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "slow")
	})
	fast := newUpstream(t, "fast", nil)
	h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {slow.Addr()}}))

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := h.client.Get(h.url("/"))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		done <- result{res.StatusCode, string(body), err}
	}()
	<-arrived
	h.g.Configure(Config{Routes: []Route{{Path: "/", Service: "other"}}},
		snapshot(t, map[string][]string{"other": {fast.Addr()}}))
	if _, body := h.get(t, "/"); string(body) != "fast" {
		t.Fatalf("a request after the reload went to %q, want fast", body)
	}
	close(release)
	r := <-done
	if r.err != nil || r.status != http.StatusOK || r.body != "slow" {
		t.Fatalf("the request in flight during the reload got %d %q %v, want 200 from slow", r.status, r.body, r.err)
	}
}

// Update with a snapshot that drops an instance stops traffic to it at once.
func TestUpdateRemovingAnInstanceStopsItsTraffic(t *testing.T) {
	t.Parallel()
	a, b := newUpstream(t, "a", nil), newUpstream(t, "b", nil)
	h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {a.Addr(), b.Addr()}}))
	for range 10 {
		h.get(t, "/")
	}
	if a.Count() != 5 || b.Count() != 5 {
		t.Fatalf("before the update a got %d and b %d, want 5 each", a.Count(), b.Count())
	}
	h.g.Update(snapshot(t, map[string][]string{"svc": {a.Addr()}}))
	for range 20 {
		if res, _ := h.get(t, "/"); res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d after the update", res.StatusCode)
		}
	}
	if b.Count() != 5 {
		t.Errorf("the removed instance received %d more requests", b.Count()-5)
	}
	if a.Count() != 25 {
		t.Errorf("the remaining instance received %d requests, want 25", a.Count())
	}

	// And a snapshot without any instance is a 503, not a stale route.
	h.g.Update(snapshot(t, map[string][]string{"svc": {}}))
	res, _ := h.get(t, "/")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status with no instance = %d, want 503", res.StatusCode)
	}
}

// Configure and Update race with requests and with each other without a data
// race (run under -race): writers serialize on the mutex, readers never lock.
func TestConcurrentConfigureAndUpdate(t *testing.T) {
	t.Parallel()
	a := newUpstream(t, "a", nil)
	snap := snapshot(t, map[string][]string{"svc": {a.Addr()}})
	cfg := Config{Routes: []Route{{Path: "/", Service: "svc"}}}
	h := newHarness(t, cfg, snap)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			h.g.Configure(cfg, nil)
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			h.g.Update(snap)
		}
	})
	wg.Go(func() {
		for ctx.Err() == nil {
			_, _ = h.g.Ready()
			_ = h.g.routesView()
		}
	})
	for ctx.Err() == nil {
		if res, _ := h.get(t, "/"); res.StatusCode != http.StatusOK {
			t.Errorf("status = %d during concurrent reloads", res.StatusCode)
			break
		}
	}
	wg.Wait()
}
