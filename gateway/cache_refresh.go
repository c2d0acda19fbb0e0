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

// refreshKey marks a background refresh's context; its value is a
// *refreshOf.
type refreshKey struct{}

// refreshOf is who the request that started a refresh was admitted as. The
// refresh copies that request after authentication took its credential off,
// so it could not be admitted again; it goes upstream as that caller
// instead (authStage), with the identity headers the upstream got for the
// entry it refreshes. Only the gateway sets it: a client cannot.
type refreshOf struct {
	identity      http.Header
	consumer      string
	authenticated bool
}

// refreshFrom returns the refresh r is, or nil for a client's request.
func refreshFrom(r *http.Request) *refreshOf {
	v, _ := r.Context().Value(refreshKey{}).(*refreshOf)
	return v
}

func isRefresh(r *http.Request) bool { return refreshFrom(r) != nil }

// refreshInBackground starts the refresh of r's entry; release frees the
// key's slot when it ends. r is copied before this returns: the client's
// request is the server's again once its handler returns.
func (g *Gateway) refreshInBackground(r *http.Request, ex *exchange, release func()) {
	of := &refreshOf{identity: ex.identity.Clone(), consumer: ex.consumer, authenticated: ex.authenticated}
	ctx := context.WithValue(context.WithoutCancel(r.Context()), refreshKey{}, of)
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
