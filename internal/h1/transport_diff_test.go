package h1

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The direct path (transport.go) re-implements the client half of HTTP/1.1,
// so it is run side by side with net/http.Transport against upstreams that
// write exact, hostile bytes (transport_hostile_test.go). The two must agree
// on what the client sees, or the direct path must be the stricter one, on
// purpose and written down in the case. Above all neither may hand a request a
// response that belongs to another one.

// expect is what the client must see for one request.
type expect int

const (
	// expectOK: the case's status and body, read to the end without error.
	expectOK expect = iota
	// expectFail: RoundTrip or reading the body fails.
	expectFail
	// expectPartial: the status arrives, reading the body then fails.
	expectPartial
	// expectOKOrFail: either; which one depends on timing.
	expectOKOrFail
)

func (e expect) String() string {
	return [...]string{"ok", "fail", "partial", "ok or fail"}[e]
}

// diffCase is one hostile upstream and what each transport must make of it.
type diffCase struct {
	name   string
	method string // GET unless set
	script func(c *hostileConn)
	// want is what every request must get through both transports, and
	// wantStd, when set, what http.Transport gets where the two differ on
	// purpose (the direct path is stricter).
	want, wantStd *expect
	status        int    // 200 unless set
	bodyless      bool   // the answer has no body (HEAD, 204, 304)
	body          string // the expected body when it is not the request's own
	trailer       string // the expected X-Sum trailer
	pad           int    // bytes of padding header on each request
	// closes: the client must not send a second request on a connection.
	closes bool
	// lateBytes: the anomaly arrives after the answer, in a write of its own.
	// A connection taken from the pool before those bytes arrive gets them as
	// its answer, through either transport: the race both clients share (see
	// conn.usable). The concurrent round, which cannot order them, is skipped.
	lateBytes bool
	// reused: sequential requests must share one connection.
	reused bool
}

func expecting(e expect) *expect { return &e }

func (c diffCase) check(t *testing.T, kind string, o diffOutcome, w expect) {
	t.Helper()
	if foreignBody(o.body, o.id) {
		t.Errorf("%s: got a response that belongs to another request: %v", kind, o)
		return
	}
	status, body := c.status, ownBody(o.id)
	if status == 0 {
		status = 200
	}
	if c.bodyless {
		body = ""
	}
	if c.body != "" {
		body = c.body
	}
	isOK := o.err == nil && o.bodyErr == nil && o.status == status && o.body == body && o.trailer == c.trailer
	isFail := o.err != nil || o.bodyErr != nil
	isPartial := o.err == nil && o.bodyErr != nil && o.status == status && strings.HasPrefix(body, o.body)
	good := map[expect]bool{expectOK: isOK, expectFail: isFail, expectPartial: isPartial, expectOKOrFail: isOK || isFail}[w]
	if !good {
		t.Errorf("%s: want %v (status %d body %q trailer %q), got %v", kind, w, status, body, c.trailer, o)
	}
}

// diffCases are the hostile upstreams. Every case runs four sequential
// requests, then four concurrent ones, through each transport.
var diffCases = []diffCase{
	{
		name:   "a well-behaved upstream is answered on one reused connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool { c.write(answerTo(id)); return true }),
		want:   expecting(expectOK), reused: true,
	},
	{
		name: "an extra response in the same write as the answer is never delivered to the next request",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id) + injectedResponse)
			return true
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "an extra response a few ms after the answer is never delivered to the next request",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id))
			time.Sleep(5 * time.Millisecond)
			c.write(injectedResponse)
			return true
		}),
		want: expecting(expectOK), closes: true, lateBytes: true,
	},
	{
		name: "a stray byte sent on the idle connection retires it",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id))
			time.Sleep(2 * time.Millisecond)
			c.write("\n")
			return true
		}),
		want: expecting(expectOK), closes: true, lateBytes: true,
	},
	{
		name: "a 408 on an idle connection is the upstream closing it, not an answer",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id))
			time.Sleep(2 * time.Millisecond)
			c.write("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
			return false
		}),
		want: expecting(expectOK), closes: true, lateBytes: true,
	},
	{
		name:   "an upstream that closes right after answering costs a new connection, not an error",
		script: everyRequest(func(c *hostileConn, id, _ string) bool { c.write(answerTo(id)); return false }),
		want:   expecting(expectOK), closes: true,
	},
	{
		name: "an upstream that closes an idle connection a few ms later costs a new connection, not an error",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id))
			time.Sleep(5 * time.Millisecond)
			return false
		}),
		want: expecting(expectOK), closes: true, lateBytes: true,
	},
	{
		name: "an upstream that resets an idle connection costs a new connection, not an error",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id))
			time.Sleep(2 * time.Millisecond)
			c.Conn.(*net.TCPConn).SetLinger(0)
			return false
		}),
		want: expecting(expectOK), closes: true, lateBytes: true,
	},
	{
		name:   "a HEAD answered with a body in the same write retires the connection",
		method: http.MethodHead,
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id))
			return true
		}),
		want: expecting(expectOK), bodyless: true, closes: true,
	},
	{
		name:   "a HEAD answered with a body in a later write retires the connection",
		method: http.MethodHead,
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			body := ownBody(id)
			c.write(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body)))
			time.Sleep(5 * time.Millisecond)
			c.write(body)
			return true
		}),
		want: expecting(expectOK), bodyless: true, closes: true, lateBytes: true,
	},
	{
		name: "a 204 with a body retires the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			body := ownBody(id)
			c.write(fmt.Sprintf("HTTP/1.1 204 No Content\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
			return true
		}),
		want: expecting(expectOK), status: 204, bodyless: true, closes: true,
	},
	{
		name: "a 304 with a body retires the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			body := ownBody(id)
			c.write(fmt.Sprintf("HTTP/1.1 304 Not Modified\r\nContent-Length: %d\r\n\r\n", len(body)))
			time.Sleep(time.Millisecond)
			c.write(body)
			return true
		}),
		want: expecting(expectOK), status: 304, bodyless: true, closes: true, lateBytes: true,
	},
	{
		name: "a body shorter than its Content-Length is an error",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + ownBody(id))
			return false
		}),
		want: expecting(expectPartial), closes: true,
	},
	{
		name: "a body longer than its Content-Length retires the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			body := ownBody(id)
			c.write(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s%s", len(body), body, "tail of a longer body"))
			return true
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "an answer written before the request was read in full is taken, and the connection kept",
		script: func(c *hostileConn) {
			for {
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				line, err := c.br.ReadString('\n')
				if err != nil {
					return
				}
				c.counted()
				path := strings.Fields(line + " x x")[1]
				c.write(answerTo(strings.TrimPrefix(path, "/r/")))
				for { // now the headers, padding included
					l, err := c.br.ReadString('\n')
					if err != nil {
						c.done()
						return
					}
					if l == "\r\n" {
						break
					}
				}
				c.done()
			}
		},
		pad: 1 << 20, // more than the socket buffers: the request is still being sent
		// The direct path writes the whole request before it reads, and
		// keeps the connection; http.Transport reads the answer while its
		// write loop is still sending, and drops a connection whose request
		// is not written 50 ms after the answer: reuse is not asserted.
		want: expecting(expectOK),
	},
	{
		name: "an early 400 with Connection: close, sent before the request, ends the connection",
		script: func(c *hostileConn) {
			c.write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 5\r\n\r\nearly")
			c.done()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, c) // until the client closes: no reset
		},
		// http.Transport's read loop may see the bytes before the request is
		// counted, call them unsolicited and fail the request; the direct
		// path writes first and reads the 400. Both are fine.
		want: expecting(expectOKOrFail), status: 400, body: "early", closes: true,
	},
	{
		name: "a 100 Continue before the answer is skipped",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 100 Continue\r\n\r\n" + answerTo(id))
			return true
		}),
		want: expecting(expectOK), reused: true,
	},
	{
		name: "a 103 Early Hints before the answer is skipped",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", answerTo(id))
			return true
		}),
		want: expecting(expectOK), reused: true,
	},
	{
		name: "three 1xx before the answer are skipped",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 103 Early Hints\r\n\r\n", answerTo(id))
			return true
		}),
		want: expecting(expectOK), reused: true,
	},
	{
		name: "more 1xx than the direct path's count limit fail there; http.Transport only counts their bytes",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", maxInformational+1) + answerTo(id))
			return true
		}),
		want: expecting(expectFail), wantStd: expecting(expectOK), closes: false,
	},
	{
		name: "1xx past the header byte limit fail",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 200) + answerTo(id))
			return true
		}),
		want: expecting(expectFail), closes: true,
	},
	{
		name: "an unasked 101 Switching Protocols fails on the direct path; http.Transport returns it and drops the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 101 Switching Protocols\r\n\r\n" + ownBody(id))
			return true
		}),
		want: expecting(expectFail), wantStd: expecting(expectOK), status: 101, bodyless: true, closes: true,
	},
	{
		name: "a Connection: close answer is not reused although the upstream keeps the socket open",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id, "Connection: close"))
			return true
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "an HTTP/1.0 answer without a length is read to EOF",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.0 200 OK\r\n\r\n" + ownBody(id))
			return false
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "an HTTP/1.0 answer with a length is not reused although the upstream keeps the socket open",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.0 200 OK\r\nContent-Length: " + fmt.Sprint(len(ownBody(id))) + "\r\n\r\n" + ownBody(id))
			return true
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "an HTTP/1.1 answer without a length is read to EOF",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 200 OK\r\n\r\n", ownBody(id))
			return false
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "a chunked answer with trailers keeps the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			body := ownBody(id)
			c.write(fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n%x\r\n%s\r\n", len(body), body),
				"0\r\nX-Sum: 42\r\n\r\n")
			return true
		}),
		want: expecting(expectOK), trailer: "42", reused: true,
	},
	{
		name: "garbage after a chunked answer retires the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			body := ownBody(id)
			c.write(fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\ngarbage", len(body), body))
			return true
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "a stray CRLF after an answer retires the connection",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write(answerTo(id) + "\r\n")
			return true
		}),
		want: expecting(expectOK), closes: true,
	},
	{
		name: "response headers over the limit fail",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 8<<10) + "\r\n" + strings.TrimPrefix(answerTo(id), "HTTP/1.1 200 OK\r\n"))
			return true
		}),
		want: expecting(expectFail), closes: true,
	},
	{
		name: "an invalid status line fails",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
			return true
		}),
		want: expecting(expectFail), closes: true,
	},
	{
		name: "an answer that is not HTTP fails",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("SSH-2.0-OpenSSH_9.6\r\n")
			return true
		}),
		want: expecting(expectFail), closes: true,
	},
	{
		name: "conflicting Content-Length headers fail",
		script: everyRequest(func(c *hostileConn, id, _ string) bool {
			c.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nid=x")
			return true
		}),
		want: expecting(expectFail), closes: true,
	},
}

func TestDirectTransportAgreesWithHTTPTransportOnHostileUpstreams(t *testing.T) {
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			cl := newDiffClients(t)
			c.run(t, "direct path", cl.direct, c.want, func() {})
			// A long poll waits for the answer's first byte before it
			// takes a read buffer (Transport.LongPoll): the same bytes
			// must get the same outcome.
			poll := newDiffClients(t)
			poll.direct.LongPoll = true
			c.run(t, "direct path, long poll", poll.direct, c.want, func() {})
			w := c.want
			if c.wantStd != nil {
				w = c.wantStd
			}
			c.run(t, "http.Transport", cl.std, w, func() {
				// http.Transport notices unsolicited bytes and EOF on its
				// read loop, a goroutine of its own; let it, so that its
				// diffOutcome does not depend on the scheduler. The direct path
				// must notice them synchronously and gets no such grace.
				eventually(t, "http.Transport to close its connection", func() bool { return cl.stdOpen.Load() == 0 })
			})
		})
	}
}

// run sends four sequential requests, then four concurrent ones, through tr to
// a fresh upstream running the case's script, and checks each diffOutcome and how
// many requests each connection carried. grace runs after a sequential
// exchange that must end its connection.
func (c diffCase) run(t *testing.T, kind string, tr http.RoundTripper, w *expect, grace func()) {
	const sequential, concurrent = 4, 4
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	isStd := kind == "http.Transport"
	h := newHostile(t, c.script)
	for i := range sequential {
		id := fmt.Sprintf("s%d", i)
		c.check(t, kind, sendAndRead(tr, method, h.url(id), id, c.pad), *w)
		// Let the upstream finish writing, extras included, so that they
		// are on the socket before the next request is sent.
		h.waitHandled(t, int64(i+1))
		if c.closes {
			grace()
		}
	}
	perConn := h.requestsPerConn()
	if c.reused && (len(perConn) != 1 || perConn[0] != sequential) {
		t.Errorf("%s: requests per connection %v, want all %d on one", kind, perConn, sequential)
	}
	// Concurrently a connection may be taken from the pool before late bytes
	// arrive, through either transport (see diffCase.lateBytes).
	if !c.lateBytes {
		var wg sync.WaitGroup
		outs := make([]diffOutcome, concurrent)
		for i := range concurrent {
			id := fmt.Sprintf("c%d", i)
			wg.Go(func() { outs[i] = sendAndRead(tr, method, h.url(id), id, c.pad) })
		}
		wg.Wait()
		for _, o := range outs {
			if !isStd {
				c.check(t, kind+", concurrently", o, *w)
				continue
			}
			// http.Transport puts a connection back in the pool before its
			// read loop peeks at it, so a request waiting for a connection
			// can be handed one with unsolicited bytes already buffered and
			// get them as its answer (or fail on them). Its race, not the
			// direct path's: only the direct path is held to the
			// expectation when requests overlap.
			if foreignBody(o.body, o.id) {
				t.Logf("%s, concurrently (its read-loop race): %v", kind, o)
			}
		}
		if !isStd {
			perConn = h.requestsPerConn()
		}
	}
	if c.closes {
		for i, n := range perConn {
			if n > 1 {
				t.Errorf("%s: connection %d carried %d requests after a framing anomaly (all: %v)", kind, i, n, perConn)
			}
		}
	}
}
