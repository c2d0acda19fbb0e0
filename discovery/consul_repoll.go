package discovery

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
)

// A watch's blocking queries after its first are sent by repoll, not by
// consul/api: the request consul/api built for a query of the watch (its
// template), with the new index, straight to the client's transport, on
// h1's Send so that the wait is a goroutine of its own (startServiceWatch).
//
// What stays consul/api's: the request itself. The template is the
// *http.Request consul/api handed the transport (address, scheme, path
// prefix, token, basic auth, namespace, partition, datacenter, the
// Config's headers), captured by tapTransport; a request built by hand once
// forgot the basic auth (see listServices). repoll changes only the index
// and wait parameters, which consul/api sets as it does (durToMsec), and
// reads the answer as consul/api would (readHealth): 200 or an
// api.StatusError with the body, X-Consul-Index for the next index. The
// first query of a watch, and every query after a failure (the loop
// restarts from index 0), go through consul/api and refresh the template.
//
// The watches of one datacenter send the same request but for its path, so
// they share one (templates), and each keeps its path: at 1,000 services a
// request per watch was ~1.5 MiB of heap held for the gateway's life.

// captureRequest keeps a copy of the request consul/api built, without its
// context, for repoll.
func captureRequest(req *http.Request) *http.Request {
	return req.Clone(context.Background())
}

// template is what a watch's blocking queries are sent with: a request
// shared with the datacenter's other watches, and the watch's own path.
type template struct {
	req           *http.Request // shared: read, never written
	path, rawPath string
}

// templates holds the request each datacenter's watches share.
type templates struct {
	mu   sync.Mutex
	byDC map[string]*http.Request
}

// share returns the template for a request consul/api built for a watch of
// dc: the shared request when it is this one but for the path and index,
// else this one, which becomes the shared one (a watch holding the old one
// keeps a request that was right when it was made).
func (t *templates) share(dc string, captured *http.Request) template {
	out := template{path: captured.URL.Path, rawPath: captured.URL.RawPath}
	base := *captured // captured is the transport's own copy, ours to change
	u := *captured.URL
	u.Path, u.RawPath = "", ""
	q := u.Query()
	q.Del("index")
	u.RawQuery = q.Encode()
	base.URL = &u
	t.mu.Lock()
	defer t.mu.Unlock()
	if have, ok := t.byDC[dc]; ok && have.Method == base.Method && have.URL.String() == u.String() &&
		reflect.DeepEqual(have.Header, base.Header) {
		out.req = have
		return out
	}
	if t.byDC == nil {
		t.byDC = make(map[string]*http.Request)
	}
	t.byDC[dc] = &base
	out.req = &base
	return out
}

// withIndex is the template for one query: its context, path, index and
// wait. The header is the shared request's own: the transports only read
// a request's header.
//
//go:noinline
func withIndex(ctx context.Context, t template, index uint64, wait time.Duration) *http.Request {
	req := t.req.WithContext(ctx)
	u := *t.req.URL
	u.Path, u.RawPath = t.path, t.rawPath
	q := u.Query()
	q.Set("index", strconv.FormatUint(index, 10))
	q.Set("wait", durToMsec(wait))
	u.RawQuery = q.Encode()
	req.URL = &u
	return req
}

// durToMsec is consul/api's format for the wait parameter.
func durToMsec(d time.Duration) string {
	ms := d / time.Millisecond
	if d > 0 && ms == 0 {
		ms = 1
	}
	return strconv.FormatInt(int64(ms), 10) + "ms"
}

// maxErrorBody bounds what an error answer's body adds to the error.
const maxErrorBody = 64 << 10

// readHealth reads a health answer as consul/api's query does: anything
// but 200 is an api.StatusError carrying the trimmed body; the index is
// X-Consul-Index (0 when absent, an error when not a number).
//
//go:noinline
func readHealth(resp *http.Response, service string) ([]*healthEntry, uint64, error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, 0, api.StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	var index uint64
	if s := resp.Header.Get("X-Consul-Index"); s != "" {
		var err error
		if index, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("Failed to parse X-Consul-Index: %v", err) //nolint:staticcheck // consul/api's wording
		}
	}
	tap := &bodyTap{}
	if err := tap.take(resp.Body); err != nil {
		return nil, 0, err
	}
	entries, err := decodeHealth(service, tap)
	return entries, index, err
}
