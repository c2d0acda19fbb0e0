// Package h1 is the gateway's HTTP/1.1 client fast path: a Transport that
// sends the commonest proxied request, a body-less GET, HEAD or OPTIONS to a
// plain-HTTP upstream, on the goroutine that serves the client, and hands
// everything else to an http.Transport.
//
// It is a leaf (it imports nothing from bulwark but internal/idleconn) because it re-implements a
// standard, and such code is best read, tested and fuzzed on its own: the
// differential test and the fuzz target beside it run it against
// net/http.Transport on hostile upstreams. The gateway wires it (its
// transport.go) and maps its errors to status codes (ErrorStatus).
package h1

import (
	"cmp"
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bulwark-gw/bulwark/internal/idleconn"
)

// Transport sends the commonest proxied request, a body-less GET, HEAD or
// OPTIONS to a plain-HTTP upstream, on the goroutine that serves the client,
// and hands everything else to its fallback http.Transport.
//
// Why: http.Transport runs a read loop and a write loop goroutine per
// connection, so every request crosses goroutines three times over channels and
// selects (a fifth of the proxy's CPU in a profile of the 1 KiB benchmark). With
// no request body to stream there is nothing to do concurrently: write the
// request, read the response headers, and let the caller read the body from the
// same buffered connection. The methods are the ones a stale keep-alive
// connection may be retried for, exactly as http.Transport does: an upstream
// that closed an idle connection costs a retry on a new one, never a 502.
//
// It must be at least as strict as http.Transport on every framing edge, which
// transport_diff_test.go checks side by side on hostile upstreams. The edge
// that needs care is the one http.Transport's read loop covers: bytes an
// upstream sends on a connection nobody asked anything of (a second response
// from response splitting, a HEAD or 204 answered with a body, garbage). Read
// as the answer to the next request, they would shift every later answer on
// that connection by one, to another client. So a connection goes back to the
// pool only with nothing read past its response, and comes out of it only
// after a non-blocking read of its socket found nothing there (usable).
type Transport struct {
	std           *http.Transport // requests the direct path does not take
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	headerTimeout time.Duration // 0: only the request's context bounds the wait
	maxHeader     int64         // response header bytes before giving up
	idleTimeout   time.Duration // 0: no limit
	maxIdle       int           // idle connections kept per upstream address
	reads, writes bufPool       // connections' buffers while a request is on them (buffers.go)

	// LongPoll says answers may take minutes (Consul's blocking queries):
	// a request then waits for its answer's first byte before it takes a
	// read buffer, so a parked poll holds none. It costs a read(2) of one
	// byte per answer, which a long poll can afford and a proxied request
	// should not pay. Set it before the first request.
	LongPoll bool

	mu    sync.Mutex
	idle  map[string][]*conn // by host:port, most recently used last
	sweep *time.Timer        // closes connections idle past idleTimeout
}

// New returns a Transport whose direct path takes its settings from fallback,
// which carries every other request: its dialer (DialContext), pool size
// (MaxIdleConnsPerHost), idle timeout (IdleConnTimeout), header limits
// (ResponseHeaderTimeout, MaxResponseHeaderBytes) and buffer sizes
// (ReadBufferSize, WriteBufferSize), each zero value meaning what it means to
// http.Transport. Both paths so connect and give up alike, whichever
// a request takes. The direct path uses no proxy: give it a fallback without one.
func New(fallback *http.Transport) *Transport {
	t := &Transport{
		std:           fallback,
		dial:          fallback.DialContext,
		headerTimeout: fallback.ResponseHeaderTimeout,
		maxHeader:     fallback.MaxResponseHeaderBytes,
		idleTimeout:   fallback.IdleConnTimeout,
		maxIdle:       fallback.MaxIdleConnsPerHost,
		reads:         poolOf(&readPools, cmp.Or(fallback.ReadBufferSize, 4<<10)),
		writes:        poolOf(&writePools, cmp.Or(fallback.WriteBufferSize, 4<<10)),
		idle:          map[string][]*conn{},
	}
	if t.dial == nil {
		t.dial = (&net.Dialer{}).DialContext
	}
	if t.maxHeader <= 0 {
		t.maxHeader = 10 << 20 // http.Transport's default
	}
	if t.maxIdle == 0 {
		t.maxIdle = http.DefaultMaxIdleConnsPerHost
	}
	return t
}

// maxStaleRetries bounds the retries after stale connections.
const maxStaleRetries = 2

// maxInformational caps 1xx responses before the final one. http.Transport
// used to cap them at 5 too; today it bounds only their bytes (together with
// the final header, unless a trace sees them), which the direct path does as
// well: six 1xx are a 502 here and not there, stricter on purpose.
const maxInformational = 5

// canCheckIdle reports platforms where usable can look for unsolicited
// bytes (idleconn.Supported). Elsewhere the direct path is off: without that
// check it would be less strict than http.Transport, whose read loop watches
// idle connections.
var canCheckIdle = idleconn.Supported

// RoundTrip sends req directly when it is Directable (and the platform can
// check idle sockets), else through the fallback transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !canCheckIdle || !Directable(req) {
		return t.std.RoundTrip(req)
	}
	p := Pending{t: t, req: req} // on the stack: RoundTrip is Send and Wait in one
	if err := p.send(); err != nil {
		return nil, err
	}
	return p.Wait()
}

// Directable reports requests the direct path carries: replayable methods
// without a body, over plain HTTP, not asking for an upgrade. The gateway asks
// too: such requests call no httptrace hooks, and report a connection that
// stayed stale through the direct path's own retries as ErrStaleConn.
func Directable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return false
	}
	return req.URL.Scheme == "http" && (req.Body == nil || req.Body == http.NoBody) &&
		req.Header["Upgrade"] == nil
}

// get returns an idle connection to addr that the upstream has sent nothing
// on since, or dials one.
func (t *Transport) get(ctx context.Context, addr string) (*conn, error) {
	for {
		pc := t.popIdle(addr)
		if pc == nil {
			break
		}
		if (t.idleTimeout <= 0 || time.Since(pc.idleAt) < t.idleTimeout) && pc.usable() {
			return pc, nil
		}
		pc.nc.Close() // idle too long (the upstream may be closing it right now), or spoken on
	}

	nc, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &conn{t: t, addr: addr, nc: nc, idle: idleconn.New(nc)}
	pc.lr.R = nc
	return pc, nil
}

// popIdle takes the most recently used idle connection to addr off the pool.
func (t *Transport) popIdle(addr string) *conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	stack := t.idle[addr]
	if len(stack) == 0 {
		return nil
	}
	pc := stack[len(stack)-1]
	stack[len(stack)-1] = nil
	t.idle[addr] = stack[:len(stack)-1]
	return pc
}

// put keeps pc for the next request to its address, or closes it.
func (t *Transport) put(pc *conn) {
	pc.reused = true
	pc.idleAt = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil || len(t.idle[pc.addr]) >= t.maxIdle {
		pc.nc.Close()
		return
	}
	t.idle[pc.addr] = append(t.idle[pc.addr], pc)
	if t.sweep == nil && t.idleTimeout > 0 {
		t.sweep = time.AfterFunc(t.idleTimeout, t.sweepIdle)
	}
}

// sweepIdle closes connections idle for longer than idleTimeout, so an instance
// that left discovery does not keep sockets open, and re-arms while any remain.
func (t *Transport) sweepIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep = nil
	for addr, stack := range t.idle {
		keep := stack[:0]
		for _, pc := range stack {
			if time.Since(pc.idleAt) < t.idleTimeout {
				keep = append(keep, pc)
			} else {
				pc.nc.Close()
			}
		}
		clear(stack[len(keep):])
		if len(keep) == 0 {
			delete(t.idle, addr)
			continue
		}
		t.idle[addr] = keep
	}
	if len(t.idle) > 0 {
		t.sweep = time.AfterFunc(t.idleTimeout/2, t.sweepIdle)
	}
}

// closeIdle closes the idle connections to addr.
func (t *Transport) closeIdle(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pc := range t.idle[addr] {
		pc.nc.Close()
	}
	delete(t.idle, addr)
}

// CloseIdleConnections closes every idle connection, the direct path's and
// the fallback transport's.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	for _, stack := range t.idle {
		for _, pc := range stack {
			pc.nc.Close()
		}
	}
	clear(t.idle)
	if t.sweep != nil {
		t.sweep.Stop()
		t.sweep = nil
	}
	t.mu.Unlock()
	t.std.CloseIdleConnections()
}
