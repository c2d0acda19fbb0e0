package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/openapi"
)

// probePaths are where services usually publish their description, tried in
// order when neither the config nor the service's labels say.
var probePaths = []string{"/openapi.json", "/openapi.yaml", "/v3/api-docs", "/swagger.json", "/v2/api-docs",
	"/swagger.yaml", "/api-docs", "/openapi"}

// UserAgent identifies the catalog's requests to the services.
const UserAgent = "bulwark-catalog/1 (+API documentation fetch)"

// fetcher reads documents from instances: bounded in time and size, no
// redirects (a redirect could point anywhere), no cookies, no proxy.
type fetcher struct {
	client  *http.Client
	maxSize int64
}

// The fetcher keeps few idle connections, briefly. A refresh reads from
// every instance of every service once, so at 1,000 services of 5
// instances an unbounded pool held 5,000 idle connections for its idle
// timeout after each refresh, each with two goroutines and two 4 KiB
// buffers: over 100 MiB every five minutes, for connections the next
// refresh would not reuse. What keep-alive is worth here is within one
// service's fetch: probing paths and reading $refs from one instance.
const (
	maxIdleFetchConns    = 16
	fetchIdleConnTimeout = 10 * time.Second
)

func newFetcher(timeout time.Duration, maxSize int64) *fetcher {
	tr := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns: maxIdleFetchConns, MaxIdleConnsPerHost: 2, IdleConnTimeout: fetchIdleConnTimeout,
		ResponseHeaderTimeout: timeout}
	return &fetcher{maxSize: maxSize, client: &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// errNotFound is a path the instance does not serve.
var errNotFound = errors.New("not found")

// get reads one path from one instance address (host:port from discovery).
func (f *fetcher) get(ctx context.Context, addr, path string) ([]byte, error) {
	return f.getWith(ctx, addr, path, http.Header{"Accept": {"application/json, application/yaml;q=0.9, */*;q=0.1"}})
}

// getWith is get with the request's headers.
func (f *fetcher) getWith(ctx context.Context, addr, path string, hdr http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header = hdr
	// Named, so a service's logs (and the tests' upstreams) can tell the
	// catalog's fetches from client traffic.
	req.Header.Set("User-Agent", UserAgent)
	res, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed:
		return nil, errNotFound
	case res.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s answered %s", path, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, f.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if int64(len(body)) > f.maxSize {
		return nil, fmt.Errorf("GET %s: the document is larger than %d bytes", path, f.maxSize)
	}
	return body, nil
}

// fetchService finds and loads a service's document from one of its
// instances (the first by ID, so every gateway reads the same one).
func (c *Catalog) fetchService(ctx context.Context, name string, route Route, snap *discovery.Snapshot) *Entry {
	e := &Entry{Service: name, FetchedAt: time.Now()}
	ins := snap.Instances(name)
	addr := ins[0].Addr
	e.Instance = addr
	labelDoc, labelHAL := c.labelDocs(name, snap)
	paths := probePaths
	if p := c.docPath(name, labelDoc); p != "" {
		paths = []string{p}
	}
	var body []byte
	for _, p := range paths {
		b, err := c.fetcher.get(ctx, addr, p)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			e.Location, e.Error, e.fetchFailed = p, err.Error(), true
			return e
		}
		if _, _, derr := openapi.Detect(b); derr != nil && len(paths) > 1 {
			continue // probing: a page that is not a description (an HTML index, say)
		}
		body, e.Location = b, p
		break
	}
	if body == nil {
		if len(paths) == 1 {
			e.Location, e.Error, e.fetchFailed = paths[0], "no document at "+paths[0], true
			return e
		}
		c.fetchHAL(ctx, e, route, addr, labelHAL)
		return e // nothing found: not in the catalog
	}
	e.Original, e.Hash, e.route = body, hash(body), route
	if prev, ok := c.Entry(name); ok && prev.sameDocument(e) {
		// The same bytes from the same place, routed the same way: the
		// document loaded last time is what loading again would give.
		e.Original, e.Doc, e.Kind, e.Title, e.Version, e.Problems = prev.Original, prev.Doc, prev.Kind, prev.Title, prev.Version, prev.Problems
		e.selfContained, e.items = true, prev.items
		e.Versions = c.versions(ctx, e, ins)
		return e
	}
	var readRefs atomic.Bool
	doc, err := openapi.Load(ctx, body, openapi.Options{
		Location: e.Location,
		ReadRef: func(ctx context.Context, p string) ([]byte, error) {
			readRefs.Store(true)
			return c.fetcher.get(ctx, addr, p)
		},
		PublicURL:   c.opts.PublicURL,
		RoutePrefix: route.Prefix,
		StripPrefix: route.StripPrefix,
	})
	e.selfContained = !readRefs.Load()
	if err != nil {
		e.Error = err.Error()
		e.Original = excerpt(body)
		c.log.Warn("service document cannot be read", "service", name, "location", e.Location, "err", err)
		return e
	}
	e.Doc, e.Kind, e.Title, e.Version, e.Problems = doc, string(doc.Kind), doc.Title, doc.Version, doc.Problems
	e.Versions = c.versions(ctx, e, ins)
	return e
}

// sameDocument reports whether next, just fetched, is the document this
// entry loaded: the same hash from the same path, routed the same way (the
// route is written into the document's servers), and read without external
// $refs, which could have changed while the root did not. A refresh of an
// unchanged document then costs its fetches but not a parse: at 1,000
// services that is every periodic refresh, and every check change of an
// instance (issue 20). The catalog's PublicURL is fixed for its life.
func (e *Entry) sameDocument(next *Entry) bool {
	return e.Doc != nil && e.selfContained && e.Hash == next.Hash && e.Location == next.Location && e.route == next.route
}

// maxExcerpt is how much of a document that cannot be read the catalog keeps
// (to show where it goes wrong): the whole body of a broken document is not
// worth its memory until the next refresh.
const maxExcerpt = 4 << 10

// excerpt is a copy of the start of body, so the body itself can be freed.
func excerpt(body []byte) []byte {
	return bytes.Clone(body[:min(len(body), maxExcerpt)])
}

// versions reads the document from every other instance and groups the
// instances by what they serve, so drift during a rolling deploy is visible.
func (c *Catalog) versions(ctx context.Context, e *Entry, ins []discovery.Instance) []Version {
	byHash := map[string][]string{e.Hash: {e.Instance}}
	order := []string{e.Hash}
	for _, in := range ins[1:] {
		h := ""
		if b, err := c.fetcher.get(ctx, in.Addr, e.Location); err != nil {
			h = "error: " + err.Error()
		} else {
			h = hash(b)
		}
		if _, ok := byHash[h]; !ok {
			order = append(order, h)
		}
		byHash[h] = append(byHash[h], in.Addr)
	}
	out := make([]Version, 0, len(order))
	for _, h := range order {
		v := Version{Hash: h, Instances: byHash[h]}
		if msg, failed := strings.CutPrefix(h, "error: "); failed {
			v.Hash, v.Error = "", msg
		}
		out = append(out, v)
	}
	return out
}

// labelDocs is where the service's labels say its documents are ("" where
// they do not), read once per fetch.
func (c *Catalog) labelDocs(name string, snap *discovery.Snapshot) (openapi, hal string) {
	if c.opts.LabelDocs == nil {
		return "", ""
	}
	return c.opts.LabelDocs(snap.LabelsOf(name))
}

// docPath is the configured path, else the one the service's labels name
// (labelled), else "".
func (c *Catalog) docPath(name, labelled string) string {
	if c.opts.DocPath != nil {
		if p := c.opts.DocPath(name); p != "" {
			return p
		}
	}
	return labelled
}
