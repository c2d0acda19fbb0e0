package gateway

import (
	"context"
	"net/http"
)

// stale-while-revalidate answers from the stale entry at once and refreshes
// it in the background, once per key (the store's flights hold the slot).
// The refresh is a request of the gateway's own through the whole chain:
// the same route, policy, guard (bulkhead, breaker, retries) and proxy as a
// client's, so it is bounded and counted like one; the cache stage sends it
// upstream with the entry's validators and the store stage keeps the
// answer. Nobody reads its response.

// refreshKey marks a background refresh's context.
type refreshKey struct{}

func isRefresh(r *http.Request) bool { return r.Context().Value(refreshKey{}) != nil }

// refreshInBackground starts the refresh of r's entry; release frees the
// key's slot when it ends. r is copied before this returns: the client's
// request is the server's again once its handler returns.
func (g *Gateway) refreshInBackground(r *http.Request, release func()) {
	ctx := context.WithValue(context.WithoutCancel(r.Context()), refreshKey{}, true)
	req := r.Clone(ctx)
	req.Body = http.NoBody
	for _, f := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Cache-Control", "Pragma", "Range"} {
		req.Header.Del(f)
	}
	go func() {
		defer release()
		g.ServeHTTP(discardWriter{h: http.Header{}}, req)
	}()
}

// discardWriter is the ResponseWriter of a request whose response nobody
// reads.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header       { return d.h }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
