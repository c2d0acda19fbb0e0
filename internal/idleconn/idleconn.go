// Package idleconn tells whether the peer of a pooled, idle connection has
// sent anything since its last answer: a byte, an EOF or a reset. Any of
// them makes the connection unfit to lend: bytes most of all, for they
// would be read as the answer to the next request. Both of bulwark's
// connection pools ask it before they lend a connection: the upstream
// client (internal/h1) and the Redis rate limiter (internal/ratelimit).
//
// The check is one non-blocking read(2) of the socket, under the poller's
// read lock. A past read deadline and a Peek would not do: Go fails a read
// whose deadline has passed before it asks the socket anything.
package idleconn

import (
	"net"
	"runtime"
	"syscall"
)

// Supported reports platforms whose sockets are non-blocking file
// descriptors, where Quiet can look with one read(2). Elsewhere New
// returns nil.
var Supported = map[string]bool{"linux": true, "android": true, "darwin": true, "ios": true,
	"freebsd": true, "netbsd": true, "openbsd": true, "dragonfly": true, "illumos": true,
	"solaris": true, "aix": true}[runtime.GOOS]

// Check is one connection's idle check, built once so that each check
// allocates nothing. It is for one goroutine at a time: the pool's, while
// the connection is idle.
type Check struct {
	raw  syscall.RawConn
	read func(fd uintptr) bool // made once: no closure per check
	n    int
	err  error
	b    [1]byte
}

// New returns nc's check, or nil when nc is not a socket (a test's pipe)
// or the platform is not Supported.
func New(nc net.Conn) *Check {
	sc, ok := nc.(syscall.Conn)
	if !Supported || !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &Check{raw: raw}
	c.read = func(fd uintptr) bool {
		c.n, c.err = readFD(syscall.Read, fd, c.b[:])
		return true // never wait for the poller: an idle socket has nothing
	}
	return c
}

// Quiet reports whether nothing has arrived on the connection: no byte, no
// EOF, no reset. A byte it reads is gone, so a connection found not quiet
// must be closed, never used.
func (c *Check) Quiet() bool {
	if err := c.raw.Read(c.read); err != nil {
		return false
	}
	return c.n <= 0 && c.err == syscall.EAGAIN // nothing to read, as internal/poll tests it
}

// readFD calls read, syscall.Read, with fd as the descriptor type of the
// platform (int on Unix, Handle on Windows), so that this file builds
// everywhere; Quiet runs only where Supported.
func readFD[FD ~int | ~uintptr](read func(FD, []byte) (int, error), fd uintptr, p []byte) (int, error) {
	return read(FD(fd), p)
}
