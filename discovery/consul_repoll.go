package discovery

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"
)

// A watch's blocking queries after its first are sent by repoll, not by
// consul/api: the same request consul/api built for the watch's last query
// through it (its template), with the new index, straight to the client's
// transport.
//
// Why: a watch spends its life parked in a query, with every frame above
// the parked read on its stack, and Go shrinks a parked stack only while it
// uses under a quarter of it. Through consul/api and http.Client, the parked
// chain used ~3 KiB, so each of a thousand watches kept an 8 KiB stack
// (issue 20). Without those two layers it fits under 2 KiB and the stack
// shrinks to 4 KiB: about 4 MiB less at 1,000 services, and less for the
// collector to scan.
//
// What stays consul/api's: the request itself. The template is the
// *http.Request consul/api handed the transport (address, scheme, path
// prefix, token, basic auth, namespace, partition, datacenter, the
// Config's headers), captured by tapTransport; a request built by hand once
// forgot the basic auth (see listServices). repoll changes only the index
// and wait parameters, which consul/api sets as it does (durToMsec), and
// reads the answer as consul/api would: 200 or an api.StatusError with the
// body, X-Consul-Index for the next index. The first query of a watch, and
// every query after a failure (the loop restarts from index 0), go through
// consul/api and refresh the template.

// captureRequest keeps a copy of the request consul/api built, without its
// context, for repoll.
func captureRequest(req *http.Request) *http.Request {
	return req.Clone(context.Background())
}

// withIndex is tmpl for one query: its context, index and wait.
//
//go:noinline
func withIndex(ctx context.Context, tmpl *http.Request, index uint64, wait time.Duration) *http.Request {
	req := tmpl.Clone(ctx)
	q := req.URL.Query()
	q.Set("index", strconv.FormatUint(index, 10))
	q.Set("wait", durToMsec(wait))
	req.URL.RawQuery = q.Encode()
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
