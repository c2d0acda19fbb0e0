package h1

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
	"time"

	"github.com/bulwark-gw/bulwark/internal/idleconn"
)

// conn is one keep-alive connection to an upstream.
type conn struct {
	t      *Transport
	addr   string
	nc     net.Conn
	idle   *idleconn.Check  // nil: no check, no reuse
	lr     io.LimitedReader // between nc and br: bounds the response header
	first  firstByte        // a long poll's first byte, between lr and br
	br     *bufio.Reader    // from the answer's first byte to its end; nil between (buffers.go)
	bw     *bufio.Writer    // while the request is written; nil after
	reused bool
	idleAt time.Time
}

// usable reports whether the upstream has sent nothing on pc since its last
// response ended: no byte, no EOF, no reset (idleconn). Any of them makes
// the connection unusable, bytes most of all, for they are no answer to the
// request about to be written (see Transport).
//
// Bytes that arrive after the check are read as the answer to the request
// written next. http.Transport has the same window, wider if anything: its
// read loop puts a connection back in the pool before it peeks at it, and a
// request that takes it first (numExpectedResponses > 0) reads what comes.
// Neither client can tell such bytes from the answer; an upstream that splits
// responses has to be fixed, the client can only keep the window small.
func (pc *conn) usable() bool {
	if pc.br != nil || pc.idle == nil { // a pooled connection buffers nothing (connBody.release)
		return false
	}
	return pc.idle.Quiet()
}

// aLongTimeAgo is a deadline that makes pending and future I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// A round trip on a connection is send, await and receive (Pending runs
// them): on success the connection belongs to the response body until it is
// read to the end or closed.

// fail ends a round trip that went wrong: the connection is closed and its
// buffers dropped; the error says why (the context's cause when it ended,
// ErrStaleConn when a reused connection failed before the answer began).
func (pc *conn) fail(req *http.Request, stop func() bool, err error, stale bool) error {
	stop()
	pc.nc.Close()
	pc.dropBuffers()
	if ctx := req.Context(); ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if stale && pc.reused {
		return fmt.Errorf("%w: %w", ErrStaleConn, err)
	}
	return err
}

// send writes req. It returns the hook that cancelling the request fires
// (receive and the body stop it), or the error, the connection then closed.
func (pc *conn) send(req *http.Request) (stop func() bool, err error) {
	// Cancelling the request (client gone, whole-request timeout) fails the I/O
	// in progress, whichever phase it is in.
	stop = context.AfterFunc(req.Context(), func() { pc.nc.SetDeadline(aLongTimeAgo) })
	if pc.t.headerTimeout > 0 {
		pc.nc.SetReadDeadline(time.Now().Add(pc.t.headerTimeout))
	}
	pc.bw = pc.t.writes.writer(pc.nc)
	if err := req.Write(pc.bw); err != nil {
		return nil, pc.fail(req, stop, err, false)
	}
	if err := pc.bw.Flush(); err != nil {
		return nil, pc.fail(req, stop, err, true)
	}
	pc.t.writes.putWriter(pc.bw)
	pc.bw = nil
	return stop, nil
}

// await waits for the answer to the request send wrote to begin. It is
// apart from receive, and small, because a long poll waits here (Pending).
func (pc *conn) await(req *http.Request, stop func() bool) error {
	pc.lr.N = pc.t.maxHeader
	if err := pc.awaitAnswer(); err != nil {
		return pc.fail(req, stop, err, true)
	}
	return nil
}

// receive reads the answer await saw begin: its headers, and a body that
// holds the connection until read to its end or closed.
func (pc *conn) receive(req *http.Request, stop func() bool) (*http.Response, error) {
	ctx := req.Context()
	fail := func(err error, stale bool) (*http.Response, error) {
		return nil, pc.fail(req, stop, err, stale)
	}
	var res *http.Response
	for informational := 0; ; informational++ {
		var err error
		res, err = http.ReadResponse(pc.br, req)
		if err != nil {
			nothingRead := pc.lr.N == pc.t.maxHeader && pc.br.Buffered() == 0
			if pc.lr.N == 0 {
				err = malformed(fmt.Sprintf("upstream response headers exceed %d bytes", pc.t.maxHeader))
			}
			return fail(err, nothingRead)
		}
		code := res.StatusCode
		if code < 100 {
			// http.ReadResponse takes 000 to 099; skipped as 1xx they would let
			// the next bytes answer this request. http.Transport returns them,
			// and ReverseProxy panics on them (WriteHeader): stricter on purpose.
			return fail(malformed(fmt.Sprintf("upstream sent status code %03d", code)), false)
		}
		if code >= 200 || code == http.StatusSwitchingProtocols {
			break
		}
		if informational == maxInformational {
			return fail(malformed("upstream sent too many 1xx responses"), false)
		}
		if tr := httptrace.ContextClientTrace(ctx); tr != nil && tr.Got1xxResponse != nil {
			if err := tr.Got1xxResponse(code, textproto.MIMEHeader(res.Header)); err != nil {
				return fail(err, false)
			}
		}
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		return fail(malformed("upstream switched protocols without being asked"), false)
	}
	pc.lr.N = 1<<63 - 1
	if pc.t.headerTimeout > 0 {
		pc.nc.SetReadDeadline(time.Time{})
		if ctx.Err() != nil { // cancelled while the deadline was being cleared
			pc.nc.SetDeadline(aLongTimeAgo)
		}
	}
	res.Body = &connBody{pc: pc, rc: res.Body, stop: stop, reuse: !res.Close && !req.Close}
	return res, nil
}

// connBody is a response body that returns its connection to the pool once read
// to the end, and closes it when abandoned early or broken.
type connBody struct {
	pc    *conn
	rc    io.ReadCloser
	stop  func() bool
	reuse bool // neither side asked to close
	done  bool
}

func (b *connBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err != nil {
		b.release(errors.Is(err, io.EOF))
	}
	return n, err
}

func (b *connBody) Close() error {
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
func (b *connBody) release(clean bool) {
	b.done = true
	if b.stop() && clean && b.reuse && b.pc.br.Buffered() == 0 {
		// clean is only ever true on Read's own goroutine, at the body's
		// end: nothing reads the buffer any more, so it can be reused.
		b.pc.t.reads.putReader(b.pc.br)
		b.pc.br = nil
		b.pc.t.put(b.pc)
		return
	}
	// Not pooled: a Close may come from another goroutine while a Read
	// is still using the buffer; it goes with the connection.
	b.pc.nc.Close()
}

// awaitAnswer takes the read buffer the answer is read through. A long poll
// first waits for the answer's first byte without one (Transport.LongPoll):
// the wait is a blocking read of one byte into the connection itself, which
// the read buffer then returns first. An error before that byte means
// nothing was read.
func (pc *conn) awaitAnswer() error {
	if !pc.t.LongPoll {
		pc.br = pc.t.reads.reader(&pc.lr)
		return nil
	}
	for {
		n, err := pc.lr.Read(pc.first.b[:])
		if n == 1 {
			break // an error with the byte comes again from the next read
		}
		if err != nil {
			return err
		}
	}
	pc.first.done, pc.first.r = false, &pc.lr
	pc.br = pc.t.reads.reader(&pc.first)
	return nil
}

// dropBuffers gives back the buffers of a connection that failed before its
// answer was handed out, so no one else can be reading them.
func (pc *conn) dropBuffers() {
	if pc.bw != nil {
		pc.t.writes.putWriter(pc.bw)
		pc.bw = nil
	}
	if pc.br != nil {
		pc.t.reads.putReader(pc.br)
		pc.br = nil
	}
}
