package discovery

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestParkedWatchesKeepSmallStacks: a watch spends its life parked in a
// blocking query, and Go shrinks a parked goroutine's stack only while it
// uses under a quarter of it. A watch that decoded answers and waited on
// one goroutine kept 16 KiB, then 8 KiB once the frames above the wait were
// trimmed (8 MiB at 1,000 services, issue 20). Now the wait is a goroutine
// of its own that does nothing else (startServiceWatch): a 4 KiB stack,
// measured with what the runtime's stack pools hold at ~5 KiB per watch
// over 1,000 watches (the pools' share shrinks as watches grow in number).
// Stack sizes are powers of two and shrinking is decided at each
// collection, so this is a count, not a timing.
//
// The race detector doubles stack guards and grows frames, which blurs the
// 4 and 8 KiB apart: scripts/test.sh runs this test once without it.
func TestParkedWatchesKeepSmallStacks(t *testing.T) {
	if raceEnabled {
		t.Skip("stack sizes under the race detector are not a release build's; scripts/test.sh runs this without -race")
	}
	const watches = 1000
	var held heldConns
	var parked sync.WaitGroup
	parked.Add(watches)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); held.closeAll(); conns.Wait() })
	body := `[{"Node":{"Node":"n1","Address":"10.0.0.1"},"Service":{"ID":"a-1","Address":"127.0.0.1","Port":9001,` +
		`"Tags":["bulwark.route=/a"],"Meta":{"k":"v"},"Weights":{"Passing":1}},"Checks":[{"CheckID":"serfHealth","Status":"passing"}]}]`
	conns.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { answerOnceThenHold(c, body, &parked, &held) })
		}
	})
	c, err := NewConsul(ConsulConfig{Address: ln.Addr().String(), Wait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	t.Cleanup(func() { cancel(); running.Wait() })
	out := make(chan update, watches)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range watches {
		c.startServiceWatch(ctx, fmt.Sprintf("s%d", i), "", out, &running)
	}
	for range watches {
		<-out
	}
	parked.Wait() // every watch has sent its second query and waits for the answer
	var after runtime.MemStats
	for range 8 { // each collection halves a stack at most once, and frees the stacks ended goroutines left
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	// The watches' stacks alone: the fake agent's goroutines have ended,
	// leaving their connections open (heldConns).
	perWatch := (int64(after.StackInuse) - int64(before.StackInuse)) / watches
	t.Logf("stack per parked watch: %d bytes", perWatch)
	// A 4 KiB wait passes; the 8 KiB of a watch waiting in its own loop fails.
	if limit := int64(7 << 10); perWatch > limit {
		t.Fatalf("each parked watch keeps %d bytes of stack, want at most %d: "+
			"the wait is no longer a goroutine of its own, or its frames grew (see startServiceWatch)", perWatch, limit)
	}
}

// answerOnceThenHold answers queries on c: one without an index at once,
// and holds one waiting on an index, as Consul holds a blocking query with
// no change: the connection goes to held, open and unanswered, and this
// goroutine ends, so that the stacks counted are the watches' alone. (A
// connection may carry one watch's first query and then another's: the
// watches share a pool.)
func answerOnceThenHold(c net.Conn, body string, parked *sync.WaitGroup, held *heldConns) {
	br := bufio.NewReaderSize(c, 512)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			c.Close()
			return
		}
		io.Copy(io.Discard, req.Body)
		if idx := req.URL.Query().Get("index"); idx != "" && idx != "0" {
			held.add(c)
			parked.Done()
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Consul-Index: 5\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
}

// heldConns are the connections whose blocking query is never answered,
// closed when the test ends.
type heldConns struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (h *heldConns) add(c net.Conn) {
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
}

func (h *heldConns) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
}
