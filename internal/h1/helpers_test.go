package h1

import (
	"github.com/bulwark-gw/bulwark/internal/nettest"

	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Every test closes what it opened: idle connections, sweep timers and the
// upstreams' goroutines are all gone when the package's tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fallbackLike is an http.Transport set up as the gateway sets up a service's
// (gateway/transport.go): a dialer bounded by a connect timeout, a pool sized
// for a proxy, no compression of its own, HTTP/1.1 only.
func fallbackLike(header, idle time.Duration, maxHeader int64) *http.Transport {
	d := &net.Dialer{KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost:    512,
		IdleConnTimeout:        idle,
		ResponseHeaderTimeout:  header,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeader,
		DisableCompression:     true,
	}
}

// upstream is a real HTTP server that counts the connections it accepted and
// closed, and remembers the last path it was asked for.
type upstream struct {
	*httptest.Server
	conns, closed atomic.Int64
	mu            sync.Mutex
	last          string
}

// newUpstream starts an upstream that answers with h, or with its name.
func newUpstream(t testing.TB, name string, h http.HandlerFunc) *upstream {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }
	}
	u := &upstream{}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.last = r.URL.Path
		u.mu.Unlock()
		h(w, r)
	}))
	u.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			u.conns.Add(1)
		case http.StateClosed:
			u.closed.Add(1)
		}
	}
	u.Config.ErrorLog = log.New(io.Discard, "", 0)
	u.Start()
	t.Cleanup(u.Close)
	return u
}

// lastPath is the path of the last request the upstream received.
func (u *upstream) lastPath() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// rawServer and eventually are shared with the other packages' tests
// (internal/nettest): a raw TCP server, and a bounded poll for what is
// recorded after a response is written.
var (
	rawServer  = nettest.RawServer
	eventually = nettest.Eventually
)
