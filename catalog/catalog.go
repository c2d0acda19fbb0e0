// Package catalog gathers the API documents of the services the gateway
// routes to: which services have which documents, fetching them from the
// services' own discovered instances (bounded in time and size), loading them
// with package openapi, and keeping the result as an immutable, searchable
// catalog for the portal.
//
// It never blocks routing: the gateway hands it discovery snapshots, and it
// refreshes in the background with bounded concurrency. A service whose
// document is broken shows the error; every other service stays.
//
// A document that could not be fetched (the instance refused the connection,
// answered 5xx, or had nothing at its configured path) is tried again soon,
// since the usual cause is a service still starting: after RetryMin (1s),
// then twice as long after each failure in a row (2s, 4s, ...) up to the
// normal Refresh interval, like Consul's and Traefik's watch backoff. The
// entry says when the next attempt is (Entry.NextAttempt), and the portal
// shows it. A document that was fetched but cannot be read is not retried
// early: the same bytes give the same error until the service changes.
//
// A refresh that fetches the very bytes it loaded last time, for the same
// route, keeps the document it loaded (Entry.sameDocument): a periodic
// refresh, or an instance's check changing, costs fetches and no parse.
//
// Nothing is fetched from an address that did not come from discovery: the
// document location is a path, joined to an instance address from the
// snapshot, and external $refs are read from that same instance only.
package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/hal"
	"github.com/bulwark-gw/bulwark/openapi"
)

// Route says how the gateway exposes a service: the path prefix and whether
// it strips it. The catalog asks for it through Options.RouteOf, so that it
// needs no gateway import.
type Route struct {
	Prefix      string
	StripPrefix bool
}

// Options configure a catalog.
type Options struct {
	// RouteOf returns the public route of a service; ok false means the
	// service is not routed, and is left out.
	RouteOf func(service string) (Route, bool)
	// PublicURL starts the normalized documents' servers ("" keeps them
	// paths on the gateway's origin, which is what the portal needs).
	PublicURL string
	// DocPath and HALPath return a service's configured document paths ("" to probe).
	DocPath, HALPath func(service string) string
	// LabelDocs returns the document paths a service's Consul labels name,
	// its OpenAPI document's and its HAL root's ("" where they name none),
	// used when DocPath and HALPath say nothing. Nil reads no labels. The
	// command wires bulwark's label parser here: the catalog does not know
	// the labels' vocabulary.
	LabelDocs func(discovery.Labels) (openapi, hal string)
	// Fetch limits (defaults 5s and 16 MiB).
	Timeout time.Duration
	MaxSize int64
	// Concurrency bounds the fetches in flight (default 4).
	Concurrency int
	// Refresh is how often every document is fetched again (default 5m).
	Refresh time.Duration
	// RetryMin is the wait before fetching again a document that could not
	// be fetched (default 1s); it doubles after each failure in a row, up to
	// Refresh.
	RetryMin time.Duration
	Logger   *slog.Logger
}

// Entry is one service in the catalog.
type Entry struct {
	Service   string            `json:"service"`
	Kind      string            `json:"kind,omitempty"` // an openapi.Kind, or hal
	Title     string            `json:"title,omitempty"`
	Version   string            `json:"version,omitempty"`
	Location  string            `json:"location,omitempty"` // the path the document was read from
	Problems  []openapi.Problem `json:"problems,omitempty"`
	Error     string            `json:"error,omitempty"` // the document could not be read
	FetchedAt time.Time         `json:"fetched_at,omitzero"`
	// Failures counts the fetches in a row that failed, and NextAttempt is
	// when the catalog tries again (both zero once a fetch succeeds).
	Failures    int       `json:"failures,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	Instance    string    `json:"instance,omitempty"` // the instance it was read from
	Hash        string    `json:"hash,omitempty"`     // of the document as served
	// Versions groups the instances by the document they serve. More than
	// one version means a rolling deploy (or drift) is in progress.
	Versions []Version `json:"versions,omitempty"`
	// Doc is the normalized document (nil when there is none).
	Doc *openapi.Document `json:"-"`
	// HAL is the HAL root, its links pointing through the gateway.
	HAL *hal.Document `json:"-"`
	// GatewayPath is where a HAL root is reached through the gateway, the
	// start of the portal's HAL browser.
	GatewayPath string `json:"gateway_path,omitempty"`
	// Original is the document as the service served it.
	Original []byte `json:"-"`

	// fetchFailed marks an entry whose document could not be fetched, to
	// be tried again soon (see the package comment).
	fetchFailed bool
	// items are what search matches in this entry, built once when the
	// entry is (see view.go).
	items []indexed
	// route is the route the document was loaded for, and selfContained
	// says it was loaded without external $refs: with Hash, what a refresh
	// needs to know the document is unchanged (sameDocument).
	route         Route
	selfContained bool
}

// Version is one document version and the instances serving it.
type Version struct {
	Hash      string   `json:"hash"`
	Instances []string `json:"instances"`
	Error     string   `json:"error,omitempty"`
}

// Catalog holds the entries; readers take a consistent view with Entries.
type Catalog struct {
	opts    Options
	log     *slog.Logger
	fetcher *fetcher
	view    atomic.Pointer[view]

	mu      sync.Mutex // guards snap and pending refreshes
	snap    *discovery.Snapshot
	wake    chan struct{}
	changed map[string]bool

	// retries are the services whose fetch failed, by name: failures in a
	// row and when to try again. Only Run's goroutine touches it.
	retries map[string]retry
}

// retry is one service's pending early fetch.
type retry struct {
	failures int
	at       time.Time
}

// New makes an empty catalog; Run fills it.
func New(opts Options) *Catalog {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 16 << 20
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Minute
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{opts: opts, log: opts.Logger.With("component", "catalog"),
		fetcher: newFetcher(opts.Timeout, opts.MaxSize), wake: make(chan struct{}, 1), changed: map[string]bool{},
		retries: map[string]retry{}}
	c.view.Store(&view{})
	return c
}

// Update hands the catalog a new discovery snapshot; the services it names as
// changed (all, when it does not say) are fetched again soon. It never blocks.
func (c *Catalog) Update(snap *discovery.Snapshot) {
	c.mu.Lock()
	c.snap = snap
	names := snap.Changed
	if names == nil {
		names = snap.Names()
	}
	for _, n := range names {
		c.changed[n] = true
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Entries returns the entries, sorted by service.
func (c *Catalog) Entries() []*Entry {
	return slices.Clone(c.view.Load().entries)
}

// Entry returns one service's entry.
func (c *Catalog) Entry(service string) (*Entry, bool) {
	return c.view.Load().find(service)
}

// Run refreshes the catalog until ctx ends: changed services at once, every
// service every Refresh, and a service whose fetch failed when its retry is
// due.
func (c *Catalog) Run(ctx context.Context) error {
	tick := time.NewTicker(c.opts.Refresh)
	defer tick.Stop()
	due := time.NewTimer(c.opts.Refresh)
	due.Stop()
	defer due.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-tick.C:
			c.mu.Lock()
			if c.snap != nil {
				for _, n := range c.snap.Names() {
					c.changed[n] = true
				}
			}
			c.mu.Unlock()
		case now := <-due.C:
			c.mu.Lock()
			for n, r := range c.retries {
				if !r.at.After(now) {
					c.changed[n] = true
				}
			}
			c.mu.Unlock()
		}
		c.refresh(ctx)
		if next, ok := c.nextRetry(); ok {
			due.Reset(time.Until(next))
		}
	}
}

// nextRetry is the earliest pending retry.
func (c *Catalog) nextRetry() (time.Time, bool) {
	var next time.Time
	for _, r := range c.retries {
		if next.IsZero() || r.at.Before(next) {
			next = r.at
		}
	}
	return next, !next.IsZero()
}

// backoff is the wait after the given number of failures in a row:
// RetryMin, doubled for each failure after the first, capped at Refresh.
func (c *Catalog) backoff(failures int) time.Duration {
	d := c.opts.RetryMin
	for i := 1; i < failures && d < c.opts.Refresh; i++ {
		d *= 2
	}
	return min(d, c.opts.Refresh)
}

// schedule records e's outcome: a failed fetch is tried again after the
// backoff, which the entry shows; anything else clears the service's retry.
func (c *Catalog) schedule(e *Entry, now time.Time) {
	if !e.fetchFailed {
		delete(c.retries, e.Service)
		return
	}
	r := c.retries[e.Service]
	r.failures++
	r.at = now.Add(c.backoff(r.failures))
	c.retries[e.Service] = r
	e.Failures, e.NextAttempt = r.failures, r.at
}

// refresh fetches the pending services, at most Concurrency at a time, and
// swaps the new entries in at once.
func (c *Catalog) refresh(ctx context.Context) {
	c.mu.Lock()
	snap, pending := c.snap, c.changed
	c.changed = map[string]bool{}
	c.mu.Unlock()
	if snap == nil || len(pending) == 0 {
		return
	}
	results := make(chan *Entry, len(pending))
	sem := make(chan struct{}, c.opts.Concurrency)
	var wg sync.WaitGroup
	for name := range pending {
		route, routed := c.opts.RouteOf(name)
		if !routed || len(snap.Instances(name)) == 0 {
			results <- &Entry{Service: name} // marks it for removal
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results <- c.fetchSafely(ctx, name, route, snap)
		})
	}
	wg.Wait()
	close(results)
	now := time.Now()
	changed := make([]*Entry, 0, len(pending))
	for e := range results {
		c.schedule(e, now) // e is this refresh's own: setting its fields races with no reader
		changed = append(changed, e)
	}
	c.view.Store(c.view.Load().with(c.log, changed))
}

// Search finds operations and schemas across every service (see search).
func (c *Catalog) Search(q string, limit int) []Hit {
	return c.view.Load().search(q, limit)
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func problem(severity, where, msg string) openapi.Problem {
	return openapi.Problem{Severity: severity, Where: where, Message: msg}
}
