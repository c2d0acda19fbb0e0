package catalog

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// flaky is an instance whose document answers 503 the first failures times
// (a service still starting), then the document.
func flaky(t *testing.T, failures int64) (addr string, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.yaml" {
			http.NotFound(w, r)
			return
		}
		if requests.Add(1) <= failures {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "openapi: 3.0.0\ninfo: {title: Late, version: '1'}\npaths: {}\n")
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), requests
}

// A document that failed to fetch at start (the service came up a moment
// later) is tried again within seconds, with the default backoff, long before
// the normal refresh (an hour here); while it fails, the entry says when the
// next attempt is.
func TestADocumentThatFailedToFetchIsRetriedSoonWithBackoff(t *testing.T) {
	addr, requests := flaky(t, 2)
	var w world
	w.add("late", addr, Route{Prefix: "/late"})
	c := w.run(t, Options{Refresh: time.Hour})

	e, ok := c.Entry("late")
	if !ok || e.Error == "" || e.Failures != 1 {
		t.Fatalf("after the first fetch (503): %+v, want an error and 1 failure", e)
	}
	if !e.NextAttempt.After(e.FetchedAt) || e.NextAttempt.Sub(e.FetchedAt) > time.Minute {
		t.Errorf("next attempt %v after a fetch at %v: want it soon after (1s), not at the hourly refresh", e.NextAttempt, e.FetchedAt)
	}

	// 1s, then 2s: well within this deadline on a busy machine, and far
	// from the hour-long refresh.
	deadline := time.Now().Add(30 * time.Second)
	for {
		e, _ = c.Entry("late")
		if e != nil && e.Doc != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the document was never fetched again (%d requests): %+v", requests.Load(), e)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if e.Title != "Late" || e.Error != "" || e.Failures != 0 || !e.NextAttempt.IsZero() {
		t.Errorf("once fetched: %+v, want the document and no retry pending", e)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests for the document, want 3 (two failures, one success)", n)
	}
	// Nothing more is fetched until the next refresh.
	time.Sleep(2500 * time.Millisecond)
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests after success, want no more than 3 until the refresh", n)
	}
}

func TestTheRetryWaitDoublesUpToTheRefreshInterval(t *testing.T) {
	c := New(Options{Refresh: 10 * time.Second})
	for failures, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		if got := c.backoff(failures); got != want {
			t.Errorf("after %d failures in a row: wait %v, want %v", failures, got, want)
		}
	}
}
