// Package nettest holds the test helpers that more than one package's tests
// use to talk to real sockets: a raw TCP server that hands out connections,
// and a bounded poll for what a gateway records a moment after it answers.
// It is imported by tests and by the test helpers that start real servers
// (internal/consultest, internal/redistest).
package nettest

import (
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RawServer accepts TCP connections on a loopback port and hands each to
// serve on its own goroutine; the listener and all connections are closed,
// and the goroutines waited for, at cleanup. It returns the address.
func RawServer(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// Eventually polls cond every 10 ms for up to 5 s, and fails the test
// naming what it waited for. It is for what is recorded after a response
// is written (metrics, access log lines), never for timing a behaviour.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RefusingAddr is a loopback address that refuses connections for the rest
// of the test: a socket bound to it that never listens, so a connect gets a
// reset at once, and held until cleanup, so no listener opened meanwhile
// (a gateway's own, say, which would then proxy to itself) can take the
// port. A port merely closed after listening can be handed out again by
// the next listen on :0.
func RefusingAddr(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
