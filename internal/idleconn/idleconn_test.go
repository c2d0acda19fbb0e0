package idleconn

import (
	"net"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// eventually polls c until it is no longer quiet: what the peer did
// reaches the socket a moment after the peer's call returns. Bounded by
// count, not by a clock.
func eventually(c *Check) bool {
	for range 2000 {
		if !c.Quiet() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

func TestQuietUntilThePeerSpeaks(t *testing.T) {
	if !Supported {
		t.Skip("no idle check on this platform")
	}
	for _, tc := range []struct {
		name string
		peer func(net.Conn)
	}{
		{"a stray byte", func(c net.Conn) { c.Write([]byte("x")) }},
		{"EOF", func(c net.Conn) { c.Close() }},
		{"reset", func(c net.Conn) {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := pair(t)
			c := New(client)
			if c == nil {
				t.Fatal("New gave no check for a TCP connection")
			}
			for range 3 {
				if !c.Quiet() {
					t.Fatal("an idle connection the peer has said nothing on is not quiet")
				}
			}
			tc.peer(server)
			if !eventually(c) {
				t.Fatalf("after %s from the peer the connection still looks quiet", tc.name)
			}
		})
	}
}

// The check is made on every connection a pool lends (the upstream
// client's hot path): it must not allocate.
func TestQuietAllocatesNothing(t *testing.T) {
	if !Supported {
		t.Skip("no idle check on this platform")
	}
	client, _ := pair(t)
	c := New(client)
	if allocs := testing.AllocsPerRun(100, func() { c.Quiet() }); allocs != 0 {
		t.Fatalf("Quiet allocates %.1f times per call, want 0", allocs)
	}
}

func TestNoCheckForWhatIsNotASocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if New(a) != nil {
		t.Fatal("New gave a check for a net.Pipe, which has no socket to read")
	}
}
