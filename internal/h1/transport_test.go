package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testTransport is the transport a gateway service with these timeouts gets.
func testTransport(t *testing.T, header, idle time.Duration) *Transport {
	t.Helper()
	tr := New(fallbackLike(header, idle, 4<<10))
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// fetch sends a request through tr and reads the whole response.
func fetch(t *testing.T, tr http.RoundTripper, method, url string, body io.Reader) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, string(b), err
}

// readRequest reads one request off a raw connection, body included.
func readRequest(t *testing.T, br *bufio.Reader) *http.Request {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil
	}
	io.Copy(io.Discard, req.Body)
	return req
}

func TestDirectTransportCarriesOnlyReplayableBodylessPlainRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		url    string
		body   io.Reader
		header string
		want   bool
	}{
		{"a GET without a body goes direct", "GET", "http://u/x", nil, "", true},
		{"a HEAD goes direct", "HEAD", "http://u/x", nil, "", true},
		{"an OPTIONS goes direct", "OPTIONS", "http://u/x", nil, "", true},
		{"a POST is not replayable, so it takes http.Transport", "POST", "http://u/x", nil, "", false},
		{"a DELETE takes http.Transport", "DELETE", "http://u/x", nil, "", false},
		{"a GET with a body takes http.Transport", "GET", "http://u/x", strings.NewReader("x"), "", false},
		{"an upgrade takes http.Transport", "GET", "http://u/x", nil, "websocket", false},
		{"HTTPS takes http.Transport", "GET", "https://u/x", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, tc.body)
			if tc.header != "" {
				req.Header.Set("Upgrade", tc.header)
			}
			if got := Directable(req); got != tc.want {
				t.Fatalf("directable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDirectTransportReusesOneConnectionForSequentialRequests(t *testing.T) {
	u := newUpstream(t, "a", nil)
	tr := testTransport(t, 0, time.Minute)
	for i := range 20 {
		res, body, err := fetch(t, tr, "GET", u.URL+fmt.Sprintf("/n/%d", i), nil)
		if err != nil || res.StatusCode != 200 || body != "a" {
			t.Fatalf("request %d: %v %v %q", i, res, err, body)
		}
	}
	if n := u.conns.Load(); n != 1 {
		t.Fatalf("upstream accepted %d connections for 20 sequential requests, want 1", n)
	}
	if got := u.lastPath(); got != "/n/19" {
		t.Fatalf("last path %q", got)
	}
}

func TestDirectTransportRetriesOnANewConnectionWhenTheUpstreamClosedAnIdleOne(t *testing.T) {
	var accepted atomic.Int64
	addr := rawServer(t, func(c net.Conn) {
		accepted.Add(1)
		// Answer one request as keep-alive, then close: what an upstream does
		// when its idle timeout fires between two requests.
		if readRequest(t, bufio.NewReader(c)) != nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	tr := testTransport(t, 0, time.Minute)
	for i := range 3 {
		res, body, err := fetch(t, tr, "GET", "http://"+addr+"/", nil)
		if err != nil || res.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d after the upstream closed the idle connection: %v %q", i, err, body)
		}
		time.Sleep(20 * time.Millisecond) // let the close arrive
	}
	if n := accepted.Load(); n != 3 {
		t.Fatalf("accepted %d connections, want 3 (one per request)", n)
	}
}

func TestDirectTransportClosesAConnectionWhoseBodyWasAbandoned(t *testing.T) {
	u := newUpstream(t, "a", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 64<<10))
	})
	tr := testTransport(t, 0, time.Minute)
	for range 2 {
		req, _ := http.NewRequest("GET", u.URL+"/", nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Read(make([]byte, 10))
		res.Body.Close()
	}
	if n := u.conns.Load(); n != 2 {
		t.Fatalf("accepted %d connections, want 2: a half-read connection must not be reused", n)
	}
}

func TestDirectTransportRejectsOversizedResponseHeaders(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(t, bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("b", 8<<10)+"\r\nContent-Length: 0\r\n\r\n")
	})
	_, _, err := fetch(t, testTransport(t, 0, time.Minute), "GET", "http://"+addr+"/", nil)
	if err == nil || !strings.Contains(err.Error(), "exceed") {
		t.Fatalf("err = %v, want the header limit named", err)
	}
}

func TestDirectTransportNamesEachRefusedResponseAndItsClass(t *testing.T) {
	for _, tc := range []struct{ name, reply, text string }{
		{"headers beyond the limit", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 8<<10) + "\r\n\r\n",
			"upstream response headers exceed 4096 bytes"},
		{"a status code below 100", "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n", "upstream sent status code 099"},
		{"more 1xx than maxInformational", strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", maxInformational+1) +
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "upstream sent too many 1xx responses"},
		{"a 101 nobody asked for", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "upstream switched protocols without being asked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, func(c net.Conn) {
				readRequest(t, bufio.NewReader(c))
				io.WriteString(c, tc.reply)
			})
			_, _, err := fetch(t, testTransport(t, 0, time.Minute), "GET", "http://"+addr+"/", nil)
			if !errors.Is(err, ErrMalformedResponse) || err.Error() != tc.text {
				t.Fatalf("err = %v, want %q as an ErrMalformedResponse", err, tc.text)
			}
		})
	}
}

func TestDirectTransportTimesOutWaitingForHeaders(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(t, bufio.NewReader(c))
		io.Copy(io.Discard, c) // never answers
	})
	// The upstream never answers, so returning at all is the timeout working.
	// A net.Error that says Timeout is what the gateway answers 504.
	_, _, err := fetch(t, testTransport(t, 100*time.Millisecond, time.Minute), "GET", "http://"+addr+"/", nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a net.Error timeout", err)
	}
}

func TestDirectTransportStopsWhenTheRequestIsCancelled(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(t, bufio.NewReader(c))
		io.Copy(io.Discard, c)
	})
	tr := testTransport(t, 0, time.Minute)
	ctx, cancel := context.WithCancelCause(context.Background())
	errWholeRequest := errors.New("the whole-request timeout fired")
	time.AfterFunc(50*time.Millisecond, func() { cancel(errWholeRequest) })
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/", nil)
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, errWholeRequest) {
		t.Fatalf("err = %v, want the context's cause", err)
	}
}

func TestDirectTransportPassesInformationalResponsesToTheTrace(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		readRequest(t, bufio.NewReader(c))
		io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"+
			"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")
	})
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, fmt.Sprintf("%d %s", code, h.Get("Link")))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "http://"+addr+"/", nil)
	res, err := testTransport(t, 0, time.Minute).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "done" || len(hints) != 1 || hints[0] != "103 </a.css>; rel=preload" {
		t.Fatalf("status %d body %q hints %q", res.StatusCode, b, hints)
	}
}

func TestDirectTransportKeepsTrailers(t *testing.T) {
	u := newUpstream(t, "a", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
	})
	res, body, err := fetch(t, testTransport(t, 0, time.Minute), "GET", u.URL+"/", nil)
	if err != nil || body != "body" || res.Trailer.Get("X-Sum") != "42" {
		t.Fatalf("err %v body %q trailer %v", err, body, res.Trailer)
	}
}

func TestDirectTransportClosesConnectionsIdleLongerThanTheIdleTimeout(t *testing.T) {
	u := newUpstream(t, "a", nil)
	tr := testTransport(t, 0, 50*time.Millisecond)
	if _, _, err := fetch(t, tr, "GET", u.URL+"/", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the idle connection to be closed", func() bool { return u.closed.Load() == 1 })
}

func TestDirectTransportLeavesPostsToHTTPTransport(t *testing.T) {
	u := newUpstream(t, "a", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	res, body, err := fetch(t, testTransport(t, 0, time.Minute), "POST", u.URL+"/", strings.NewReader("payload"))
	if err != nil || res.StatusCode != 200 || body != "payload" {
		t.Fatalf("err %v body %q", err, body)
	}
}

func TestDirectTransportTakesAZeroFallbacksDefaultsAsHTTPTransportDoes(t *testing.T) {
	u := newUpstream(t, "a", nil)
	tr := New(&http.Transport{})
	t.Cleanup(tr.CloseIdleConnections)
	if tr.maxHeader != 10<<20 || tr.maxIdle != http.DefaultMaxIdleConnsPerHost || tr.dial == nil {
		t.Fatalf("header limit %d, idle per host %d, dialer set %v: want net/http's defaults",
			tr.maxHeader, tr.maxIdle, tr.dial != nil)
	}
	for i := range 3 {
		if _, body, err := fetch(t, tr, "GET", u.URL+"/", nil); err != nil || body != "a" {
			t.Fatalf("request %d: %v %q", i, err, body)
		}
	}
	// No IdleConnTimeout: no limit, so the connection is reused and no sweep runs.
	tr.mu.Lock()
	sweeping := tr.sweep != nil
	tr.mu.Unlock()
	if n := u.conns.Load(); n != 1 || sweeping {
		t.Fatalf("%d connections (want 1), sweep armed %v (want none)", n, sweeping)
	}
}
