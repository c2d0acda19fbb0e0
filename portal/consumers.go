package portal

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The consumers page (issue 17) lists the callers the gateway knows by name
// (the file's consumers:), what credentials each has, its own rate limit,
// and what it has done since the gateway started; and, per routed service,
// the rate limit its routes enforce. Who calls which API, and how much, is
// the operator's business as much as where services run: the page exists
// only where Options.ShowConsumers says so (cmd: behind portal.users, where
// every viewer has signed in). Otherwise it answers 404 like a page that is
// not there, and no page links to it, so an open portal does not even say
// that consumers exist.

// Consumer is one configured consumer as the portal shows it; a copy of the
// gateway's consumer view. It never holds a key or a password hash, only
// how many there are.
type Consumer struct {
	Name string
	// APIKeys is how many API keys it has; Password whether it may use
	// HTTP basic authentication.
	APIKeys  int
	Password bool
	// RateLimit is its own rate ("5/s") where a route counts by consumer;
	// "" takes the route's.
	RateLimit string
	// Authenticated counts the requests its credentials admitted since the
	// gateway started, Limited those its rate limit then refused.
	Authenticated, Limited uint64
	// LastSeen is when it was last admitted; zero for never.
	LastSeen time.Time
}

// credentials says what a consumer can sign in with: "2 API keys, password".
func (c Consumer) credentials() string {
	var parts []string
	switch c.APIKeys {
	case 0:
	case 1:
		parts = append(parts, "1 API key")
	default:
		parts = append(parts, strconv.Itoa(c.APIKeys)+" API keys")
	}
	if c.Password {
		parts = append(parts, "password")
	}
	if len(parts) == 0 {
		// Known by a token's claim only (auth.jwt.consumer_claim).
		return "none (token claim only)"
	}
	return strings.Join(parts, ", ")
}

// consumerRow is one row of the consumers table.
type consumerRow struct {
	Consumer
	Credentials string
}

// serviceLimit is one routed service's rate limit.
type serviceLimit struct{ Service, RateLimit string }

func (p *portal) consumersPage(w http.ResponseWriter, r *http.Request) {
	if !p.opts.ShowConsumers {
		http.NotFound(w, r)
		return
	}
	var rows []consumerRow
	if p.opts.Consumers != nil {
		for _, c := range p.opts.Consumers() {
			rows = append(rows, consumerRow{Consumer: c, Credentials: c.credentials()})
		}
	}
	var limits []serviceLimit
	for _, name := range p.routedNames() {
		if a := p.admission(name); a != nil && a.RateLimit != "" {
			limits = append(limits, serviceLimit{Service: name, RateLimit: a.RateLimit})
		}
	}
	p.render(w, "consumers.html", map[string]any{"Consumers": rows, "Limits": limits})
}

// routedNames is every service the gateway routes to (or, without
// Options.Routed, every one the catalog has a document for), by name.
func (p *portal) routedNames() []string {
	var names []string
	switch {
	case p.opts.Routed != nil:
		for _, r := range p.opts.Routed() {
			names = append(names, r.Name)
		}
	case p.opts.Catalog != nil:
		for _, e := range p.opts.Catalog.Entries() {
			names = append(names, e.Service)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// ago says how long ago t was, rounded to the second ("never" for the zero
// time), as until does for the future.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	if d <= 0 {
		return "just now"
	}
	return d.String() + " ago"
}
