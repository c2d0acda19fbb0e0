package test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// upstream is a real HTTP server behind the gateway that records what reached it:
// a count of requests (incremented as soon as the handler runs, that is as soon as
// a request's headers arrived), each request's method, path, headers and body, and
// the raw bytes of every connection, so framing can be checked byte for byte.
type upstream struct {
	Name string
	srv  *httptest.Server

	// delay, when set, is slept before answering (a slow upstream).
	delay time.Duration

	count  atomic.Int64 // requests whose headers reached the handler
	active atomic.Int64 // handlers running now

	mu   sync.Mutex
	reqs []recordedRequest
	raw  bytes.Buffer
}

// recordedRequest is what the upstream's handler saw.
type recordedRequest struct {
	Method, Path, RawPath string
	Header                http.Header
	Body                  string
	BodyErr               error
}

// newUpstream starts an upstream that answers 200 "upstream NAME METHOD PATH"
// after reading the whole body. It is closed at the end of the test.
func newUpstream(t *testing.T, name string) *upstream {
	return newUpstreamDelay(t, name, 0)
}

// newUpstreamDelay starts an upstream that sleeps delay before answering.
func newUpstreamDelay(t *testing.T, name string, delay time.Duration) *upstream {
	u := &upstream{Name: name, delay: delay}
	u.srv = httptest.NewUnstartedServer(http.HandlerFunc(u.serve))
	u.srv.Listener = &recordingListener{Listener: u.srv.Listener, u: u}
	u.srv.Config.ReadHeaderTimeout = 5 * time.Second
	u.srv.Start()
	t.Cleanup(u.srv.Close)
	return u
}

// Addr is the upstream's host:port, as static discovery lists it.
func (u *upstream) Addr() string { return u.srv.Listener.Addr().String() }

// Count is the number of requests that reached the handler.
func (u *upstream) Count() int64 { return u.count.Load() }

// Active is the number of requests the upstream is handling now.
func (u *upstream) Active() int64 { return u.active.Load() }

// Raw returns the bytes received so far on every connection.
func (u *upstream) Raw() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	return bytes.Clone(u.raw.Bytes())
}

// Requests returns a copy of the recorded requests.
func (u *upstream) Requests() []recordedRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recordedRequest(nil), u.reqs...)
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	// The documentation catalog asks every routed service for its API
	// description in the background; that is not client traffic, which is
	// what these upstreams count.
	if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") {
		http.NotFound(w, r)
		return
	}
	u.count.Add(1)
	u.active.Add(1)
	defer u.active.Add(-1)
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	u.mu.Lock()
	u.reqs = append(u.reqs, recordedRequest{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.RawPath,
		Header: r.Header.Clone(), Body: string(body), BodyErr: err,
	})
	u.mu.Unlock()
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if u.delay > 0 {
		select {
		case <-time.After(u.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "upstream %s %s %s", u.Name, r.Method, r.URL.Path)
}

// requestLine matches an HTTP/1.1 request line in raw upstream bytes.
var requestLine = regexp.MustCompile(`(?m)^[A-Z]+ \S+ HTTP/1\.1\r$`)

// recordingListener tees every byte read from its connections into u.raw.
type recordingListener struct {
	net.Listener
	u *upstream
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, u: l.u}, nil
}

type recordingConn struct {
	net.Conn
	u *upstream
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.u.mu.Lock()
		c.u.raw.Write(p[:n])
		c.u.mu.Unlock()
	}
	return n, err
}
