package h1

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzUpstreamResponse writes the fuzz bytes as an upstream's reply to a first
// request, through the direct path and through http.Transport, then sends a
// second request, which the upstream answers properly. The reply may hold a
// second response, or a part of one, meant for that second request: the
// desynchronisation the direct path must never fall for. When split is inside
// the reply, the bytes from split on follow in a second write a moment later,
// and the second request waits for them to be sent (late bytes on an idle
// connection).
//
// It checks that neither transport panics or hangs; that the direct path never
// returns a clean 2xx for bytes http.Transport fails on (the direct path may be
// stricter: more than maxInformational 1xx, an unasked 101); that when both
// read the reply cleanly they read the same status and body; and that the
// second request always gets its own answer through the direct path, whatever
// the first one left on the connection.
func FuzzUpstreamResponse(f *testing.F) {
	const a = "id=a;"
	late := func(first, then string) (string, uint16) { return first + then, uint16(len(first)) }
	for _, seed := range []struct {
		reply string
		head  bool
	}{
		{answerTo("a"), false},
		{answerTo("a") + injectedResponse, false},
		{answerTo("a") + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nid=b;", false},
		{answerTo("a"), true}, // a HEAD answered with a body
		{"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n" + a, false},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" + a, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + a, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + a, false},
		{"HTTP/1.1 100 Continue\r\n\r\n" + answerTo("a"), false},
		{"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n" + answerTo("a"), false},
		{strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", maxInformational+1) + answerTo("a"), false},
		{strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 200) + answerTo("a"), false},
		{"HTTP/1.1 101 Switching Protocols\r\n\r\n" + a, false},
		{"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n" + a, false},
		{answerTo("a", "Connection: close"), false},
		{"HTTP/1.0 200 OK\r\n\r\n" + a, false},
		{"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n" + a, false},
		{"HTTP/1.1 200 OK\r\n\r\n" + a, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\n" + a + "\r\n0\r\nX-Sum: 42\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n" + a + "\r\n0\r\n\r\ngarbage", false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + a, false},
		{answerTo("a") + "\r\n", false},
		{"HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 8<<10) + "\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", false},
		{"SSH-2.0-OpenSSH_9.6\r\n", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nid=x", false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n" + a + "\r\n0\r\n\r\n", false},
		{"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n", false},
		{"", false},
	} {
		f.Add([]byte(seed.reply), uint16(0), seed.head)
	}
	for _, seed := range [][2]string{
		{answerTo("a"), injectedResponse},
		{answerTo("a"), "\n"},
		{answerTo("a"), "HTTP/1.1 408 Request Timeout\r\n\r\n"},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", a},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nid", "=a;"},
	} {
		reply, split := late(seed[0], seed[1])
		f.Add([]byte(reply), split, false)
	}
	reply, split := late(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(a)), a)
	f.Add([]byte(reply), split, true) // a HEAD's body, late
	// One upstream for every input: a listener per input would run the
	// machine out of ports within seconds. Each run sets what it replies.
	type script struct {
		reply   []byte
		split   uint16
		replied atomic.Bool
		written chan struct{} // closed once the reply is written, late bytes included
	}
	var current atomic.Pointer[script]
	h := newHostileWaiting(f, 5*time.Millisecond, func(c *hostileConn) {
		for {
			id, _, ok := c.next()
			if !ok {
				return
			}
			s := current.Load()
			if !s.replied.CompareAndSwap(false, true) {
				c.write(answerTo(id))
				continue
			}
			if int(s.split) > 0 && int(s.split) < len(s.reply) {
				c.write(string(s.reply[:s.split]))
				time.Sleep(time.Millisecond)
				c.write(string(s.reply[s.split:]))
			} else {
				c.write(string(s.reply))
			}
			close(s.written)
		}
	})

	f.Fuzz(func(t *testing.T, reply []byte, split uint16, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		cl := newDiffClients(t)
		// Half the inputs go through a long poll's first-byte wait
		// (Transport.LongPoll), which must read every reply alike.
		cl.direct.LongPoll = len(reply)%2 == 1
		// An id the reply cannot contain but by chance: a forged answer to
		// the second request must not pass for the real one.
		second := fmt.Sprintf("b%016x", rand.Uint64())
		run := func(tr http.RoundTripper) (first, next diffOutcome) {
			s := &script{reply: reply, split: split, written: make(chan struct{})}
			current.Store(s)
			first = sendAndReadWithin(tr, method, h.url("a"), "a", 0, 10*time.Second)
			select { // late bytes are on the socket before the next request
			case <-s.written:
			case <-time.After(10 * time.Second):
				t.Fatal("the upstream did not finish its reply")
			}
			next = sendAndReadWithin(tr, http.MethodGet, h.url(second), second, 0, 10*time.Second)
			return first, next
		}
		direct, directNext := run(cl.direct)
		std, _ := run(cl.std) // its second answer may be racy (see the differential test)

		for _, o := range []diffOutcome{direct, directNext, std} {
			if errors.Is(o.err, context.DeadlineExceeded) || errors.Is(o.bodyErr, context.DeadlineExceeded) {
				t.Fatalf("hung: %v", o)
			}
		}
		directClean := direct.err == nil && direct.bodyErr == nil
		stdClean := std.err == nil && std.bodyErr == nil
		if !stdClean && directClean && direct.status >= 200 && direct.status < 300 {
			t.Errorf("direct path returned %v where http.Transport failed: %v", direct, std)
		}
		if stdClean && directClean && (direct.status != std.status || direct.body != std.body) {
			t.Errorf("the transports read the same reply differently:\ndirect path:    %v\nhttp.Transport: %v", direct, std)
		}
		if directNext.err != nil || directNext.bodyErr != nil || directNext.status != 200 || directNext.body != ownBody(second) {
			t.Errorf("after the reply %q, the next request got %v, want its own answer", reply, directNext)
		}
	})
}
