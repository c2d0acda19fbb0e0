// Command proxyfloor forwards GET requests to one upstream, two ways, to
// measure what a Go HTTP/1.1 proxy costs per request before any gateway
// work: the floor under issue 19's per-core targets against Traefik and nginx.
//
//	nethttp      net/http's server, and internal/h1 (bulwark's upstream
//	             client) writing each request and copying the answer back:
//	             the two halves bulwark is built of, with nothing between
//	readrequest  a loop around http.ReadRequest instead of net/http's
//	             server, the same client, and Response.Write: the standard
//	             parsers without a server's per-request machinery
//	raw      a goroutine per client connection, paired with a connection of
//	         its own to the upstream: it copies each request's bytes up to
//	         the blank line, and the answer's header and Content-Length body
//	         back, with no parsing beyond that; the syscalls and scheduling
//	         any Go proxy pays, and nothing else
//
// It is a measuring tool, never a proxy: it listens on loopback only,
// forwards to a loopback upstream only, and the raw loop skips every check a
// proxy owes its clients (it takes no request bodies and trusts the upstream).
//
//	go run ./bench/cmd/proxyfloor -mode raw -addr 127.0.0.1:18080 -upstream 127.0.0.1:18090
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/bulwark-gw/bulwark/internal/h1"
)

func main() {
	mode := flag.String("mode", "raw", "nethttp, readrequest or raw")
	addr := flag.String("addr", "127.0.0.1:18080", "loopback address to listen on")
	upstream := flag.String("upstream", "127.0.0.1:18090", "loopback host:port to forward to")
	flag.Parse()
	for _, a := range []string{*addr, *upstream} {
		if host, _, err := net.SplitHostPort(a); err != nil || !net.ParseIP(host).IsLoopback() {
			log.Fatalf("proxyfloor: -addr and -upstream must be loopback host:port, got %q", a)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	switch *mode {
	case "nethttp":
		log.Fatal(http.Serve(ln, forward(*upstream)))
	case "readrequest", "raw":
		tr := h1.New(&http.Transport{MaxIdleConnsPerHost: 512})
		for {
			c, err := ln.Accept()
			if err != nil {
				log.Fatal(err)
			}
			if *mode == "raw" {
				go pair(c, *upstream)
			} else {
				go loop(c, tr, *upstream)
			}
		}
	default:
		log.Fatalf("proxyfloor: unknown -mode %q", *mode)
	}
}

// forward is the least a net/http handler does to proxy a GET with
// bulwark's client: the request goes out as it came (its URL pointed at the
// upstream), the answer's header fields and body come back.
func forward(upstream string) http.Handler {
	tr := h1.New(&http.Transport{MaxIdleConnsPerHost: 512})
	bufs := sync.Pool{New: func() any { return new([32 * 1024]byte) }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host, out.Host, out.RequestURI = "http", upstream, upstream, ""
		res, err := tr.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		// Write, not ReadFrom: net/http's ReadFrom flushes the header in a
		// write(2) of its own, which ReverseProxy (and bulwark) never pays.
		buf := bufs.Get().(*[32 * 1024]byte)
		_, _ = io.CopyBuffer(struct{ io.Writer }{w}, res.Body, buf[:])
		bufs.Put(buf)
	})
}

// loop proxies one client connection's requests with the standard parser
// and bulwark's client, and no server around them.
func loop(c net.Conn, tr *h1.Transport, upstream string) {
	defer c.Close()
	br, bw := bufio.NewReaderSize(c, 4096), bufio.NewWriterSize(c, 4096)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		r.URL.Scheme, r.URL.Host, r.Host, r.RequestURI = "http", upstream, upstream, ""
		res, err := tr.RoundTrip(r)
		if err != nil {
			return
		}
		err = res.Write(bw)
		res.Body.Close()
		if err != nil || bw.Flush() != nil {
			return
		}
	}
}

// pair proxies one client connection's requests over one upstream connection.
func pair(c net.Conn, upstream string) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	cr, ur := bufio.NewReaderSize(c, 4096), bufio.NewReaderSize(u, 4096)
	buf := make([]byte, 0, 4096)
	for {
		var err error
		if buf, err = head(cr, buf[:0]); err != nil {
			return
		}
		if _, err := u.Write(buf); err != nil {
			return
		}
		if buf, err = head(ur, buf[:0]); err != nil {
			return
		}
		n, err := contentLength(buf)
		if err != nil {
			return
		}
		start := len(buf)
		buf = slices.Grow(buf, n)[:start+n]
		if _, err := io.ReadFull(ur, buf[start:]); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// head appends a message's lines up to and including its blank line.
func head(r *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return buf, err
		}
		buf = append(buf, line...)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return buf, nil
		}
	}
}

var errNoLength = errors.New("proxyfloor: the upstream's answer has no Content-Length")

// contentLength finds the Content-Length of an answer the bench's upstream
// sent (one field, in its canonical spelling).
func contentLength(h []byte) (int, error) {
	const name = "\r\nContent-Length: "
	i := bytes.Index(h, []byte(name))
	if i < 0 {
		return 0, errNoLength
	}
	v := h[i+len(name):]
	v = v[:bytes.IndexByte(v, '\r')]
	return strconv.Atoi(string(v))
}
