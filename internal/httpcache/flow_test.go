package httpcache

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flowCache is a minimal caching proxy written the way the package doc
// tells the gateway to use the engine; it proves the API composes. The
// clock is injected, so no test waits for time to pass.
type flowCache struct {
	t      *testing.T
	store  *Store
	origin string
	mu     sync.Mutex
	clock  time.Time
	opts   Options
}

func (c *flowCache) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.clock }

func (c *flowCache) advance(d time.Duration) { c.mu.Lock(); c.clock = c.clock.Add(d); c.mu.Unlock() }

func (c *flowCache) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := Key(r.Method, "http", r.Host, r.URL.EscapedPath(), r.URL.RawQuery)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		res, body := c.forward(r, nil)
		c.store.InvalidateAfter("http", r.Host, "", r, res)
		write(w, res.StatusCode, res.Header, body)
		return
	}
	e, _ := c.store.Lookup(key, r)
	switch d := Decide(r, e, c.now()); d.Action {
	case ServeFresh, ServeStale:
		c.serve(w, r, e)
	case OnlyIfCachedMiss:
		w.WriteHeader(http.StatusGatewayTimeout)
	case Revalidate:
		res, body := c.forward(r, ConditionalHeaders(e))
		if res.StatusCode == http.StatusNotModified && Selects304(e, res, true) {
			n := Freshen(e, res, c.now(), c.now())
			c.store.Replace(e, n)
			c.serve(w, r, n)
			return
		}
		c.storeAndWrite(w, r, key, res, body)
	default:
		f, leader := c.store.Flights().Join(key)
		if !leader {
			if e, ok := f.Wait(r.Context(), time.Minute); ok {
				c.serve(w, r, e)
				return
			}
		}
		res, body := c.forward(r, nil)
		e := c.storeAndWrite(w, r, key, res, body)
		if leader {
			f.Done(e)
		}
	}
}

func (c *flowCache) serve(w http.ResponseWriter, r *http.Request, e *Entry) {
	if NotModified(r, e) {
		write(w, http.StatusNotModified, NotModifiedHeader(e, c.now()), nil)
		return
	}
	write(w, e.Status, ResponseHeader(e, c.now()), e.Body)
}

func (c *flowCache) storeAndWrite(w http.ResponseWriter, r *http.Request, key string, res *http.Response, body []byte) *Entry {
	var e *Entry
	if ok, _ := Storable(r, res, c.opts); ok {
		e = NewEntry(key, r, res, body, c.now(), c.now(), c.opts)
		if c.store.Put(e) != nil {
			e = nil
		}
	}
	write(w, res.StatusCode, res.Header, body)
	return e
}

func (c *flowCache) forward(r *http.Request, cond http.Header) (*http.Response, []byte) {
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, c.origin+r.URL.RequestURI(), r.Body)
	out.Header = r.Header.Clone()
	for k, v := range cond {
		out.Header[k] = v
	}
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		c.t.Error(err)
		return &http.Response{StatusCode: http.StatusBadGateway, Header: http.Header{}}, nil
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func write(w http.ResponseWriter, status int, h http.Header, body []byte) {
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	w.Write(body)
}

// origin counts requests and answers with the headers set for each path.
type origin struct {
	hits   atomic.Int32
	gate   chan struct{} // when set, requests wait on it
	header func(r *http.Request) (int, http.Header)
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.hits.Add(1)
	if o.gate != nil {
		<-o.gate
	}
	status, h := o.header(r)
	write(w, status, h, []byte("body "+strconv.Itoa(int(o.hits.Load()))))
}

func newFlow(t *testing.T, o *origin) (*flowCache, *httptest.Server) {
	// Runs last: idle keep-alive connections would otherwise outlive the test.
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	up := httptest.NewServer(o)
	t.Cleanup(up.Close)
	c := &flowCache{t: t, store: newStore(t, StoreConfig{}), origin: up.URL, clock: t0}
	front := httptest.NewServer(c)
	t.Cleanup(front.Close)
	return c, front
}

func get(t *testing.T, url string, lines ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header = hdr(lines...)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	io.Copy(&b, res.Body)
	return res, b.String()
}

func TestFlowHitRevalidateInvalidate(t *testing.T) {
	var version atomic.Int32
	o := &origin{header: func(r *http.Request) (int, http.Header) {
		etag := `"v` + strconv.Itoa(int(version.Load())) + `"`
		h := hdr("Cache-Control: max-age=10", "Etag: "+etag, "X-Seen: "+strconv.Itoa(int(version.Load())))
		if r.Header.Get("If-None-Match") == etag {
			return http.StatusNotModified, h
		}
		return http.StatusOK, h
	}}
	c, front := newFlow(t, o)

	_, first := get(t, front.URL+"/r")
	c.advance(3 * time.Second)
	res, again := get(t, front.URL+"/r")
	if o.hits.Load() != 1 || again != first || res.Header.Get("Age") != "3" {
		t.Fatalf("a fresh hit: origin hits %d, body %q vs %q, Age %q", o.hits.Load(), again, first, res.Header.Get("Age"))
	}

	// The client's own conditional request is answered by the cache.
	if res, _ := get(t, front.URL+"/r", `If-None-Match: "v0"`); res.StatusCode != http.StatusNotModified || o.hits.Load() != 1 {
		t.Errorf("client conditional: status %d, origin hits %d", res.StatusCode, o.hits.Load())
	}

	// Stale: the cache revalidates; the 304 refreshes headers, the body stays.
	c.advance(20 * time.Second)
	res, body := get(t, front.URL+"/r")
	if o.hits.Load() != 2 || body != first || res.Header.Get("Age") != "0" {
		t.Errorf("after revalidation: origin hits %d, body %q, Age %q", o.hits.Load(), body, res.Header.Get("Age"))
	}

	// A POST to the URI invalidates it; the next GET goes to the origin.
	version.Store(1)
	if res, err := http.Post(front.URL+"/r", "text/plain", nil); err == nil {
		res.Body.Close()
	}
	if _, body := get(t, front.URL+"/r"); o.hits.Load() != 4 || body == first {
		t.Errorf("after POST: origin hits %d, body %q", o.hits.Load(), body)
	}
}

func TestFlowCoalescesMisses(t *testing.T) {
	o := &origin{gate: make(chan struct{}), header: func(*http.Request) (int, http.Header) {
		return http.StatusOK, hdr("Cache-Control: max-age=60")
	}}
	c, front := newFlow(t, o)
	const n = 20
	bodies := make(chan string, n)
	for range n {
		go func() { _, b := get(t, front.URL+"/hot"); bodies <- b }()
	}
	// Open the origin once every other request waits on the leader.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for c.store.Flights().Coalesced() < n-1 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	close(o.gate)
	first := <-bodies
	for range n - 1 {
		if b := <-bodies; b != first {
			t.Errorf("a coalesced request got %q, the leader %q", b, first)
		}
	}
	if o.hits.Load() != 1 {
		t.Errorf("%d origin requests for %d concurrent misses, want 1", o.hits.Load(), n)
	}
}
