package catalog

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
)

// TestARefreshLeavesFewIdleConnections: after a refresh that read from 40
// instances, each a server of its own, the catalog keeps at most
// maxIdleFetchConns of those connections open. It used to keep one per
// instance for 30 seconds: 5,000 at 1,000 services of 5 instances.
func TestARefreshLeavesFewIdleConnections(t *testing.T) {
	const doc = `{"openapi":"3.0.3","info":{"title":"s","version":"1"},"paths":{}}`
	var open atomic.Int64
	snap := &discovery.Snapshot{}
	routes := map[string]Route{}
	for i := range 40 {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/openapi.json" {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write([]byte(doc))
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				open.Add(1)
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)
		name := fmt.Sprintf("s%02d", i)
		routes[name] = Route{Prefix: "/" + name}
		snap.Services = snap.Services.Set(name, []discovery.Instance{{ID: name, Addr: srv.Listener.Addr().String(), Health: discovery.Passing}})
	}
	c := New(Options{RouteOf: func(s string) (Route, bool) { r, ok := routes[s]; return r, ok }})
	defer c.fetcher.client.CloseIdleConnections()
	c.Update(snap)
	c.refresh(context.Background())
	if n := len(c.Entries()); n != 40 {
		t.Fatalf("%d services catalogued, want 40", n)
	}
	// The servers see a connection the pool dropped close soon after; the
	// pool's own idle timeout is 10 seconds, so waiting less tells them apart.
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() > maxIdleFetchConns && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := open.Load(); n > maxIdleFetchConns {
		t.Errorf("%d connections stay open after the refresh, want at most %d", n, maxIdleFetchConns)
	}
}
