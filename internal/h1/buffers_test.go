package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// An idle connection keeps no buffer: they go back to the pool when the
// response ends, and the next request on the connection takes them again.
func TestIdleConnectionsHoldNoBuffers(t *testing.T) {
	u := newUpstream(t, "a", nil)
	tr := testTransport(t, 0, time.Minute)
	for i := range 3 {
		res, body, err := fetch(t, tr, "GET", u.URL+"/", nil)
		if err != nil || res.StatusCode != 200 || body != "a" {
			t.Fatalf("request %d: %v %v %q", i, res, err, body)
		}
		tr.mu.Lock()
		idle := tr.idle[u.Listener.Addr().String()]
		if len(idle) != 1 {
			tr.mu.Unlock()
			t.Fatalf("request %d: %d idle connections, want 1", i, len(idle))
		}
		br, bw := idle[0].br, idle[0].bw
		tr.mu.Unlock()
		if br != nil || bw != nil {
			t.Fatalf("request %d: the idle connection holds a read buffer (%v) or a write buffer (%v)", i, br != nil, bw != nil)
		}
	}
	if n := u.conns.Load(); n != 1 {
		t.Fatalf("%d connections for 3 sequential requests, want 1 reused", n)
	}
}

// Long polls waiting for their answers hold no read buffer either
// (Transport.LongPoll): parked, each keeps about 4 KiB less heap than the
// same request without LongPoll, which holds its buffer while it waits. The
// answer, when it comes, is read whole, its first byte included.
func TestParkedLongPollsHoldNoReadBuffer(t *testing.T) {
	plain := parkedHeapPerPoll(t, false)
	long := parkedHeapPerPoll(t, true)
	t.Logf("heap per parked request: %d bytes, %d as a long poll", plain, long)
	if plain-long < 3<<10 {
		t.Fatalf("a parked long poll holds %d bytes of heap, a parked request %d: want the 4 KiB read buffer less", long, plain)
	}
}

// parkedHeapPerPoll parks 200 requests on an upstream that answers only when
// all have arrived, and returns the heap each holds while parked.
func parkedHeapPerPoll(t *testing.T, longPoll bool) int64 {
	const polls = 200
	release := make(chan struct{})
	var arrived sync.WaitGroup
	arrived.Add(polls)
	addr := rawServer(t, func(c net.Conn) {
		// A buffer of its own as small as bufio allows: the server's
		// side of each connection is in this heap too.
		if readRequest(t, bufio.NewReaderSize(c, 16)) == nil {
			return
		}
		arrived.Done()
		select {
		case <-release:
		case <-time.After(time.Minute):
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nchanged")
	})
	tr := testTransport(t, 0, time.Minute)
	tr.LongPoll = longPoll

	before := heapInUse()
	var done sync.WaitGroup
	bodies := make([]string, polls)
	for i := range polls {
		done.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/v1/health/service/a?index=7", nil)
			res, err := tr.RoundTrip(req)
			if err != nil {
				bodies[i] = err.Error()
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			bodies[i] = string(b)
		})
	}
	arrived.Wait()
	perPoll := (int64(heapInUse()) - int64(before)) / polls
	close(release)
	done.Wait()
	for i, b := range bodies {
		if b != "changed" {
			t.Fatalf("poll %d (long poll %v) read %q, want the whole answer", i, longPoll, b)
		}
	}
	return perPoll
}

// heapInUse is the heap in use after two collections: the second empties
// the pools' victim caches, whose buffers nobody holds.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
