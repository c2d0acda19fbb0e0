// Command bareproxy is the benchmark's reference point: the standard library's
// httputil.ReverseProxy with nothing added (Rewrite calling SetURL, the default
// Transport). With -tuned it gets the two changes any production Go proxy makes: a
// sync.Pool-backed BufferPool of 32 KiB buffers for copying bodies, and a Transport
// that keeps up to 512 idle connections per upstream host instead of Go's default 2.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// bufSize is the size of the buffers in the tuned proxy's BufferPool; it matches
// the 32 KiB io.Copy would allocate on its own.
const bufSize = 32 * 1024

// bufferPool implements httputil.BufferPool on a sync.Pool of *[]byte.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any {
		b := make([]byte, bufSize)
		return &b
	}}}
}

func (bp *bufferPool) Get() []byte { return *(bp.p.Get().(*[]byte)) }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) < bufSize {
		return
	}
	b = b[:bufSize]
	bp.p.Put(&b)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9100", "listen address")
	upstream := flag.String("upstream", "http://127.0.0.1:9000", "upstream base URL")
	tuned := flag.Bool("tuned", false, "add a sync.Pool BufferPool (32 KiB) and a Transport with MaxIdleConnsPerHost=512")
	flag.Parse()

	target, err := url.Parse(*upstream)
	if err != nil || target.Scheme == "" || target.Host == "" {
		log.Fatalf("bareproxy: bad -upstream %q", *upstream)
	}

	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
	}
	if *tuned {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 512
		// The default total cap (100) would otherwise undercut the per-host figure.
		tr.MaxIdleConns = 512
		rp.Transport = tr
		rp.BufferPool = newBufferPool()
	}

	srv := &http.Server{
		Addr:              *addr,
		Handler:           rp,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Printf("bareproxy: listening on %s -> %s (tuned=%v)", *addr, target, *tuned)
	log.Fatal(srv.ListenAndServe())
}
