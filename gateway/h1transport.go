package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"time"
)

// h1Transport sends the commonest proxied request, a body-less GET, HEAD or
// OPTIONS to a plain-HTTP upstream, on the goroutine that serves the client,
// and hands everything else to the service's http.Transport.
//
// Why: http.Transport runs a read loop and a write loop goroutine per
// connection, so every request crosses goroutines three times over channels and
// selects (a fifth of the proxy's CPU in a profile of the 1 KiB benchmark). With
// no request body to stream there is nothing to do concurrently: write the
// request, read the response headers, and let the caller read the body from the
// same buffered connection. The methods are the ones a stale keep-alive
// connection may be retried for, exactly as http.Transport does: an upstream
// that closed an idle connection costs a retry on a new one, never a 502.
type h1Transport struct {
	std           *http.Transport // requests the direct path does not take
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	headerTimeout time.Duration // 0: only the request's context bounds the wait
	maxHeader     int64         // response header bytes before giving up
	idleTimeout   time.Duration
	maxIdle       int // idle connections kept per upstream address

	mu    sync.Mutex
	idle  map[string][]*h1Conn // by host:port, most recently used last
	sweep *time.Timer          // closes connections idle past idleTimeout
}

// h1Conn is one keep-alive connection to an upstream.
type h1Conn struct {
	t      *h1Transport
	addr   string
	nc     net.Conn
	lr     io.LimitedReader // between nc and br: bounds the response header
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool
	idleAt time.Time
}

// errStaleConn marks a reused connection that failed before the upstream sent a
// byte: the upstream had closed it while idle, so the request never reached it.
var errStaleConn = errors.New("gateway: reused upstream connection was closed")

// maxStaleRetries bounds the retries after stale connections.
const maxStaleRetries = 2

// maxInformational caps 1xx responses before the final one, as http.Transport does.
const maxInformational = 5

func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !directable(req) {
		return t.std.RoundTrip(req)
	}
	for attempt := 0; ; attempt++ {
		pc, err := t.get(req.Context(), req.URL.Host)
		if err != nil {
			return nil, err
		}
		res, err := pc.roundTrip(req)
		if err == nil {
			return res, nil
		}
		if !errors.Is(err, errStaleConn) || req.Context().Err() != nil || attempt == maxStaleRetries {
			return nil, err
		}
		// The upstream closed idle connections: probably all of them (a
		// restart), so the retry dials a new one rather than trying the next.
		t.closeIdle(req.URL.Host)
	}
}

// directable reports requests the direct path carries: replayable methods
// without a body, over plain HTTP, not asking for an upgrade.
func directable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return false
	}
	return req.URL.Scheme == "http" && (req.Body == nil || req.Body == http.NoBody) &&
		req.Header["Upgrade"] == nil
}

// get returns an idle connection to addr, or dials one.
func (t *h1Transport) get(ctx context.Context, addr string) (*h1Conn, error) {
	t.mu.Lock()
	stack := t.idle[addr]
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack[len(stack)-1] = nil
		stack = stack[:len(stack)-1]
		if time.Since(pc.idleAt) < t.idleTimeout {
			t.idle[addr] = stack
			t.mu.Unlock()
			return pc, nil
		}
		pc.nc.Close() // idle too long: the upstream may be closing it right now
	}
	t.idle[addr] = stack
	t.mu.Unlock()

	nc, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &h1Conn{t: t, addr: addr, nc: nc}
	pc.lr.R = nc
	pc.br = bufio.NewReaderSize(&pc.lr, 4<<10)
	pc.bw = bufio.NewWriterSize(nc, 4<<10)
	return pc, nil
}

// put keeps pc for the next request to its address, or closes it.
func (t *h1Transport) put(pc *h1Conn) {
	pc.reused = true
	pc.idleAt = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil || len(t.idle[pc.addr]) >= t.maxIdle {
		pc.nc.Close()
		return
	}
	t.idle[pc.addr] = append(t.idle[pc.addr], pc)
	if t.sweep == nil {
		t.sweep = time.AfterFunc(t.idleTimeout, t.sweepIdle)
	}
}

// sweepIdle closes connections idle for longer than idleTimeout, so an instance
// that left discovery does not keep sockets open, and re-arms while any remain.
func (t *h1Transport) sweepIdle() {
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
func (t *h1Transport) closeIdle(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, pc := range t.idle[addr] {
		pc.nc.Close()
	}
	delete(t.idle, addr)
}

// CloseIdleConnections closes every idle connection, the direct path's and
// the fallback transport's.
func (t *h1Transport) CloseIdleConnections() {
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

// aLongTimeAgo is a deadline that makes pending and future I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// roundTrip writes req and reads the response headers. On success the
// connection belongs to the response body until it is read to the end or closed.
func (pc *h1Conn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if pc.br.Buffered() > 0 { // bytes the upstream sent while idle: not HTTP we asked for
		pc.nc.Close()
		return nil, errStaleConn
	}
	// Cancelling the request (client gone, whole-request timeout) fails the I/O
	// in progress, whichever phase it is in.
	stop := context.AfterFunc(ctx, func() { pc.nc.SetDeadline(aLongTimeAgo) })
	fail := func(err error, stale bool) (*http.Response, error) {
		stop()
		pc.nc.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if stale && pc.reused {
			return nil, fmt.Errorf("%w: %w", errStaleConn, err)
		}
		return nil, err
	}

	if pc.t.headerTimeout > 0 {
		pc.nc.SetReadDeadline(time.Now().Add(pc.t.headerTimeout))
	}
	if err := req.Write(pc.bw); err != nil {
		return fail(err, false)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(err, true)
	}
	pc.lr.N = pc.t.maxHeader
	var res *http.Response
	for informational := 0; ; informational++ {
		var err error
		res, err = http.ReadResponse(pc.br, req)
		if err != nil {
			nothingRead := pc.lr.N == pc.t.maxHeader && pc.br.Buffered() == 0
			if pc.lr.N == 0 {
				err = fmt.Errorf("upstream response headers exceed %d bytes", pc.t.maxHeader)
			}
			return fail(err, nothingRead)
		}
		code := res.StatusCode
		if code >= 200 || code == http.StatusSwitchingProtocols {
			break
		}
		if informational == maxInformational {
			return fail(errors.New("upstream sent too many 1xx responses"), false)
		}
		if tr := httptrace.ContextClientTrace(ctx); tr != nil && tr.Got1xxResponse != nil {
			if err := tr.Got1xxResponse(code, textproto.MIMEHeader(res.Header)); err != nil {
				return fail(err, false)
			}
		}
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		return fail(errors.New("upstream switched protocols without being asked"), false)
	}
	pc.lr.N = 1<<63 - 1
	if pc.t.headerTimeout > 0 {
		pc.nc.SetReadDeadline(time.Time{})
		if ctx.Err() != nil { // cancelled while the deadline was being cleared
			pc.nc.SetDeadline(aLongTimeAgo)
		}
	}
	res.Body = &h1Body{pc: pc, rc: res.Body, stop: stop, reuse: !res.Close}
	return res, nil
}

// h1Body is a response body that returns its connection to the pool once read
// to the end, and closes it when abandoned early or broken.
type h1Body struct {
	pc    *h1Conn
	rc    io.ReadCloser
	stop  func() bool
	reuse bool // the upstream did not ask to close
	done  bool
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err != nil {
		b.release(errors.Is(err, io.EOF))
	}
	return n, err
}

func (b *h1Body) Close() error {
	if !b.done {
		b.release(false)
	}
	return nil
}

// release ends the body's hold on its connection. The connection is reused only
// after a clean end, with the cancellation hook still unfired (a fired one has
// poisoned the connection's deadline).
func (b *h1Body) release(clean bool) {
	b.done = true
	if b.stop() && clean && b.reuse {
		b.pc.t.put(b.pc)
		return
	}
	b.pc.nc.Close()
}
