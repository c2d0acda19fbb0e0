// Package redistest runs real redis-server processes for tests: one per call,
// on a free loopback port, with no persistence, stopped when the test ends.
//
// A real server (not a fake) is what shared rate limits need to be tested
// against: Lua scripting with EVALSHA, the server's TIME, atomicity between
// clients, and what a client sees when the server goes away and comes back.
// The binary is Debian's redis-server (scripts/redis.sh installs it); without
// it tests skip, or fail when the CI environment variable is set, so CI never
// passes by silently skipping.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/bulwark-gw/bulwark/internal/nettest"
)

// readyTimeout bounds the wait for a started server to answer PING; it starts
// in milliseconds, so this means something is broken, not slow.
const readyTimeout = 10 * time.Second

// startAttempts bounds the retries on fresh ports when another process took
// the port between picking it and the server binding it.
const startAttempts = 3

// Server is one redis-server on 127.0.0.1. Stop and Start let a test take it
// away and bring it back on the same address, with an empty dataset.
type Server struct {
	bin  string
	port int
	dir  string
	out  nettest.Tail

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a server and returns its address and a function that stops it;
// the server is also stopped when the test ends.
func Start(t testing.TB) (addr string, stop func()) {
	t.Helper()
	s := New(t)
	return s.Addr(), s.Stop
}

// New starts a server on a free loopback port, waits until it answers PING,
// and stops it at the test's cleanup.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{bin: Binary(t), dir: t.TempDir()}
	var err error
	for range startAttempts {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("redistest: free port: %v", err)
		}
		if err = s.start(); err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		s.Stop()
		if !strings.Contains(s.out.String(), "in use") {
			break
		}
	}
	t.Fatalf("redistest: starting redis-server: %v\nserver output:\n%s", err, s.out.String())
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Start starts a stopped server again on the same port (empty: nothing is
// persisted), waiting until it answers PING. The port may have been taken
// meanwhile; then the test fails, saying so.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		s.Stop()
		t.Fatalf("redistest: restarting redis-server on %s: %v\nserver output:\n%s", s.Addr(), err, s.out.String())
	}
}

// Stop stops the server: SIGTERM, then SIGKILL after 5 s, and waits for it
// to exit. Calling it on a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	nettest.Stop(s.cmd.Process, s.done)
	s.cmd = nil
}

func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return fmt.Errorf("server on %s is already running", s.Addr())
	}
	cmd := exec.Command(s.bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return waitReady(s.Addr(), done)
}

// waitReady pings addr until it answers, the process exits, or readyTimeout
// passes.
func waitReady(addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var err error
	for {
		if err = ping(ctx, addr); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited before answering PING (last error: %v)", err)
		case <-ctx.Done():
			return fmt.Errorf("no PONG within %v (last error: %v)", readyTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ping dials addr and sends PING once, each step bounded by a second.
func ping(ctx context.Context, addr string) error {
	c, err := redis.DialContext(ctx, "tcp", addr,
		redis.DialConnectTimeout(time.Second), redis.DialReadTimeout(time.Second), redis.DialWriteTimeout(time.Second))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do("PING")
	return err
}

// Binary returns redis-server: $BULWARK_REDIS, else redis-server on PATH.
// When there is none it skips the test, or fails it when CI is set. A
// BULWARK_REDIS that is set but not an executable file is treated the same
// way rather than quietly replaced by another binary.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BULWARK_REDIS"); p != "" {
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			missing(t, fmt.Sprintf("BULWARK_REDIS=%s is not an executable file (unset it, or run scripts/redis.sh)", p))
		}
		return p
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	missing(t, "no redis-server: run scripts/redis.sh (installs Debian's redis-server), put it on PATH, or set BULWARK_REDIS")
	return ""
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal("redistest: " + msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip("redistest: " + msg)
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
