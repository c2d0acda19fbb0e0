package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/hashicorp/consul/api"
)

// Consul is a Source that watches a Consul cluster. One blocking query watches
// the service list; each service then has its own blocking query on its health
// (one per datacenter it may fail over to), started and stopped as services come
// and go. A change costs work proportional to the service that changed: only
// that service's instances are rebuilt, and the snapshot shares every other
// service's slice with the one before.
//
// Traefik polls every 15 s by default, and its watch mode refetches every
// service on any change; Fabio watches the whole cluster's health with one
// query, which slows to seconds past a few thousand services. One query per
// service is what makes convergence sub-second and independent of cluster size.
// It costs one long-poll connection per service and datacenter: Consul agents
// allow 200 per client address by default (limits.http_max_conns_per_client),
// so clusters with more services must raise it (docs/consul.md).
type Consul struct {
	cfg    ConsulConfig
	client *api.Client
	log    *slog.Logger
	status *consulStatus
	// rt is the client's transport under tapTransport: a service watch
	// sends its blocking queries on it directly (repoll), through lp's Send
	// and Wait when rt is h1 (startServiceWatch).
	rt        http.RoundTripper
	lp        *h1.Transport
	templates templates // the requests repoll sends, one per datacenter
}

var _ Source = (*Consul)(nil)

// ConsulConfig configures the Consul source. Zero values pick the defaults noted.
type ConsulConfig struct {
	// Address is the agent's HTTP API, host:port or a URL. Empty: CONSUL_HTTP_ADDR,
	// else 127.0.0.1:8500.
	Address string
	// Token is the ACL token. Empty: CONSUL_HTTP_TOKEN (or CONSUL_HTTP_TOKEN_FILE).
	Token string
	// CAFile verifies an HTTPS agent. Empty: CONSUL_CACERT.
	CAFile string
	// Datacenter is the local datacenter. Empty: the agent's own.
	Datacenter string
	// Wait is how long a blocking query may wait for a change (default 5m; Consul
	// caps it at 10m and adds up to 1/16 of jitter).
	Wait time.Duration
	// Timeout bounds each query beyond its Wait (default 10s).
	Timeout time.Duration
	// Warning says what to do with instances whose checks warn.
	Warning WarningPolicy
	// Failover lists, per service, the datacenters to use in order: the first
	// one with a healthy instance serves. Services not listed use the local one.
	Failover map[string][]string
	// BackoffMin and BackoffMax bound the wait after a failed query (1s and 30s).
	BackoffMin, BackoffMax time.Duration
	// Logger receives watch errors and label problems; nil discards them.
	Logger *slog.Logger
	// Weight reads an instance's weight from its own tags and meta: 0 when
	// they set none, 0 and an error (reported; the instance stays) when the
	// one they set is bad. Nil reads no labels. Either way an instance
	// without a label weight has its registration's Consul passing weight.
	// The command wires bulwark's label parser here: discovery does not know
	// the labels' vocabulary.
	Weight func(tags []string, meta map[string]string) (int, error)
}

// WarningPolicy is what the Consul source does with instances in warning.
type WarningPolicy string

const (
	// WarningExclude routes nothing to instances in warning (the default).
	WarningExclude WarningPolicy = "exclude"
	// WarningInclude treats warning like passing.
	WarningInclude WarningPolicy = "include"
	// WarningReduced keeps warning instances at a tenth of the share a passing
	// instance of the same weight gets.
	WarningReduced WarningPolicy = "reduced"
)

// Valid reports whether p is a known policy (empty means exclude).
func (p WarningPolicy) Valid() bool {
	switch p {
	case "", WarningExclude, WarningInclude, WarningReduced:
		return true
	}
	return false
}

func (c *ConsulConfig) setDefaults() {
	if c.Wait <= 0 {
		c.Wait = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Warning == "" {
		c.Warning = WarningExclude
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = time.Second
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(30*time.Second, c.BackoffMin)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// NewConsul builds the source and its API client; it does not contact Consul.
func NewConsul(cfg ConsulConfig) (*Consul, error) {
	cfg.setDefaults()
	if !cfg.Warning.Valid() {
		return nil, fmt.Errorf("consul: unknown warning policy %q (want exclude, include or reduced)", cfg.Warning)
	}
	ac := api.DefaultConfig() // reads CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_CACERT, ...
	if cfg.Address != "" {
		ac.Address = cfg.Address
	}
	if cfg.Token != "" {
		ac.Token = cfg.Token
	}
	if cfg.CAFile != "" {
		ac.TLSConfig.CAFile = cfg.CAFile
	}
	if cfg.Datacenter != "" {
		ac.Datacenter = cfg.Datacenter
	}
	// One long poll per watched service and datacenter: keep them all pooled
	// rather than re-dialling after every answer (the default keeps GOMAXPROCS+1).
	ac.Transport.MaxIdleConnsPerHost = 4096
	ac.Transport.MaxIdleConns = 4096
	// No gzip: the agent runs beside the gateway (Consul's model: an agent
	// on every node), and compressing every answer costs both sides CPU on
	// each change; at a thousand services the service list is the biggest
	// answer, re-sent whole whenever a service comes or goes.
	ac.Transport.DisableCompression = true
	// Each long poll holds its own connection, and each connection its own
	// buffers: at a thousand services the default 4 KiB write buffer was
	// 9 MiB of heap for request lines and headers of a few hundred bytes.
	// bufio writes a longer request through in parts, so nothing breaks.
	ac.Transport.WriteBufferSize = 1 << 10
	client, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("consul: %w", err)
	}
	// The service list is read from the raw answer (listServices); the
	// client and ac share this *http.Client, whatever NewClient chose
	// (a unix socket's included).
	next := ac.HttpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	if tr, ok := next.(*http.Transport); ok && tr == ac.Transport && !proxied(tr, ac.Address) {
		// A long poll is a body-less GET that waits: h1 sends it and reads
		// the answer on the watch's own goroutine, where http.Transport
		// keeps a read and a write goroutine per connection, two stacks per
		// watched service (about 20 MiB at 1,000 services, issue 20). TLS,
		// and anything else h1 does not carry, still goes through tr.
		// LongPoll: a parked poll holds no read buffer until its answer
		// starts (4 MiB at 1,000 services).
		lp := h1.New(tr)
		lp.LongPoll = true
		next = lp
	}
	ac.HttpClient.Transport = tapTransport{next: next}
	lp, _ := next.(*h1.Transport)
	return &Consul{cfg: cfg, client: client, log: cfg.Logger.With("component", "consul"),
		status: newConsulStatus(ac.Address), rt: next, lp: lp}, nil
}

// Status returns what the source knows about its watches, for the admin API
// and metrics.
func (c *Consul) Status() ConsulStatus { return c.status.view() }

// Summary is Status without Watches, for the metrics and the readiness
// check: each scrape reads it several times, and with a thousand services
// the list costs a thousand entries copied and sorted each time.
func (c *Consul) Summary() ConsulStatus {
	c.status.mu.Lock()
	defer c.status.mu.Unlock()
	return c.status.summary()
}

// update is one service's new view in one datacenter, sent by its watcher.
type update struct {
	service, dc string
	instances   []Instance
	labels      Labels
	registered  bool // any instance registered, whatever its health
	counts      HealthCounts
	observed    time.Time
}

// Run watches Consul until ctx ends. The first snapshot is published once the
// service list and every service's first health answer are in, so routes do not
// flap through "missing" at start; after that every change is published as soon
// as it arrives, coalescing changes that arrive together.
func (c *Consul) Run(ctx context.Context, publish func(*Snapshot)) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	updates := make(chan update, 64)
	feed := newCatalogFeed()
	wg.Go(func() { c.watchCatalog(ctx, feed) })

	agg := newAggregator(c.cfg)
	watchers := map[watchKey]context.CancelFunc{}
	pending := map[watchKey]bool{} // first answers still awaited
	started := false
	var version uint64
	emit := func(observed time.Time) {
		started = true
		version++
		c.status.published(version)
		publish(agg.snapshot(version, observed))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-feed.ready:
			changes := feed.take()
			removed := agg.forget(changes)
			for svc, present := range changes {
				for _, dc := range c.datacenters(svc) {
					key := watchKey{svc, dc}
					switch stop := watchers[key]; {
					case !present && stop != nil:
						stop()
						delete(watchers, key)
						delete(pending, key)
					case present && stop == nil:
						wctx, stop := context.WithCancel(ctx)
						watchers[key] = stop
						pending[key] = !started
						c.startServiceWatch(wctx, svc, dc, updates, &wg)
					}
				}
			}
			if started && removed {
				emit(time.Now())
			}
		case u := <-updates:
			observed := u.observed
			for ok := true; ok; {
				if watchers[watchKey{u.service, u.dc}] != nil { // else: a stopped watcher's late answer
					agg.apply(u)
					delete(pending, watchKey{u.service, u.dc})
				}
				select {
				case u = <-updates:
				default:
					ok = false
				}
			}
			if started {
				emit(observed)
			}
		}
		if !started && c.status.catalogSeen() && !slices.Contains(slices.Collect(maps.Values(pending)), true) {
			emit(time.Now())
		}
	}
}

// datacenters returns the datacenters a service is watched in, in failover order.
func (c *Consul) datacenters(service string) []string {
	if dcs := c.cfg.Failover[service]; len(dcs) > 0 {
		return dcs
	}
	return localDC
}

// localDC is the agent's (or the configured) local datacenter, alone.
var localDC = []string{""}

// watchKey names one service's watch in one datacenter.
type watchKey struct{ service, dc string }

// errIndexZero is logged when Consul answers a blocking query with index 0,
// which its documentation calls a bug to be worked around by resetting to 1.
var errIndexZero = errors.New("consul answered index 0; reset to 1")

// proxied reports whether the transport would send requests to the agent at
// address through a proxy (HTTP_PROXY and friends): h1 speaks to the agent
// directly, so such a client keeps its http.Transport.
func proxied(tr *http.Transport, address string) bool {
	if tr.Proxy == nil {
		return false
	}
	u, err := url.Parse("http://" + strings.TrimPrefix(strings.TrimPrefix(address, "http://"), "https://"))
	if err != nil {
		return true
	}
	p, err := tr.Proxy(&http.Request{URL: u})
	return err != nil || p != nil
}
