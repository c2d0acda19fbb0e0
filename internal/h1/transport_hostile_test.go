package h1

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile upstreams for the differential test and the fuzz target of the direct
// path (transport_diff_test.go, transport_fuzz_test.go): raw listeners whose
// scripts write exact bytes, and the two clients they are run against. Every
// legitimate answer carries the id of the request it answers ("id=<id>;") and
// injectedResponse responses say "INJECTED", so an answer delivered to the wrong
// request is seen.

// hostile is an upstream on a raw listener: each accepted connection runs the
// script, which reads requests and writes exact bytes.
type hostile struct {
	l        net.Listener
	wait     time.Duration // for a connection's second and later requests, then it is closed
	accepted atomic.Int64
	open     atomic.Int64 // connections whose script has not returned yet
	handled  atomic.Int64 // answers the scripts finished writing

	mu      sync.Mutex
	conns   []net.Conn
	perConn []int // requests read on each connection, in accept order
}

// hostileConn is one upstream connection as its script sees it.
type hostileConn struct {
	net.Conn
	h   *hostile
	br  *bufio.Reader
	idx int
}

func newHostile(t testing.TB, script func(c *hostileConn)) *hostile {
	t.Helper()
	return newHostileWaiting(t, 10*time.Second, script)
}

// newHostileWaiting starts an upstream whose connections wait no longer than
// wait for a request after their first.
func newHostileWaiting(t testing.TB, wait time.Duration, script func(c *hostileConn)) *hostile {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostile{l: l, wait: wait}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			h.accepted.Add(1)
			h.open.Add(1)
			h.mu.Lock()
			c := &hostileConn{Conn: nc, h: h, br: bufio.NewReader(nc), idx: len(h.perConn)}
			h.conns = append(h.conns, nc)
			h.perConn = append(h.perConn, 0)
			h.mu.Unlock()
			wg.Go(func() {
				defer h.open.Add(-1)
				defer nc.Close()
				script(c)
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		wg.Wait()
	})
	return h
}

func (h *hostile) url(id string) string { return "http://" + h.l.Addr().String() + "/r/" + id }

// requestsPerConn returns how many requests each connection carried so far.
func (h *hostile) requestsPerConn() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.perConn...)
}

// next reads one request and returns its id and method; ok is false once the
// client closed the connection (or sent something that is not a request).
func (c *hostileConn) next() (id, method string, ok bool) {
	wait := c.h.wait
	c.h.mu.Lock()
	first := c.h.perConn[c.idx] == 0
	c.h.mu.Unlock()
	if first {
		wait = 10 * time.Second // the first request is on its way: a busy machine may be slow
	}
	c.SetReadDeadline(time.Now().Add(wait))
	req, err := http.ReadRequest(c.br)
	if err != nil {
		return "", "", false
	}
	io.Copy(io.Discard, req.Body)
	c.counted()
	return strings.TrimPrefix(req.URL.Path, "/r/"), req.Method, true
}

func (c *hostileConn) counted() {
	c.h.mu.Lock()
	c.h.perConn[c.idx]++
	c.h.mu.Unlock()
}

// write sends each part in a write of its own.
func (c *hostileConn) write(parts ...string) {
	for _, p := range parts {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, p); err != nil {
			return
		}
	}
}

// waitHandled waits until the scripts have finished writing n answers. It polls
// more often than eventually: the fuzz target calls it on every input.
func (h *hostile) waitHandled(t testing.TB, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.handled.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the upstream to finish answer %d", n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// done tells the test that the answer has been written in full, extras included.
func (c *hostileConn) done() { c.h.handled.Add(1) }

// each is the script of an upstream that answers every request with answer and
// keeps the connection while answer returns true.
func everyRequest(answer func(c *hostileConn, id, method string) (keep bool)) func(*hostileConn) {
	return func(c *hostileConn) {
		for {
			id, method, ok := c.next()
			if !ok {
				return
			}
			keep := answer(c, id, method)
			c.done()
			if !keep {
				return
			}
		}
	}
}

// ownBody is the body of the legitimate answer to request id.
func ownBody(id string) string { return "id=" + id + ";" }

// answer is a complete keep-alive 200 to request id, head lines added.
func answerTo(id string, head ...string) string {
	body := ownBody(id)
	return "HTTP/1.1 200 OK\r\n" + strings.Join(append(head, ""), "\r\n") +
		fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
}

// injectedResponse is a complete response nobody asked for.
const injectedResponse = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED"

// foreign reports a body that carries anything but request id's own answer.
func foreignBody(body, id string) bool {
	if strings.Contains(body, "INJECTED") {
		return true
	}
	for rest := body; ; {
		i := strings.Index(rest, "id=")
		if i < 0 {
			return false
		}
		rest = rest[i+3:]
		if !strings.HasPrefix(rest, id+";") {
			return true
		}
	}
}

// diffOutcome is what one request got.
type diffOutcome struct {
	id      string
	err     error // RoundTrip's
	status  int
	body    string
	bodyErr error // reading the body's
	trailer string
}

func (o diffOutcome) String() string {
	if o.err != nil {
		return fmt.Sprintf("[%s] error %v", o.id, o.err)
	}
	return fmt.Sprintf("[%s] %d body %q body error %v trailer %q", o.id, o.status, o.body, o.bodyErr, o.trailer)
}

// diffClients are the two transports under test, set up as the gateway sets
// them up: the direct path, and a plain http.Transport with the same settings
// whose dialer counts the connections it still has open.
type diffClients struct {
	direct  *Transport
	std     *http.Transport
	stdOpen atomic.Int64
}

func newDiffClients(t testing.TB) *diffClients {
	settings := func() *http.Transport { return fallbackLike(10*time.Second, time.Minute, 4<<10) }
	c := &diffClients{direct: New(settings()), std: settings()}
	dial := c.std.DialContext
	c.std.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c.stdOpen.Add(1)
		return &countedConn{Conn: nc, open: &c.stdOpen}, nil
	}
	t.Cleanup(c.direct.CloseIdleConnections)
	t.Cleanup(c.std.CloseIdleConnections)
	return c
}

// countedConn takes itself off its count when closed.
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// roundTrip sends one request and reads the whole response, never for longer
// than the hang guard.
func sendAndRead(tr http.RoundTripper, method, url, id string, pad int) diffOutcome {
	return sendAndReadWithin(tr, method, url, id, pad, 20*time.Second)
}

func sendAndReadWithin(tr http.RoundTripper, method, url, id string, pad int, guard time.Duration) diffOutcome {
	o := diffOutcome{id: id}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		panic(err)
	}
	if pad > 0 {
		req.Header.Set("X-Pad", strings.Repeat("p", pad))
	}
	res, err := tr.RoundTrip(req)
	if err != nil {
		o.err = err
		return o
	}
	defer res.Body.Close()
	o.status = res.StatusCode
	b, err := io.ReadAll(res.Body)
	o.body, o.bodyErr, o.trailer = string(b), err, res.Trailer.Get("X-Sum")
	return o
}
