package gateway

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/policies"
)

// Each service has its own http.Transport, so one service's connections never
// crowd out another's (a slow service holds its own pool, not a shared one), and
// the per-service knobs live where the transport can enforce them: the connect
// timeout in the dialer and try_timeout as ResponseHeaderTimeout. A transport is
// kept across snapshots and reloads while what shapes it is unchanged, so
// keep-alive connections to the instances that remain survive a change.
// Body-less GET, HEAD and OPTIONS requests to plain-HTTP instances take the
// transport's direct path (internal/h1) where it can check idle sockets
// (Unix); everything else its http.Transport. The direct path takes the
// dialer, the pool size, the idle timeout and the header limits from that
// http.Transport, built here, so both paths behave alike.

// transportKey is what a service's transport is built from.
type transportKey struct {
	cfg     TransportConfig
	connect time.Duration
	header  time.Duration // 0: the whole-request timer bounds the wait instead
	tls     *UpstreamTLS  // nil: plain HTTP
}

func keyFor(cfg TransportConfig, pol policies.Policy, t *UpstreamTLS) transportKey {
	k := transportKey{cfg: cfg, connect: pol.ConnectTimeout, tls: t}
	if pol.TryTimeout > 0 && pol.TryTimeout < pol.Timeout {
		k.header = pol.TryTimeout
	}
	return k
}

// newTransport sizes the upstream pool for a gateway rather than a client: Go's
// default of 2 idle connections per host makes a busy proxy open and close a
// connection per request and run out of ports (go#13801).
func newTransport(k transportKey) *h1.Transport {
	perHost := k.cfg.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = 512
	}
	idle := k.cfg.IdleConnTimeout
	if idle <= 0 {
		idle = 90 * time.Second
	}
	maxHdr := k.cfg.MaxResponseHeaderBytes
	if maxHdr <= 0 {
		maxHdr = 1 << 20
	}
	connect := k.connect
	if connect <= 0 {
		connect = policies.Defaults().ConnectTimeout
	}
	d := &net.Dialer{KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, connect)
		defer cancel()
		return d.DialContext(ctx, network, addr)
	}
	std := &http.Transport{
		DialContext:            dial,
		MaxIdleConns:           0, // no global cap; the per-host cap bounds each instance
		MaxIdleConnsPerHost:    perHost,
		IdleConnTimeout:        idle,
		ResponseHeaderTimeout:  k.header,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		MaxResponseHeaderBytes: maxHdr,
		ForceAttemptHTTP2:      false, // upstream HTTP/2 is opt-in per service (tls: http2: true)
		// A proxy passes the client's Accept-Encoding through; asking for gzip
		// on its own would make the transport decompress what it then relays.
		DisableCompression: true,
	}
	if k.tls != nil {
		std.TLSClientConfig = k.tls.Config.Clone()
		std.ForceAttemptHTTP2 = k.tls.HTTP2
	}
	return h1.New(std)
}

// retireGrace is how long a replaced transport lives on before its connections
// are closed again: requests in flight at a reload return their connections to it
// after the first CloseIdleConnections.
const retireGrace = 30 * time.Second

// retire closes a replaced transport's idle connections now and once more after
// retireGrace, then forgets it: with services coming and going for weeks, a
// list of every transport ever replaced would only grow. Callers hold g.mu.
func (g *Gateway) retire(t *h1.Transport) {
	t.CloseIdleConnections()
	if g.retired[t] {
		return
	}
	g.retired[t] = true
	time.AfterFunc(retireGrace, func() {
		t.CloseIdleConnections()
		g.mu.Lock()
		defer g.mu.Unlock()
		delete(g.retired, t)
	})
}

// Close closes every idle upstream connection, current and retired. Call it when
// the gateway stops serving; requests still in flight keep theirs.
func (g *Gateway) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.state.Load().services.All() {
		s.transport.CloseIdleConnections()
	}
	for t := range g.retired {
		t.CloseIdleConnections()
	}
	clear(g.retired)
	g.admitters.close()
	g.checker.stop()
}
