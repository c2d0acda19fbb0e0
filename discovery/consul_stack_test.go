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
// uses under a quarter of it, so the frames above the parked read decide
// its size. With the handling of answers kept out of those frames
// (blocking, serviceWatch.answer, decodeHealth), a watch that has decoded an
// answer and parked again holds an 8 KiB stack; before, 16 KiB, which at
// 1,000 services was 16 MiB of stacks (issue 20). Stack sizes are powers of
// two and shrinking is decided at each collection, so this is a count, not
// a timing.
//
// The race detector doubles stack guards and grows frames, which blurs the
// 8 and 16 KiB apart: scripts/test.sh runs this test once without it.
func TestParkedWatchesKeepSmallStacks(t *testing.T) {
	if raceEnabled {
		t.Skip("stack sizes under the race detector are not a release build's; scripts/test.sh runs this without -race")
	}
	const watches = 200
	release := make(chan struct{})
	var parked sync.WaitGroup
	parked.Add(watches)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); close(release); conns.Wait() })
	body := `[{"Node":{"Node":"n1","Address":"10.0.0.1"},"Service":{"ID":"a-1","Address":"127.0.0.1","Port":9001,` +
		`"Tags":["bulwark.route=/a"],"Meta":{"k":"v"},"Weights":{"Passing":1}},"Checks":[{"CheckID":"serfHealth","Status":"passing"}]}]`
	conns.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { answerOnceThenHold(c, body, &parked, release) })
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
		running.Go(func() { c.watchService(ctx, fmt.Sprintf("s%d", i), "", out) })
	}
	for range watches {
		<-out
	}
	parked.Wait() // every watch has sent its second query and waits for the answer
	var after runtime.MemStats
	for range 4 { // each collection halves a stack at most once
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	// Each watch's stack, and the fake agent's goroutine that holds its
	// connection (a few KiB, parked in a shallow frame).
	perWatch := (int64(after.StackInuse) - int64(before.StackInuse)) / watches
	t.Logf("stack per parked watch and its server goroutine: %d bytes", perWatch)
	// An 8 KiB stack and a small one pass; 16 KiB (before the frames were
	// trimmed) fails.
	if limit := int64(14 << 10); perWatch > limit {
		t.Fatalf("each parked watch keeps %d bytes of stack with its server goroutine, want at most %d: "+
			"a frame above the parked query grew (see blocking)", perWatch, limit)
	}
}

// answerOnceThenHold answers queries on c: one without an index at once,
// and holds one waiting on an index until release, as Consul holds a
// blocking query with no change. (A connection may carry one watch's first
// query and then another's: the watches share a pool.)
func answerOnceThenHold(c net.Conn, body string, parked *sync.WaitGroup, release <-chan struct{}) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 512)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		if idx := req.URL.Query().Get("index"); idx != "" && idx != "0" {
			parked.Done()
			<-release
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Consul-Index: 5\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
}
