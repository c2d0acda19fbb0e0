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
	"runtime"
	"sync"
	"syscall"
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
//
// It must be at least as strict as http.Transport on every framing edge, which
// h1transport_diff_test.go checks side by side on hostile upstreams. The edge
// that needs care is the one http.Transport's read loop covers: bytes an
// upstream sends on a connection nobody asked anything of (a second response
// from response splitting, a HEAD or 204 answered with a body, garbage). Read
// as the answer to the next request, they would shift every later answer on
// that connection by one, to another client. So a connection goes back to the
// pool only with nothing read past its response, and comes out of it only
// after a non-blocking read of its socket found nothing there (usable).
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
	raw    syscall.RawConn       // nc's socket, for the idle check; nil: no check, no reuse
	peek   func(fd uintptr) bool // the idle check's read, made once: no allocation per check
	peekN  int
	peekE  error
	peekB  [1]byte
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

// maxInformational caps 1xx responses before the final one. http.Transport
// used to cap them at 5 too; today it bounds only their bytes (together with
// the final header, unless a trace sees them), which the direct path does as
// well: six 1xx are a 502 here and not there, stricter on purpose.
const maxInformational = 5

// canCheckIdle reports platforms whose sockets are non-blocking file
// descriptors, where usable can look for unsolicited bytes with one read(2).
// Elsewhere the direct path is off: without that check it would be less strict
// than http.Transport, whose read loop watches idle connections.
var canCheckIdle = map[string]bool{"linux": true, "android": true, "darwin": true, "ios": true,
	"freebsd": true, "netbsd": true, "openbsd": true, "dragonfly": true, "illumos": true,
	"solaris": true, "aix": true}[runtime.GOOS]

func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !canCheckIdle || !directable(req) {
		return t.std.RoundTrip(req)
	}
	for attempt := 0; ; attempt++ {
		pc, err := t.get(req.Context(), req.URL.Host)
		if err != nil {
			if req.Context().Err() != nil { // cancelled while dialing: say why, as roundTrip does
				return nil, context.Cause(req.Context())
			}
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

// get returns an idle connection to addr that the upstream has sent nothing
// on since, or dials one.
func (t *h1Transport) get(ctx context.Context, addr string) (*h1Conn, error) {
	for {
		pc := t.popIdle(addr)
		if pc == nil {
			break
		}
		if time.Since(pc.idleAt) < t.idleTimeout && pc.usable() {
			return pc, nil
		}
		pc.nc.Close() // idle too long (the upstream may be closing it right now), or spoken on
	}

	nc, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &h1Conn{t: t, addr: addr, nc: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		pc.raw, _ = sc.SyscallConn()
		pc.peek = func(fd uintptr) bool {
			pc.peekN, pc.peekE = readFD(syscall.Read, fd, pc.peekB[:])
			return true // never wait for the socket to become readable
		}
	}
	pc.lr.R = nc
	pc.br = bufio.NewReaderSize(&pc.lr, 4<<10)
	pc.bw = bufio.NewWriterSize(nc, 4<<10)
	return pc, nil
}

// popIdle takes the most recently used idle connection to addr off the pool.
func (t *h1Transport) popIdle(addr string) *h1Conn {
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

// usable reports whether the upstream has sent nothing on pc since its last
// response ended: no byte, no EOF, no reset. Any of them makes the connection
// unusable, bytes most of all, for they are no answer to the request about to
// be written (see h1Transport).
//
// The check is one non-blocking read(2) of the socket, under the poller's read
// lock; a byte it consumes does not matter, since the connection is then
// dropped. A past read deadline and a Peek would not do: Go fails a read whose
// deadline has passed before asking the socket anything.
//
// Bytes that arrive after the check are read as the answer to the request
// written next. http.Transport has the same window, wider if anything: its
// read loop puts a connection back in the pool before it peeks at it, and a
// request that takes it first (numExpectedResponses > 0) reads what comes.
// Neither client can tell such bytes from the answer; an upstream that splits
// responses has to be fixed, the client can only keep the window small.
func (pc *h1Conn) usable() bool {
	if pc.br.Buffered() > 0 || pc.raw == nil {
		return false
	}
	if err := pc.raw.Read(pc.peek); err != nil {
		return false
	}
	return pc.peekN <= 0 && pc.peekE == syscall.EAGAIN // nothing to read, as internal/poll tests it
}

// readFD calls read, syscall.Read, with fd as the descriptor type of the
// platform (int on Unix, Handle on Windows), so that this file builds
// everywhere; usable runs only where canCheckIdle.
func readFD[FD ~int | ~uintptr](read func(FD, []byte) (int, error), fd uintptr, p []byte) (int, error) {
	return read(FD(fd), p)
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
		if code < 100 {
			// http.ReadResponse takes 000 to 099; skipped as 1xx they would let
			// the next bytes answer this request. http.Transport returns them,
			// and ReverseProxy panics on them (WriteHeader): stricter on purpose.
			return fail(fmt.Errorf("upstream sent status code %03d", code), false)
		}
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
	res.Body = &h1Body{pc: pc, rc: res.Body, stop: stop, reuse: !res.Close && !req.Close}
	return res, nil
}

// h1Body is a response body that returns its connection to the pool once read
// to the end, and closes it when abandoned early or broken.
type h1Body struct {
	pc    *h1Conn
	rc    io.ReadCloser
	stop  func() bool
	reuse bool // neither side asked to close
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
// poisoned the connection's deadline), and with nothing read past the response:
// a byte already buffered (a second response in the same write, a body after a
// HEAD, 204 or 304, more body than Content-Length) is no answer to anything.
func (b *h1Body) release(clean bool) {
	b.done = true
	if b.stop() && clean && b.reuse && b.pc.br.Buffered() == 0 {
		b.pc.t.put(b.pc)
		return
	}
	b.pc.nc.Close()
}
